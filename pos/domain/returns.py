"""Returns: what may still come back from a sale, what each returned line refunds, and to which tender.

Rules (issue 4, contracts):

- A line's returnable quantity is what was sold minus what earlier returns took back; a return
  of more, of zero or of a negative quantity is refused with a message a person can read.
- Returning `q` of a line refunds ``line.total * q / line.quantity`` rounded half up, and the same
  share of its tax. The last units of a line get exactly what is left of the line's total and tax,
  so returning everything, in one go or piece by piece, refunds the sale's totals to the cent. A
  partial refund never exceeds what is left either: rounding up a few small returns in a row (3
  cents over 5 units: 0.6 -> 1 each time) must not pay out more than the line cost.
- The refund goes back "original" (to the sale's tenders: each non-cash tender gets back at most
  what was paid with it minus what earlier returns already put back on it, the rest in cash) or
  all in "cash".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from pos.domain.errors import DomainError
from pos.domain.money import Money, round_half_up

RefundTo = Literal["original", "cash"]
REFUND_MODES: tuple[str, ...] = ("original", "cash")
CASH = "cash"


@dataclass(frozen=True, slots=True)
class SoldLine:
    """A line of a sale as far as returns care: what was sold and what came back already."""

    line_id: str
    title: str
    quantity: int
    total: Money  # what the customer paid for the line, tax included
    tax: Money  # the tax inside `total`
    returned: int = 0
    refunded: Money | None = None  # sum of earlier refunds of this line (None: nothing)
    refunded_tax: Money | None = None

    def __post_init__(self) -> None:
        if self.quantity < 1:
            raise DomainError(f"the sold line “{self.title}” has quantity {self.quantity}", field="quantity")
        if not 0 <= self.returned <= self.quantity:
            raise DomainError(
                f"“{self.title}”: {self.returned} returned of {self.quantity} sold is impossible",
                field="returned",
            )
        zero = Money.zero(self.total.currency)
        object.__setattr__(self, "refunded", self.refunded or zero)
        object.__setattr__(self, "refunded_tax", self.refunded_tax or zero)

    @property
    def returnable(self) -> int:
        return self.quantity - self.returned

    @property
    def amount_left(self) -> Money:
        assert self.refunded is not None
        return self.total - self.refunded

    @property
    def tax_left(self) -> Money:
        assert self.refunded_tax is not None
        return self.tax - self.refunded_tax


@dataclass(frozen=True, slots=True)
class LineRefund:
    line_id: str
    quantity: int
    amount: Money  # tax included
    tax: Money


@dataclass(frozen=True, slots=True)
class Paid:
    """What one tender of the sale paid (`amount` applied to the sale, change already deducted)."""

    method: str
    amount: Money


@dataclass(frozen=True, slots=True)
class Refund:
    method: str
    amount: Money


def _share(whole: Money, quantity: int, of: int, left: Money) -> Money:
    """`whole * quantity / of` half up, but never more than `left` (and never below zero)."""
    exact = round_half_up(Fraction(whole.minor * quantity, of))
    minor = max(0, min(exact, left.minor)) if whole.minor >= 0 else min(0, max(exact, left.minor))
    return Money(minor, whole.currency)


def refund_for(line: SoldLine, quantity: int) -> LineRefund:
    """The refund for returning `quantity` units of `line` (checked against what is returnable)."""
    check_return_quantity(line, quantity)
    if quantity == line.returnable:  # the last units: exactly what is left
        return LineRefund(line.line_id, quantity, line.amount_left, line.tax_left)
    amount = _share(line.total, quantity, line.quantity, line.amount_left)
    tax = _share(line.tax, quantity, line.quantity, line.tax_left)
    return LineRefund(line.line_id, quantity, amount, tax)


def check_return_quantity(line: SoldLine, quantity: object) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise DomainError(
            f"“{line.title}”: the quantity to return must be a whole number, not {quantity!r}",
            field="quantity",
        )
    if quantity < 1:
        raise DomainError(
            f"“{line.title}”: the quantity to return must be at least 1, not {quantity}", field="quantity"
        )
    if quantity > line.returnable:
        if line.returnable == 0:
            reason = f"all {line.quantity} sold have been returned already"
        elif line.returned:
            reason = (
                f"only {line.returnable} can still be returned "
                f"({line.quantity} sold, {line.returned} returned)"
            )
        else:
            reason = f"only {line.quantity} were sold"
        raise DomainError(f"“{line.title}”: cannot return {quantity}: {reason}", field="quantity")
    return quantity


def plan_return(lines: Sequence[SoldLine], quantities: Mapping[str, int]) -> tuple[LineRefund, ...]:
    """Refunds for returning `quantities` (line id -> units), in the sale's line order.

    Raises DomainError when nothing is selected, a line is not part of the sale, or a quantity is
    not a whole number from 1 to what is still returnable.
    """
    if not quantities:
        raise DomainError("Choose at least one item to return.", field="quantities")
    by_id = {line.line_id: line for line in lines}
    unknown = [line_id for line_id in quantities if line_id not in by_id]
    if unknown:
        raise DomainError(f"{len(unknown)} of the chosen lines are not part of this sale", field="quantities")
    return tuple(refund_for(line, quantities[line.line_id]) for line in lines if line.line_id in quantities)


def split_refund(
    amount: Money,
    paid: Sequence[Paid],
    *,
    refund_to: str,
    refunded_before: Mapping[str, Money] | None = None,
) -> tuple[Refund, ...]:
    """How `amount` goes back: one Refund per method, in the order the sale's tenders were taken.

    "original": each non-cash tender (card, or a web order's online payment) gets back at most what
    was paid with it minus `refunded_before[method]`; whatever is left goes back in cash.
    "cash": everything in cash. A zero amount is one cash refund of zero (a return of free items).
    """
    if refund_to not in REFUND_MODES:
        raise DomainError(
            f"refund to {refund_to!r}? Choose the original payment or cash.", field="refund_to"
        )
    if amount.is_negative:
        raise DomainError(f"a refund of {amount} is negative", field="amount")
    before = dict(refunded_before or {})
    left = amount
    refunds: list[Refund] = []
    if refund_to == "original":
        for method, was_paid in _paid_by_method(paid, amount.currency).items():
            if method == CASH or left.is_zero:
                continue
            room = was_paid - before.get(method, Money.zero(amount.currency))
            back = min(left, room) if room.minor > 0 else Money.zero(amount.currency)
            if back.minor > 0:
                refunds.append(Refund(method, back))
                left = left - back
    if left.minor > 0 or not refunds:
        refunds.append(Refund(CASH, left))
    return tuple(refunds)


def _paid_by_method(paid: Sequence[Paid], currency: str) -> dict[str, Money]:
    by_method: dict[str, Money] = {}
    for payment in paid:
        by_method[payment.method] = by_method.get(payment.method, Money.zero(currency)) + payment.amount
    return by_method
