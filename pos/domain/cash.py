"""Cash sessions (shifts): the float, what each tender took, pay-ins, pay-outs, drops, X and Z reports.

The figures, to the cent (Money, integer minor units):

- cash taken by a sale = what its cash tenders applied = cash tendered minus change;
- expected cash = float + cash taken - cash refunded + pay-ins - pay-outs - drops;
- expected for any other tender (card) = taken - refunded with it;
- at the close, per tender: variance = counted - expected (negative: money is missing).

The close is blind: `CashSession.close` takes the counts first and only its result shows what was
expected. Money cannot leave a drawer that does not hold it: a pay-out, a drop or a cash refund
above the cash expected in the drawer is refused. `CashSession` is immutable; each event returns a
new session, and the store can rebuild one from its saved events in order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal

from pos.domain.currency import check_currency, exponent
from pos.domain.errors import CurrencyMismatchError, DomainError
from pos.domain.money import Money, total
from pos.domain.sale import format_timestamp

CASH = "cash"
MovementKind = Literal["pay_in", "pay_out", "drop"]
MOVEMENT_KINDS: tuple[str, ...] = ("pay_in", "pay_out", "drop")
MAX_PIECES = 1_000_000  # per denomination: more is a typing slip, not a drawer
MAX_REASON_CHARS = 200

# Notes and coins in minor units, largest first. Others get a 1-2-5 series (`denominations`).
_DENOMINATIONS: dict[str, tuple[int, ...]] = {
    "EUR": (50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1),
    "USD": (10000, 5000, 2000, 1000, 500, 200, 100, 50, 25, 10, 5, 1),
    "GBP": (5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1),
    "CHF": (100000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5),
    "JPY": (10000, 5000, 2000, 1000, 500, 100, 50, 10, 5, 1),
}


def denominations(currency: str) -> tuple[int, ...]:
    """The notes and coins of `currency` in minor units, largest first.

    A currency without its own list gets 1, 2, 5 x powers of ten from one minor unit up to 100 major
    units (at least 10,000 minor units), which holds any amount a drawer is counted in.
    """
    known = _DENOMINATIONS.get(check_currency(currency))
    if known:
        return known
    top = max(10 ** (exponent(currency) + 2), 10_000)
    series = [m * 10**p for p in range(len(str(top))) for m in (1, 2, 5) if m * 10**p <= top]
    return tuple(sorted(series, reverse=True))


def _pieces(value: object, label: str) -> int:
    """A count typed by a person: a whole number of 0 or more (an int, or digits as text)."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0  # an empty field means none of that note
        if not text.isdigit() or not text.isascii():
            problem = "negative" if text.startswith("-") else "not a whole number"
            raise DomainError(
                f"{label}: {value!r} is {problem}; count whole pieces, 0 or more", field="count"
            )
        value = int(text)
    if isinstance(value, bool) or not isinstance(value, int):
        raise DomainError(f"{label}: {value!r} is not a whole number of pieces", field="count")
    if value < 0:
        raise DomainError(f"{label}: {value} is negative; count whole pieces, 0 or more", field="count")
    if value > MAX_PIECES:
        raise DomainError(f"{label}: {value:,} pieces is more than a drawer holds", field="count")
    return value


@dataclass(frozen=True, slots=True)
class CashCount:
    """Pieces per denomination (minor units -> count). Build with `count_cash`."""

    currency: str
    pieces: Mapping[int, int]

    @property
    def total(self) -> Money:
        return Money(sum(value * n for value, n in self.pieces.items()), self.currency)

    def to_list(self) -> list[dict[str, int]]:
        """The count as the wire and the store keep it: [{"value": 2000, "count": 3}, ...]."""
        return [{"value": v, "count": n} for v, n in sorted(self.pieces.items(), reverse=True) if n]


def count_cash(currency: str, counts: Mapping[int, object]) -> CashCount:
    """Check a count by denomination; DomainError naming the note or coin that is wrong."""
    known = set(denominations(currency))
    pieces: dict[int, int] = {}
    for value, count in counts.items():
        label = str(Money(value, currency)) if isinstance(value, int) and not isinstance(value, bool) else "?"
        if label == "?" or value not in known:
            raise DomainError(f"{value!r} is not a note or coin of {currency}", field="denomination")
        pieces[value] = _pieces(count, label)
    return CashCount(currency, MappingProxyType(pieces))


@dataclass(frozen=True, slots=True)
class Takings:
    """What one sale (or one refund) moved, per tender: applied amounts, change already deducted."""

    by_tender: Mapping[str, Money]

    @classmethod
    def of_payments(cls, payments: Sequence[Mapping[str, Any]], currency: str) -> Takings:
        """From a sale.create payload's payments (`amount` is applied: tendered - change for cash)
        or a return's refunds (`amount` paid back)."""
        by: dict[str, Money] = {}
        for p in payments:
            amount = Money(int(p["amount"]), currency)
            if amount.is_negative:
                raise DomainError(f"a {p['method']} amount of {amount} is negative", field="amount")
            by[str(p["method"])] = by.get(str(p["method"]), Money.zero(currency)) + amount
        return cls(MappingProxyType(by))

    @property
    def total(self) -> Money | None:
        amounts = list(self.by_tender.values())
        return total(amounts, amounts[0].currency) if amounts else None


@dataclass(frozen=True, slots=True)
class Movement:
    kind: MovementKind
    amount: Money
    reason: str
    staff_id: str | None
    at: datetime


def _add(sums: Mapping[str, Money], extra: Mapping[str, Money]) -> Mapping[str, Money]:
    merged = dict(sums)
    for method, amount in extra.items():
        merged[method] = merged[method] + amount if method in merged else amount
    return MappingProxyType(merged)


@dataclass(frozen=True, slots=True)
class TenderFigures:
    method: str
    taken: Money
    refunded: Money
    expected: Money
    counted: Money | None = None

    @property
    def variance(self) -> Money | None:
        return None if self.counted is None else self.counted - self.expected


@dataclass(frozen=True, slots=True)
class XReport:
    """The session's figures so far (or at its close, inside a ZReport)."""

    session_id: str
    currency: str
    opened_at: datetime
    at: datetime
    opening_float: Money
    sale_count: int
    sales_total: Money
    refund_count: int
    refunds_total: Money
    pay_ins: Money
    pay_outs: Money
    drops: Money
    tenders: tuple[TenderFigures, ...]

    def tender(self, method: str) -> TenderFigures:
        for figures in self.tenders:
            if figures.method == method:
                return figures
        zero = Money.zero(self.currency)
        return TenderFigures(method, zero, zero, self.opening_float if method == CASH else zero)

    @property
    def expected_cash(self) -> Money:
        return self.tender(CASH).expected


@dataclass(frozen=True, slots=True)
class ZReport:
    """The final figures of a closed session, with the blind counts and their variances."""

    figures: XReport
    closed_by: str
    closed_at: datetime
    cash_count: CashCount
    approved_by: str | None = None  # the manager who accepted a variance above the limit

    @property
    def variance(self) -> Money:
        """Counted minus expected over every tender."""
        variances = [t.variance for t in self.figures.tenders if t.variance is not None]
        return total(variances, self.figures.currency)

    @property
    def tender_variances(self) -> tuple[tuple[str, Money], ...]:
        """Each counted tender that is off, with its variance: cash 40.00 short and a card batch
        40.00 over add up to nothing, and are two problems all the same."""
        return tuple((t.method, t.variance) for t in self.figures.tenders
                     if t.variance is not None and not t.variance.is_zero)  # fmt: skip

    @property
    def largest_variance(self) -> Money:
        """The variance of the tender furthest from what was expected (zero if all are even): what
        the limit is judged on, as one tender cannot make up for another."""
        offs = [variance for _, variance in self.tender_variances]
        return max(offs, key=lambda m: abs(m.minor), default=Money.zero(self.figures.currency))

    def to_payload(self, opened_by: str, till_code: str) -> dict[str, Any]:
        """The `cash.session` mutation payload (sync.protocol.CashSessionClose)."""
        f = self.figures
        return {
            "id": f.session_id,
            "till_code": till_code,
            "opened_by": opened_by,
            "closed_by": self.closed_by,
            "approved_by": self.approved_by,
            "opened_at": format_timestamp(f.opened_at),
            "closed_at": format_timestamp(self.closed_at),
            "currency": f.currency,
            "float": f.opening_float.minor,
            "sale_count": f.sale_count,
            "sales_total": f.sales_total.minor,
            "refund_count": f.refund_count,
            "refunds_total": f.refunds_total.minor,
            "pay_ins": f.pay_ins.minor,
            "pay_outs": f.pay_outs.minor,
            "drops": f.drops.minor,
            "tenders": [
                {
                    "method": t.method,
                    "taken": t.taken.minor,
                    "refunded": t.refunded.minor,
                    "expected": t.expected.minor,
                    "counted": t.counted.minor if t.counted is not None else t.expected.minor,
                    "variance": t.variance.minor if t.variance is not None else 0,
                }
                for t in f.tenders
            ],
            "cash_count": self.cash_count.to_list(),
        }


@dataclass(frozen=True, slots=True)
class CashSession:
    """One till's shift, from the float count to the close. Events return a new session."""

    id: str
    till_id: str
    opened_by: str
    opened_at: datetime
    float_count: CashCount
    sale_count: int = 0
    refund_count: int = 0
    taken: Mapping[str, Money] = field(default_factory=lambda: MappingProxyType({}))
    refunded: Mapping[str, Money] = field(default_factory=lambda: MappingProxyType({}))
    movements: tuple[Movement, ...] = ()
    closed: ZReport | None = None

    @property
    def currency(self) -> str:
        return self.float_count.currency

    @property
    def is_open(self) -> bool:
        return self.closed is None

    def _sum(self, kind: str) -> Money:
        return total((m.amount for m in self.movements if m.kind == kind), self.currency)

    def expected(self, method: str) -> Money:
        zero = Money.zero(self.currency)
        net = self.taken.get(method, zero) - self.refunded.get(method, zero)
        if method != CASH:
            return net
        return self.float_count.total + net + self._sum("pay_in") - self._sum("pay_out") - self._sum("drop")

    @property
    def cash_in_drawer(self) -> Money:
        return self.expected(CASH)

    def _check_open(self, doing: str) -> None:
        if self.closed is not None:
            raise DomainError(
                f"the cash session was closed at {format_timestamp(self.closed.closed_at)}: "
                f"open a new one to {doing}",
                field="session",
            )

    def _check_amounts(self, takings: Takings) -> None:
        for method, amount in takings.by_tender.items():
            if amount.currency != self.currency:
                raise CurrencyMismatchError(
                    f"a {amount.currency} {method} amount in a {self.currency} session"
                )

    def record_sale(self, takings: Takings) -> CashSession:
        self._check_open("sell")
        self._check_amounts(takings)
        return replace(self, sale_count=self.sale_count + 1, taken=_add(self.taken, takings.by_tender))

    def record_refund(self, refund: Takings) -> CashSession:
        self._check_open("refund")
        self._check_amounts(refund)
        cash = refund.by_tender.get(CASH)
        if cash is not None and cash > self.cash_in_drawer:
            raise DomainError(
                f"cannot refund {cash} in cash: the drawer holds {self.cash_in_drawer}; refund to the card "
                "or pay cash in first",
                field="amount",
            )
        return replace(
            self, refund_count=self.refund_count + 1, refunded=_add(self.refunded, refund.by_tender)
        )

    def move(
        self, kind: MovementKind, amount: Money, reason: str, staff_id: str | None, at: datetime
    ) -> CashSession:
        """A pay-in, pay-out or drop; DomainError if the amount, the reason or the drawer say no."""
        if kind not in MOVEMENT_KINDS:
            raise DomainError(f"{kind!r} is not a cash movement: pay_in, pay_out or drop", field="kind")
        words = kind.replace("_", " ")
        self._check_open(f"record a {words}")
        if not isinstance(amount, Money):
            raise TypeError(f"an amount must be Money, not {type(amount).__name__}")
        if amount.currency != self.currency:
            raise CurrencyMismatchError(f"a {amount.currency} {words} in a {self.currency} session")
        if amount.minor <= 0:
            raise DomainError(f"a {words} of {amount} must be more than zero", field="amount")
        reason = (reason or "").strip()
        if kind != "drop" and not reason:
            raise DomainError(f"say why: a {words} needs a reason", field="reason")
        if len(reason) > MAX_REASON_CHARS:
            raise DomainError(f"a reason has at most {MAX_REASON_CHARS} characters", field="reason")
        if kind != "pay_in" and amount > self.cash_in_drawer:
            raise DomainError(
                f"cannot {'pay out' if kind == 'pay_out' else 'drop'} {amount}: "
                f"the drawer holds only {self.cash_in_drawer}",
                field="amount",
            )
        return replace(self, movements=(*self.movements, Movement(kind, amount, reason, staff_id, at)))

    def x_report(self, at: datetime) -> XReport:
        methods = [CASH, *sorted((self.taken.keys() | self.refunded.keys()) - {CASH})]
        zero = Money.zero(self.currency)
        tenders = tuple(
            TenderFigures(m, self.taken.get(m, zero), self.refunded.get(m, zero), self.expected(m))
            for m in methods
        )
        return XReport(
            session_id=self.id,
            currency=self.currency,
            opened_at=self.opened_at,
            at=at,
            opening_float=self.float_count.total,
            sale_count=self.sale_count,
            sales_total=total(self.taken.values(), self.currency),
            refund_count=self.refund_count,
            refunds_total=total(self.refunded.values(), self.currency),
            pay_ins=self._sum("pay_in"),
            pay_outs=self._sum("pay_out"),
            drops=self._sum("drop"),
            tenders=tenders,
        )

    def close(
        self,
        cash: CashCount,
        other_counts: Mapping[str, Money],
        *,
        closed_by: str,
        at: datetime,
        approved_by: str | None = None,
    ) -> CashSession:
        """Close with the blind counts: the cash by denomination, other tenders as totals (a card
        terminal's batch). A tender not counted counts as zero. Closing twice is refused."""
        self._check_open("close it")
        if cash.currency != self.currency:
            raise CurrencyMismatchError(f"a {cash.currency} count for a {self.currency} session")
        if at < self.opened_at:
            raise DomainError("a session cannot close before it opened: check the clock", field="closed_at")
        x = self.x_report(at)
        counted = {CASH: cash.total, **dict(other_counts)}
        for method, amount in counted.items():
            # A card batch may be net negative: refunds to cards paid in earlier sessions.
            if not isinstance(amount, Money) or amount.currency != self.currency:
                raise DomainError(f"the {method} count {amount} is not a {self.currency} amount")
        methods = [t.method for t in x.tenders] + sorted(counted.keys() - {t.method for t in x.tenders})
        tenders = tuple(
            replace(x.tender(m), counted=counted.get(m, Money.zero(self.currency))) for m in methods
        )
        z = ZReport(replace(x, tenders=tenders), closed_by, at, cash, approved_by)
        return replace(self, closed=z)


def open_session(
    session_id: str, till_id: str, opened_by: str, float_count: CashCount, at: datetime
) -> CashSession:
    if at.tzinfo is None:
        raise DomainError("a session's time must carry a time zone (UTC)", field="opened_at")
    return CashSession(session_id, till_id, opened_by, at, float_count)
