"""The audit log a manager reads: filtered by person, action and date; managers only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from pos.domain.errors import DomainError
from pos.domain.permissions import PermissionDenied
from pos.services.audit import AuditLog
from pos.services.cash_sessions import CashSessions
from pos.services.staff import StaffService
from pos.store.database import driver_connection
from tests.services import staff_shop as staff
from tests.services.checkout_shop import eur
from tests.services.staff_shop import CASHIER_ID, MANAGER_ID, Clock

OPEN_SHIFT = False  # these tests open (or must not see) their own shift


@pytest.fixture
def day(engine: Engine) -> Clock:
    """A morning at the till: Cara signs in, opens the drawer, pays out; Mo signs in later."""
    staff.load_staff(engine)
    clock = Clock()
    people, cash = StaffService(engine, clock=clock), CashSessions(engine, clock=clock)
    cara = people.sign_in(CASHIER_ID, "1234")
    clock.advance(60)
    cash.open(cara, {1000: 5})
    clock.advance(3600)
    cash.move(cara, "pay_out", eur(300), "milk for the staff room")
    clock.advance(3600)
    people.sign_in(MANAGER_ID, "9876")
    return clock


def test_filters_by_person_action_and_period(engine: Engine, day: Clock) -> None:
    log = AuditLog(engine)
    mo = staff.actor(MANAGER_ID)
    assert [e.action for e in log.entries(mo)] == [
        "staff.sign_in",
        "cash.pay_out",
        "cash.open",
        "staff.sign_in",
    ]
    assert [e.action for e in log.entries(mo, staff_id=CASHIER_ID)] == [
        "cash.pay_out",
        "cash.open",
        "staff.sign_in",
    ]
    [pay_out] = log.entries(mo, action="cash.pay_out")
    assert (pay_out.reason, pay_out.before, pay_out.after) == (
        "milk for the staff room",
        {"cash": 5000},
        {"cash": 4700},
    )
    start = Clock().now
    window = log.entries(mo, since=start + timedelta(minutes=30), until=start + timedelta(minutes=90))
    assert [e.action for e in window] == ["cash.pay_out"]


def test_every_entry_is_queued_for_the_shop_once(engine: Engine, day: Clock) -> None:
    with driver_connection(engine) as con:
        queued = con.execute("SELECT id FROM outbox WHERE type = 'audit.entry' ORDER BY position").fetchall()
        logged = con.execute("SELECT id FROM audit_log ORDER BY at").fetchall()
    assert queued == logged and len(logged) == 4


def test_a_cashier_may_not_read_the_log_and_a_backwards_period_is_refused(engine: Engine, day: Clock) -> None:
    with pytest.raises(PermissionDenied, match="may not view the audit log"):
        AuditLog(engine).entries(staff.actor(CASHIER_ID))
    with pytest.raises(DomainError, match="after its start"):
        AuditLog(engine).entries(staff.actor(MANAGER_ID), since=day.now, until=day.now - timedelta(hours=1))
