"""A shift at the till: float, sales and refunds in split tenders, pay-ins, pay-outs, drops, X report,
blind close with variance approval, the stored Z report and its `cash.session` mutation."""

from __future__ import annotations

from dataclasses import replace

import orjson
import pytest
from sqlalchemy import Engine

from pos.domain.errors import DomainError
from pos.domain.permissions import Permission, PermissionDenied
from pos.domain.tender import Tender
from pos.services.audit import AuditLog
from pos.services.cash_sessions import CashSessions, NoOpenSession
from pos.services.checkout import CheckoutService
from pos.services.returns import ReturnsService
from pos.services.signed_in import SignedIn
from pos.services.staff import StaffService
from pos.store.database import driver_connection
from sync.protocol import MUTATION_PAYLOADS
from tests.services import staff_shop as staff
from tests.services.checkout_shop import eur
from tests.services.staff_shop import CASHIER_ID, MANAGER_ID, PACKER_ID, Clock

OPEN_SHIFT = False  # these tests open (or must not see) their own shift

MUG = "4006381333931"  # 29.99
SPOON = "SPN-1"  # 4.50
CARA = staff.actor(CASHIER_ID)


@pytest.fixture
def cash(engine: Engine, clock: Clock) -> CashSessions:
    staff.load_staff(engine)
    return CashSessions(engine, clock=clock)


def _sell(engine: Engine, clock: Clock, codes: list[str], tenders: list[Tender]):
    service = CheckoutService(engine, clock=clock, who=SignedIn(CARA))
    cart = service.new_cart()
    for code in codes:
        service.scan(cart, code)
    return service.checkout(cart, tenders)


def _rows(engine: Engine, sql: str) -> list[tuple]:
    with driver_connection(engine) as con:
        return con.execute(sql).fetchall()


def test_a_whole_shift_adds_up_to_the_cent_and_the_z_report_goes_to_the_shop(
    engine: Engine, cash: CashSessions, clock: Clock
) -> None:
    cash.open(CARA, {2000: 2, 1000: 1, 200: 5})  # 60.00
    _sell(engine, clock, [MUG], [Tender("cash", eur(5000))])  # 29.99 cash, 20.01 change
    _sell(engine, clock, [MUG, SPOON], [Tender("card", eur(2000)), Tender("cash", eur(1500))])  # 34.49
    sold = _sell(engine, clock, [SPOON], [Tender("card", eur(450))])
    line = sold.payload["lines"][0]["id"]
    returns = ReturnsService(engine, clock=clock, who=SignedIn(CARA))
    returns.create_return(returns.find_sale_or_explain(sold.number), {line: 1}, refund_to="cash")
    cash.move(CARA, "pay_in", eur(1000), "change from the bank")
    cash.move(CARA, "pay_out", eur(1250), "window cleaner")
    cash.move(CARA, "drop", eur(5000), "")

    x = cash.x_report(CARA)
    # float 60.00 + cash taken 29.99 + 14.49 - refunded 4.50 + in 10.00 - out 12.50 - drop 50.00
    assert x.expected_cash == eur(6000 + 2999 + 1449 - 450 + 1000 - 1250 - 5000)
    assert (x.sale_count, x.sales_total, x.refund_count, x.refunds_total) == (
        3,
        eur(2999 + 3449 + 450),
        1,
        eur(450),
    )
    assert x.tender("card").expected == eur(2000 + 450)

    clock.advance(3600)
    z = cash.close(CARA, {2000: 2, 500: 1, 200: 1, 20: 2, 5: 1, 2: 1, 1: 1}, {"card": eur(2450)})
    assert z.figures.expected_cash == eur(4748) and z.cash_count.total == eur(4748)
    assert z.variance == eur(0)
    [stored] = _rows(engine, "SELECT z_report FROM cash_session WHERE closed_at IS NOT NULL")
    [(payload,)] = _rows(engine, "SELECT payload FROM outbox WHERE type = 'cash.session'")
    assert orjson.loads(stored[0]) == orjson.loads(payload)
    MUTATION_PAYLOADS["cash.session"].validate_python(orjson.loads(payload))
    assert orjson.loads(payload)["sales_total"] == sum(
        p["amount"] for (doc,) in _rows(engine, "SELECT doc FROM sale") for p in orjson.loads(doc)["payments"]
    )
    assert cash.current() is None
    with pytest.raises(NoOpenSession):
        cash.close(CARA, {2000: 1})  # closing twice


def test_the_session_is_intact_after_the_app_is_reopened(engine: Engine, cash: CashSessions, clock) -> None:
    cash.open(CARA, {1000: 5})
    _sell(engine, clock, [MUG], [Tender("cash", eur(3000))])
    cash.move(CARA, "pay_out", eur(700), "stamps")
    before = cash.x_report(CARA)
    reopened = CashSessions(engine, clock=clock)  # a new process finds the same events
    after = reopened.x_report(CARA)
    assert (after.expected_cash, after.sale_count, after.pay_outs) == (eur(5000 + 2999 - 700), 1, eur(700))
    assert after.expected_cash == before.expected_cash


@pytest.mark.parametrize(
    ("counts", "message"),
    [({1000: -1}, "negative"), ({1000: "two"}, "not a whole number"), ({1300: 1}, "not a note or coin"),
     ({1000: "1.5"}, "not a whole number")],
)  # fmt: skip
def test_bad_counts_are_refused_and_nothing_is_written(
    engine: Engine, cash: CashSessions, counts, message: str
) -> None:
    with pytest.raises(DomainError, match=message):
        cash.open(CARA, counts)
    assert _rows(engine, "SELECT count(*) FROM cash_session") == [(0,)]
    cash.open(CARA, {1000: 1})
    with pytest.raises(DomainError, match=message):
        cash.close(CARA, counts)
    assert cash.current() is not None


def test_money_cannot_leave_a_drawer_that_does_not_hold_it(engine: Engine, cash: CashSessions, clock) -> None:
    cash.open(CARA, {1000: 2})
    with pytest.raises(DomainError, match="holds only"):
        cash.move(CARA, "pay_out", eur(2001), "too much")
    with pytest.raises(DomainError, match="needs a reason"):
        cash.move(CARA, "pay_out", eur(100), "  ")
    with pytest.raises(DomainError, match="more than zero"):
        cash.move(CARA, "pay_in", eur(-100), "negative")
    sold = _sell(engine, clock, [MUG], [Tender("card", eur(2999))])
    returns = ReturnsService(engine, clock=clock, who=SignedIn(CARA))
    with pytest.raises(DomainError, match="cannot refund"):
        returns.create_return(
            returns.find_sale_or_explain(sold.number), {sold.payload["lines"][0]["id"]: 1}, refund_to="cash"
        )
    assert _rows(engine, "SELECT count(*) FROM sale_return") == [(0,)]
    assert cash.x_report(CARA).expected_cash == eur(2000)


def test_a_variance_above_the_limit_needs_a_manager(engine: Engine, cash: CashSessions, clock) -> None:
    cash.open(CARA, {1000: 5})
    with pytest.raises(PermissionDenied, match="manager") as refused:
        cash.close(CARA, {1000: 4})  # 10.00 short, the limit is 5.00
    assert refused.value.decision.needs_approval
    assert cash.current() is not None, "nothing was closed"
    approval = StaffService(engine, clock=clock).approve(
        Permission.CASH_CLOSE, MANAGER_ID, "9876", requested_by=CASHIER_ID
    )
    for_someone_else = replace(approval, requested_by=MANAGER_ID)
    with pytest.raises(DomainError, match="someone else's action"):
        cash.close(CARA, {1000: 4}, approval=for_someone_else)
    assert cash.current() is not None, "nothing was closed"
    z = cash.close(CARA, {1000: 4}, approval=approval)
    assert (z.variance, z.approved_by) == (eur(-1000), MANAGER_ID)
    entries = AuditLog(engine).entries(staff.actor(MANAGER_ID), action="cash.close")
    assert [(e.staff_id, e.approved_by, e.after["variance"]) for e in entries] == [
        (CASHIER_ID, MANAGER_ID, -1000)
    ]


def test_a_card_total_typed_high_does_not_hide_missing_cash(engine: Engine, cash: CashSessions) -> None:
    # 40.00 of cash missing and a card batch typed 40.00 over (no card sales): they add up to
    # nothing, but the drawer is short all the same, well above the 5.00 limit.
    cash.open(CARA, {1000: 10})
    with pytest.raises(PermissionDenied, match="manager") as refused:
        cash.close(CARA, {1000: 6}, {"card": eur(4000)})
    assert refused.value.decision.needs_approval
    assert cash.current() is not None, "nothing was closed"
    z = cash.close(CARA, {1000: 6}, {"card": eur(0)}, approval=StaffService(engine).approve(
        Permission.CASH_CLOSE, MANAGER_ID, "9876", requested_by=CASHIER_ID))  # fmt: skip
    assert z.tender_variances == (("cash", eur(-4000)),)
    entry = AuditLog(engine).entries(staff.actor(MANAGER_ID), action="cash.close")[0]
    assert entry.after["variances"] == {"cash": -4000}


def test_a_small_variance_closes_without_a_manager(cash: CashSessions) -> None:
    cash.open(CARA, {1000: 5})
    assert cash.close(CARA, {1000: 5, 200: 2}).variance == eur(400)


def test_warehouse_staff_cannot_touch_the_drawer(cash: CashSessions) -> None:
    packer = staff.actor(PACKER_ID)
    with pytest.raises(PermissionDenied, match="may not open a cash session"):
        cash.open(packer, {1000: 1})
    cash.open(CARA, {1000: 1})
    with pytest.raises(PermissionDenied, match="may not pay cash out"):
        cash.move(packer, "pay_out", eur(100), "lunch")
    with pytest.raises(PermissionDenied, match="may not see or reprint a Z report"):
        cash.z_reports(CARA)


def test_only_one_session_is_open_at_a_time(cash: CashSessions) -> None:
    cash.open(CARA, {1000: 1})
    with pytest.raises(DomainError, match="already open"):
        cash.open(staff.actor(MANAGER_ID), {1000: 1})
