"""Property tests of the cash session: for any day of sales (split tenders, change), refunds, pay-ins,
pay-outs and drops, the expected cash is float + ins - outs to the cent, and the Z report's totals
are the sums of the session's own sales."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from pos.domain.cash import CashSession, Takings, count_cash, denominations, open_session
from pos.domain.errors import DomainError
from pos.domain.money import Money
from pos.domain.tender import Tender, settle

AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
CURRENCY = "EUR"


@dataclass(frozen=True)
class SaleEvent:
    total: int
    card: int  # paid by card first (0: none)
    cash_over: int  # cash tendered beyond what is left (gives change)


@dataclass(frozen=True)
class Other:
    kind: str  # pay_in, pay_out, drop, refund_cash, refund_card
    amount: int


sales = st.builds(
    SaleEvent,
    total=st.integers(1, 50_000),
    card=st.integers(0, 50_000),
    cash_over=st.integers(0, 10_000),
)
others = st.builds(
    Other,
    kind=st.sampled_from(["pay_in", "pay_out", "drop", "refund_cash", "refund_card"]),
    amount=st.integers(1, 30_000),
)
floats = st.dictionaries(st.sampled_from(denominations(CURRENCY)), st.integers(0, 50), max_size=8)


def eur(minor: int) -> Money:
    return Money(minor, CURRENCY)


def tenders_of(event: SaleEvent) -> list[Tender]:
    card = min(event.card, event.total)
    tenders = [Tender("card", eur(card))] if card else []
    if event.total - card > 0:
        tenders.append(Tender("cash", eur(event.total - card + event.cash_over)))
    return tenders


@dataclass
class Ledger:
    """The day written down the way a person would: raw hand-overs, not the session's sums."""

    cash_tendered: int = 0
    change: int = 0
    card: int = 0
    refunds_cash: int = 0
    refunds_card: int = 0
    ins: int = 0
    outs: int = 0
    drops: int = 0
    totals: int = 0
    sales: int = 0


def run_day(float_counts: dict, events: list[SaleEvent | Other]) -> tuple[CashSession, Ledger, int]:
    s = open_session("s", "t", "sam", count_cash(CURRENCY, float_counts), AT)
    book = Ledger()
    for event in events:
        s = _sell(s, book, event) if isinstance(event, SaleEvent) else _other(s, book, event)
        assert not s.cash_in_drawer.is_negative  # the drawer never holds less than nothing
    return s, book, sum(v * n for v, n in float_counts.items())


def _sell(s: CashSession, book: Ledger, event: SaleEvent) -> CashSession:
    settlement = settle(eur(event.total), tenders_of(event))
    payments = [
        {"method": p.tender.method, "amount": p.applied.minor, "tendered": p.tender.amount.minor}
        for p in settlement.payments
    ]
    book.cash_tendered += sum(p["tendered"] for p in payments if p["method"] == "cash")
    book.change += settlement.change.minor
    book.card += sum(p["amount"] for p in payments if p["method"] == "card")
    book.totals += event.total
    book.sales += 1
    return s.record_sale(Takings.of_payments(payments, CURRENCY))


def _other(s: CashSession, book: Ledger, event: Other) -> CashSession:
    drawer = s.cash_in_drawer.minor
    leaves_drawer = event.kind in ("pay_out", "drop", "refund_cash")
    try:
        if event.kind.startswith("refund"):
            method = event.kind.removeprefix("refund_")
            refund = Takings.of_payments([{"method": method, "amount": event.amount}], CURRENCY)
            after = s.record_refund(refund)
        else:
            after = s.move(event.kind, eur(event.amount), "reason", "sam", AT)  # type: ignore[arg-type]
    except DomainError:
        assert leaves_drawer and event.amount > drawer  # refused exactly when the drawer is short
        return s
    assert not (leaves_drawer and event.amount > drawer)
    field = {"pay_in": "ins", "pay_out": "outs", "drop": "drops", "refund_cash": "refunds_cash"}
    name = field.get(event.kind, "refunds_card")
    setattr(book, name, getattr(book, name) + event.amount)
    return after


def greedy(amount: int) -> dict[int, int]:
    """Notes and coins making up `amount`, largest first."""
    pieces = {}
    for value in denominations(CURRENCY):
        pieces[value], amount = divmod(amount, value)
    return pieces


days = st.lists(st.one_of(sales, others), max_size=40)


@settings(max_examples=300, deadline=None)
@given(float_counts=floats, events=days)
def test_expected_cash_is_float_plus_ins_minus_outs(float_counts: dict, events: list) -> None:
    s, book, float_total = run_day(float_counts, events)
    cash_in = book.cash_tendered - book.change + book.ins
    cash_out = book.refunds_cash + book.outs + book.drops
    assert s.cash_in_drawer == eur(float_total + cash_in - cash_out)
    assert s.expected("card") == eur(book.card - book.refunds_card)


@settings(max_examples=300, deadline=None)
@given(float_counts=floats, events=days, short=st.integers(0, 5000))
def test_z_totals_are_the_sums_of_the_sessions_sales(float_counts: dict, events: list, short: int) -> None:
    s, book, _ = run_day(float_counts, events)
    expected = s.cash_in_drawer.minor
    counted = count_cash(CURRENCY, greedy(max(0, expected - short)))
    z = s.close(counted, {"card": s.expected("card")}, closed_by="alex", at=AT).closed
    assert z is not None
    f = z.figures
    assert (f.sale_count, f.sales_total) == (book.sales, eur(book.totals))
    assert sum((t.taken.minor for t in f.tenders), 0) == book.totals
    assert f.refunds_total == eur(book.refunds_cash + book.refunds_card)
    assert z.variance == eur(counted.total.minor - expected)
    payload = z.to_payload("sam", "T1")
    for t in payload["tenders"]:
        assert t["variance"] == t["counted"] - t["expected"]
    cash, p = payload["tenders"][0], payload
    net = cash["taken"] - cash["refunded"]
    assert cash["expected"] == p["float"] + net + p["pay_ins"] - p["pay_outs"] - p["drops"]
