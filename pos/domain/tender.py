"""Paying for a sale: cash, card (paid on an external terminal) and split tender.

`settle(total, tenders)` applies the tenders in the order given:

- a card tender is charged exactly its amount, so it may not exceed what is left to pay (a card
  never gives change);
- a cash tender pays what is left, and what it exceeds that by is change; change therefore only
  ever comes out of cash;
- a tender given after the sale is already covered is refused (it would be a payment of nothing),
  as are zero or negative amounts and tenders that together fall short of the total.

So for every settlement: sum(applied) == total and sum(tendered) - change == total.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pos.domain.errors import CurrencyMismatchError, DomainError
from pos.domain.money import Money, total

Method = Literal["cash", "card"]
METHODS: tuple[str, ...] = ("cash", "card")
MAX_TENDERS = 20  # the wire protocol's bound on a sale's payments
MAX_REFERENCE_CHARS = 200
# Quick-cash steps in major units: the next whole unit, then round notes.
_QUICK_STEPS = (1, 5, 10, 20, 50, 100)


def tender_label(method: str) -> str:
    """A way to pay as screens and paper show it: "Cash", "Card"; a web shop's "gift_card": "Gift card"."""
    words = method.replace("_", " ")
    return words[:1].upper() + words[1:]  # not capitalize(): a shop's own capitals stay


@dataclass(frozen=True, slots=True)
class Tender:
    """Money handed over (cash) or charged (card) with an optional terminal reference."""

    method: Method
    amount: Money
    reference: str | None = None

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise DomainError(f"{self.method!r} is not a way to pay: use cash or card", field="method")
        if not isinstance(self.amount, Money):
            raise TypeError(f"a tender amount must be Money, not {type(self.amount).__name__}")
        if self.amount.minor <= 0:
            raise DomainError(
                f"a {self.method} payment of {self.amount} must be more than zero", field="amount"
            )
        if self.reference is not None:
            if not isinstance(self.reference, str):
                raise TypeError("a payment reference must be a str")
            cleaned = self.reference.strip()
            if len(cleaned) > MAX_REFERENCE_CHARS:
                raise DomainError(
                    f"a payment reference has at most {MAX_REFERENCE_CHARS} characters", field="reference"
                )
            object.__setattr__(self, "reference", cleaned or None)


@dataclass(frozen=True, slots=True)
class AppliedPayment:
    tender: Tender
    applied: Money  # what this tender pays of the sale: for cash, tendered minus its change

    @property
    def change(self) -> Money:
        return self.tender.amount - self.applied


@dataclass(frozen=True, slots=True)
class Settlement:
    payments: tuple[AppliedPayment, ...]
    change: Money

    @property
    def total(self) -> Money:
        return total((p.applied for p in self.payments), self.change.currency)

    @property
    def tendered(self) -> Money:
        return total((p.tender.amount for p in self.payments), self.change.currency)


def settle(sale_total: Money, tenders: Sequence[Tender]) -> Settlement:
    """Apply `tenders` to `sale_total`; DomainError with a message for the cashier if they do not fit."""
    if sale_total.minor <= 0:
        raise DomainError(f"the total is {sale_total}: there is nothing to pay", field="total")
    if not tenders:
        raise DomainError(f"no payment given: {sale_total} to pay", field="tenders")
    if len(tenders) > MAX_TENDERS:
        raise DomainError(f"a sale takes at most {MAX_TENDERS} payments, not {len(tenders)}", field="tenders")
    currency = sale_total.currency
    left = sale_total
    applied: list[AppliedPayment] = []
    for tender in tenders:
        if not isinstance(tender, Tender):
            raise TypeError(f"a tender must be a Tender, not {type(tender).__name__}")
        if tender.amount.currency != currency:
            raise CurrencyMismatchError(f"a {tender.amount.currency} payment for a {currency} sale")
        if left.is_zero:
            raise DomainError(
                f"the {tender.method} payment of {tender.amount} is not needed: the sale "
                "is already paid in full",
                field="tenders",
            )
        if tender.method == "card":
            if tender.amount > left:
                raise DomainError(
                    f"the card payment of {tender.amount} is more than the {left} left to "
                    "pay; change is given only from cash",
                    field="tenders",
                )
            paid = tender.amount
        else:
            paid = min(tender.amount, left)
        applied.append(AppliedPayment(tender, paid))
        left = left - paid
    if not left.is_zero:
        given = total((t.amount for t in tenders), currency)
        raise DomainError(
            f"{given} given is less than the total {sale_total}: {left} still to pay", field="tenders"
        )
    change = total((p.change for p in applied), currency)
    return Settlement(tuple(applied), change)


def quick_cash(sale_total: Money, limit: int = 5) -> list[Money]:
    """Amounts for quick-cash buttons: the exact total, then the next round amounts above it.

    12.30 EUR -> 12.30, 13.00, 15.00, 20.00, 50.00. Steps are whole units and notes of 5 to 100
    major units of the currency.
    """
    if sale_total.minor <= 0:
        return []
    unit = 10**sale_total.exponent
    amounts = [sale_total.minor]
    for step in _QUICK_STEPS:
        size = step * unit
        rounded = -(-sale_total.minor // size) * size
        if rounded > amounts[-1]:
            amounts.append(rounded)
    return [Money(minor, sale_total.currency) for minor in amounts[:limit]]
