"""Cash sessions: counts by denomination, the drawer's expected cash, blind close, X and Z reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pos.domain.cash import (
    CashSession,
    Takings,
    count_cash,
    denominations,
    open_session,
)
from pos.domain.errors import CurrencyMismatchError, DomainError
from pos.domain.money import Money
from pos.domain.tender import Tender, settle

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def eur(minor: int) -> Money:
    return Money(minor, "EUR")


def session(float_counts: dict | None = None) -> CashSession:
    counts = float_counts if float_counts is not None else {2000: 5, 1000: 5, 200: 10}
    return open_session("s1", "till-1", "sam", count_cash("EUR", counts), T0)  # 170.00


def sale(total: int, *tenders: Tender) -> Takings:
    """The takings of a sale settled with `tenders`, read back from its payload's payments."""
    settlement = settle(eur(total), list(tenders))
    payments = [
        {"method": p.tender.method, "amount": p.applied.minor, "tendered": p.tender.amount.minor}
        for p in settlement.payments
    ]
    return Takings.of_payments(payments, "EUR")


def test_denominations_per_currency() -> None:
    assert denominations("EUR")[0] == 50000 and denominations("EUR")[-1] == 1
    assert 25 in denominations("USD") and 200 not in denominations("JPY")
    assert denominations("GBP")[:2] == (5000, 2000)
    generic = denominations("SEK")
    assert generic[0] == 10000 and generic[-1] == 1 and 500 in generic and 300 not in generic
    assert denominations("KWD")[0] == 100000  # three decimals: up to 100.000
    assert denominations("XAF")[0] == 10000  # no decimals


def test_a_count_adds_up_its_notes_and_coins() -> None:
    count = count_cash("EUR", {5000: 2, 2000: "3", 50: " 7 ", 1: ""})
    assert count.total == eur(16350)
    assert count.to_list() == [
        {"value": 5000, "count": 2},
        {"value": 2000, "count": 3},
        {"value": 50, "count": 7},
    ]


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ({2000: -1}, r"20.00 EUR: -1 is negative"),
        ({2000: "-3"}, r"20.00 EUR: '-3' is negative"),
        ({2000: "abc"}, r"20.00 EUR: 'abc' is not a whole number"),
        ({2000: "1.5"}, r"'1.5' is not a whole number"),
        ({2000: 1.5}, r"1.5 is not a whole number of pieces"),
        ({2000: True}, r"True is not a whole number"),
        ({2000: 10**7}, r"more than a drawer holds"),
        ({300: 1}, r"300 is not a note or coin of EUR"),
        ({"20": 1}, r"'20' is not a note or coin of EUR"),
    ],
)
def test_bad_counts_are_refused(counts: dict, message: str) -> None:
    with pytest.raises(DomainError, match=message):
        count_cash("EUR", counts)


def test_expected_cash_follows_every_movement_to_the_cent() -> None:
    s = session()
    assert s.cash_in_drawer == eur(17000)
    s = s.record_sale(sale(1230, Tender("cash", eur(2000))))  # 7.70 change: +12.30
    s = s.record_sale(sale(5000, Tender("card", eur(3000)), Tender("cash", eur(5000))))  # +20.00 cash
    s = s.record_refund(Takings.of_payments([{"method": "cash", "amount": 499}], "EUR"))
    s = s.move("pay_in", eur(1000), "change from the bank", "sam", T0)
    s = s.move("pay_out", eur(350), "window cleaner", "sam", T0)
    s = s.move("drop", eur(10000), "", "sam", T0)
    assert s.cash_in_drawer == eur(17000 + 1230 + 2000 - 499 + 1000 - 350 - 10000)
    assert s.expected("card") == eur(3000)
    x = s.x_report(T0 + timedelta(hours=2))
    assert (x.sale_count, x.sales_total, x.refund_count, x.refunds_total) == (2, eur(6230), 1, eur(499))
    assert (x.pay_ins, x.pay_outs, x.drops, x.opening_float) == (eur(1000), eur(350), eur(10000), eur(17000))
    assert [(t.method, t.taken, t.expected) for t in x.tenders] == [
        ("cash", eur(3230), s.cash_in_drawer),
        ("card", eur(3000), eur(3000)),
    ]


def test_a_blind_close_shows_expected_counted_and_variance_per_tender() -> None:
    s = session().record_sale(sale(1230, Tender("cash", eur(2000))))
    s = s.record_sale(sale(4000, Tender("card", eur(4000))))
    counted = count_cash("EUR", {5000: 3, 2000: 1, 200: 2})  # 174.00, expected 182.30
    closed = s.close(counted, {"card": eur(4000)}, closed_by="alex", at=T0 + timedelta(hours=8))
    z = closed.closed
    assert z is not None and not closed.is_open
    cash, card = z.figures.tenders
    assert (cash.expected, cash.counted, cash.variance) == (eur(18230), eur(17400), eur(-830))
    assert (card.expected, card.counted, card.variance) == (eur(4000), eur(4000), eur(0))
    assert z.variance == eur(-830)
    payload = z.to_payload(opened_by="sam", till_code="T1")
    assert payload["tenders"][0] == {
        "method": "cash", "taken": 1230, "refunded": 0, "expected": 18230, "counted": 17400, "variance": -830,
    }  # fmt: skip
    assert payload["sales_total"] == 5230 and payload["float"] == 17000 and payload["closed_by"] == "alex"
    assert payload["cash_count"] == counted.to_list()


def test_a_tender_not_counted_counts_as_zero_and_an_extra_count_is_kept() -> None:
    s = session().record_sale(sale(4000, Tender("card", eur(4000))))
    z = s.close(count_cash("EUR", {}), {"voucher": eur(500)}, closed_by="alex", at=T0).closed
    assert z is not None
    by = {t.method: (t.expected.minor, t.counted.minor) for t in z.figures.tenders}  # type: ignore[union-attr]
    assert by == {"cash": (17000, 0), "card": (4000, 0), "voucher": (0, 500)}


def test_closing_twice_is_refused() -> None:
    closed = session().close(count_cash("EUR", {}), {}, closed_by="alex", at=T0)
    with pytest.raises(DomainError, match=r"the cash session was closed at 2026-11-25T08:00:00.000000Z"):
        closed.close(count_cash("EUR", {}), {}, closed_by="alex", at=T0)
    with pytest.raises(DomainError, match="open a new one to sell"):
        closed.record_sale(sale(100, Tender("cash", eur(100))))
    with pytest.raises(DomainError, match="open a new one to record a pay in"):
        closed.move("pay_in", eur(100), "float top-up", "sam", T0)


@pytest.mark.parametrize(
    ("kind", "amount", "reason", "message"),
    [
        ("pay_out", 17001, "supplier", r"cannot pay out 170.01 EUR: the drawer holds only 170.00 EUR"),
        ("drop", 20000, "", r"cannot drop 200.00 EUR: the drawer holds only 170.00 EUR"),
        ("pay_out", 0, "supplier", r"a pay out of 0.00 EUR must be more than zero"),
        ("pay_in", -5, "x", r"must be more than zero"),
        ("pay_out", 100, "   ", r"say why: a pay out needs a reason"),
        ("pay_in", 100, "", r"say why: a pay in needs a reason"),
        ("pay_in", 100, "x" * 201, r"at most 200 characters"),
        ("refund", 100, "x", r"'refund' is not a cash movement"),
    ],
)
def test_bad_movements_are_refused_and_change_nothing(
    kind: str, amount: int, reason: str, message: str
) -> None:
    s = session()
    with pytest.raises(DomainError, match=message):
        s.move(kind, eur(amount), reason, "sam", T0)  # type: ignore[arg-type]
    assert s.movements == () and s.cash_in_drawer == eur(17000)


def test_a_pay_out_of_exactly_the_drawer_empties_it() -> None:
    s = session().move("pay_out", eur(17000), "bank run", "sam", T0)
    assert s.cash_in_drawer == eur(0)
    with pytest.raises(DomainError, match=r"the drawer holds only 0.00 EUR"):
        s.move("drop", eur(1), "", "sam", T0)


def test_a_cash_refund_above_the_drawer_is_refused() -> None:
    s = session({})
    with pytest.raises(DomainError, match=r"cannot refund 5.00 EUR in cash: the drawer holds 0.00 EUR"):
        s.record_refund(Takings.of_payments([{"method": "cash", "amount": 500}], "EUR"))
    # a card refund needs no cash
    s = s.record_refund(Takings.of_payments([{"method": "card", "amount": 500}], "EUR"))
    assert s.expected("card") == eur(-500)


def test_other_currencies_never_mix() -> None:
    s = session()
    with pytest.raises(CurrencyMismatchError):
        s.move("pay_in", Money(100, "USD"), "x", "sam", T0)
    with pytest.raises(CurrencyMismatchError):
        s.record_sale(Takings.of_payments([{"method": "cash", "amount": 100}], "USD"))
    with pytest.raises(CurrencyMismatchError):
        s.close(count_cash("USD", {}), {}, closed_by="a", at=T0)


def test_a_close_before_the_open_or_in_another_currency_is_refused() -> None:
    s = session()
    with pytest.raises(DomainError, match="cannot close before it opened"):
        s.close(count_cash("EUR", {}), {}, closed_by="a", at=T0 - timedelta(seconds=1))
    with pytest.raises(DomainError, match=r"the card count 1.00 USD is not a EUR amount"):
        s.close(count_cash("EUR", {}), {"card": Money(100, "USD")}, closed_by="a", at=T0)
    assert s.is_open


def test_a_session_needs_a_time_zone() -> None:
    with pytest.raises(DomainError, match="time zone"):
        open_session("s", "t", "sam", count_cash("EUR", {}), datetime(2026, 1, 1))
