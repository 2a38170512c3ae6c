"""Sign-in by PIN offline, the wrong-PIN limit, revoked staff, manager approval on the spot."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from pos.domain.permissions import Permission, Role
from pos.services.audit import AuditLog
from pos.services.staff import MAX_FAILURES, SignInRefused, StaffService
from pos.store.database import driver_connection
from pos.store.till_file import till_engine
from tests.services import staff_shop as staff
from tests.services.staff_shop import CASHIER_ID, MANAGER_ID, OTHER_MANAGER_ID, Clock

OPEN_SHIFT = False  # these tests open (or must not see) their own shift


@pytest.fixture
def service(engine: Engine, clock: Clock) -> StaffService:
    staff.load_staff(engine)
    return StaffService(engine, clock=clock)


def test_members_are_listed_by_name_and_sign_in_with_their_own_pin(service: StaffService) -> None:
    assert [m.name for m in service.members()] == ["Cara Cashier", "Mo Manager", "Nia Manager", "Pat Packer"]
    signed = service.sign_in(CASHIER_ID, "1234")
    assert (signed.id, signed.name, signed.role) == (CASHIER_ID, "Cara Cashier", Role.CASHIER)
    with pytest.raises(SignInRefused, match="wrong PIN for Cara Cashier"):
        service.sign_in(CASHIER_ID, "9876")  # the manager's PIN is not hers


@pytest.mark.parametrize("pin", ["", "12a4", "  ", "١٢٣٤"])
def test_a_pin_that_is_not_digits_is_refused_without_counting(service: StaffService, engine, pin) -> None:
    with pytest.raises(SignInRefused, match="digits only"):
        service.sign_in(CASHIER_ID, pin)
    with driver_connection(engine) as con:
        assert con.execute("SELECT count(*) FROM sign_in_guard").fetchone() == (0,)


def test_wrong_pins_lock_the_person_out_and_the_lock_outlives_a_restart(
    service: StaffService, engine: Engine, clock: Clock
) -> None:
    for n in range(1, MAX_FAILURES):
        with pytest.raises(SignInRefused, match=f"{MAX_FAILURES - n} more tr"):
            service.sign_in(CASHIER_ID, "0000")
    with pytest.raises(SignInRefused, match=f"{MAX_FAILURES} in a row: locked for 30 s$"):
        service.sign_in(CASHIER_ID, "0000")
    again = StaffService(engine, clock=clock)  # the app restarted
    with pytest.raises(SignInRefused, match="too many wrong PINs for Cara Cashier: try again in 30 s"):
        again.sign_in(CASHIER_ID, "1234")  # even the right PIN waits
    clock.advance(31)
    assert again.sign_in(CASHIER_ID, "1234").name == "Cara Cashier"
    # A success clears the count: four more wrong PINs do not lock her again.
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(SignInRefused, match="more tr"):
            again.sign_in(CASHIER_ID, "0000")


def test_wrong_pins_tried_at_the_same_time_all_count(engine: Engine, clock: Clock) -> None:
    # Several commands or screens trying PINs at once: each PIN check takes ~50 ms, and a count read
    # before it and written after let every attempt of the batch count as the same one.
    import threading

    staff.load_staff(engine)
    attempts = 3 * MAX_FAILURES
    start = threading.Barrier(attempts)
    refusals: list[str] = []

    def attempt() -> None:
        service = StaffService(engine, clock=clock)
        start.wait()
        try:
            service.sign_in(CASHIER_ID, "0000")
        except SignInRefused as exc:
            refusals.append(str(exc))

    threads = [threading.Thread(target=attempt) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(refusals) == attempts and all("wrong PIN" in refusal for refusal in refusals)
    with driver_connection(till_engine(engine)) as con:
        failures, locked_until = con.execute("SELECT failures, locked_until FROM sign_in_guard").fetchone()
    assert failures == attempts and locked_until is not None


def test_a_second_lock_lasts_twice_as_long(service: StaffService, clock: Clock) -> None:
    for _ in range(MAX_FAILURES):
        with pytest.raises(SignInRefused):
            service.sign_in(CASHIER_ID, "0000")
    clock.advance(31)
    with pytest.raises(SignInRefused, match="locked for 60 s"):
        service.sign_in(CASHIER_ID, "0000")
    with pytest.raises(SignInRefused, match="try again in 60 s"):
        service.sign_in(CASHIER_ID, "1234")


def test_a_revoked_member_cannot_sign_in_after_the_next_pull(service: StaffService, engine: Engine) -> None:
    assert service.sign_in(CASHIER_ID, "1234")
    staff.revoke(engine, CASHIER_ID)
    with pytest.raises(SignInRefused, match="revoked"):
        service.sign_in(CASHIER_ID, "1234")
    assert CASHIER_ID not in [m.id for m in service.members()]


def test_an_unknown_person_is_refused(service: StaffService) -> None:
    with pytest.raises(SignInRefused, match="not on the shop's staff list"):
        service.sign_in("01936f2a-0000-7000-8000-0000000000ff", "1234")


def test_only_another_manager_approves_with_their_pin(service: StaffService) -> None:
    approval = service.approve(Permission.VOID_SALE, MANAGER_ID, "9876", requested_by=CASHIER_ID)
    assert (approval.manager_id, approval.permission, approval.requested_by) == (
        MANAGER_ID, Permission.VOID_SALE, CASHIER_ID,
    )  # fmt: skip
    with pytest.raises(SignInRefused, match="not a manager"):
        service.approve(Permission.VOID_SALE, CASHIER_ID, "1234")
    with pytest.raises(SignInRefused, match="wrong PIN"):
        service.approve(Permission.VOID_SALE, MANAGER_ID, "1111")
    with pytest.raises(SignInRefused, match="another manager"):
        service.approve(Permission.VOID_SALE, MANAGER_ID, "9876", requested_by=MANAGER_ID)
    assert service.approve(Permission.OPEN_DRAWER, OTHER_MANAGER_ID, "5555", requested_by=MANAGER_ID)


def test_sign_ins_and_lock_outs_are_in_the_audit_log_and_queued_for_the_shop(
    service: StaffService, engine: Engine
) -> None:
    service.sign_in(CASHIER_ID, "1234")
    for _ in range(MAX_FAILURES):
        with pytest.raises(SignInRefused):
            service.sign_in(MANAGER_ID, "0000")
    entries = AuditLog(engine).entries(staff.actor(OTHER_MANAGER_ID))
    assert [(e.action, e.staff_id, e.subject) for e in entries] == [
        ("staff.locked_out", MANAGER_ID, "Mo Manager"),  # under the person: the log's filter finds it
        ("staff.sign_in", CASHIER_ID, None),
    ]
    with driver_connection(engine) as con:
        assert con.execute("SELECT count(*) FROM outbox WHERE type = 'audit.entry'").fetchone() == (2,)


def test_someone_the_shop_revokes_or_demotes_loses_those_rights_at_once(service: StaffService, engine):
    # A manager signed in at the till stays signed in for hours: the shop taking their access or
    # their role away must count at their next action, not at their next sign-in.
    from pos.domain.permissions import Outcome, PermissionDenied
    from pos.services.signed_in import NotSignedIn, SignedIn
    from pos.store.replica import SqliteReplica
    from sync.ports import Change

    who = SignedIn(service.sign_in(MANAGER_ID, "9876"), recheck=service.current)
    assert who.decide(Permission.VIEW_AUDIT_LOG).outcome is Outcome.ALLOWED
    demoted = staff.staff_doc(MANAGER_ID, "Mo Manager", "cashier", version=2)
    SqliteReplica(engine).apply_changes(
        [Change(seq=31, entity="staff", id=MANAGER_ID, op="upsert", version=2, data=demoted)], cursor=31
    )
    with pytest.raises(PermissionDenied):  # the check that counts reads the person again
        who.require(Permission.VIEW_AUDIT_LOG)
    assert who.actor is not None and who.actor.role is Role.CASHIER
    assert who.decide(Permission.VIEW_AUDIT_LOG).outcome is Outcome.REFUSED  # greying follows

    other = SignedIn(service.sign_in(OTHER_MANAGER_ID, "5555"), recheck=service.current)
    staff.revoke(engine, OTHER_MANAGER_ID, seq=32)
    with pytest.raises(NotSignedIn, match="the shop has revoked Nia Manager's access"):
        other.require(Permission.SELL)
    assert other.actor is None
