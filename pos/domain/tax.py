"""Tax rates and the one rounding rule Countertop uses for sales tax / VAT.

The rounding rule
-----------------
Tax is computed **per line**, on the line's amount after its discount, with exact rational
arithmetic (never float), and rounded **half up** (halves away from zero) to the currency's minor
unit. The rounded line taxes are then summed; a sale's tax is never recomputed from its total.

- Tax-exclusive prices (the shelf price is the net):
  ``tax = round_half_up(net * rate / 100)`` and ``gross = net + tax``.
- Tax-inclusive prices (the shelf price is the gross):
  ``tax = round_half_up(gross * rate / (100 + rate))`` and ``net = gross - tax``.

`rate` is a percentage (``Decimal("20")`` for 20 %). Examples in EUR: 19.99 at 20 % inclusive
carries 3.33 tax (1999 * 20 / 120 = 333.17 cents); 0.05 at 7 % exclusive carries 0.00 tax
(0.35 cents rounds down); 0.25 at 10 % exclusive carries 0.03 (2.5 cents, the half goes up).
Negative amounts (refunds) round symmetrically, so a refund line's tax is exactly minus the sale's.

Two facts follow from the rule and are tested: a net priced exclusive and its resulting gross
priced inclusive at the same rate give back the same net and tax, for every amount and rate; the
converse holds only for gross prices that some net produces ("round" prices), and otherwise the
gross differs by at most one minor unit for rates under 200 %.

Each line carries its own rate and a shop may have several rates. A line has at most one rate:
compound tax (tax on tax, or several rates stacked on one line) is not supported.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from pos.domain.errors import CurrencyMismatchError, DomainError
from pos.domain.money import Money, round_half_up, total

MAX_RATE = Decimal(1000)
RATE_PLACES = 4  # the wire protocol carries rates such as "7.25" with at most 4 decimals


def parse_rate(value: Decimal | str | int) -> Decimal:
    """A tax percentage from a Decimal, str or int: finite, 0 <= rate < 1000, at most 4 decimals."""
    if isinstance(value, float):
        raise TypeError(f"a tax rate must not be a float ({value!r}): use a Decimal or a str")
    if isinstance(value, bool) or not isinstance(value, Decimal | str | int):
        raise TypeError(f"a tax rate must be a Decimal, a str or an int, not {type(value).__name__}")
    try:
        rate = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise DomainError(
            f"{value!r} is not a tax rate: give a percentage such as 20 or 7.25", field="rate"
        ) from None
    if not rate.is_finite():
        raise DomainError(f"{value!r} is not a tax rate: it must be a finite number", field="rate")
    if rate < 0 or rate >= MAX_RATE:
        raise DomainError(
            f"tax rate {value} % is out of range: it must be at least 0 and below 1000", field="rate"
        )
    if rate.as_tuple().exponent < -RATE_PLACES:  # type: ignore[operator]
        raise DomainError(f"tax rate {value} % has more than {RATE_PLACES} decimal places", field="rate")
    return rate


@dataclass(frozen=True, slots=True)
class TaxRate:
    """A named rate in percent: TaxRate("std", "Standard", Decimal("20")). Strings are parsed."""

    id: str
    name: str
    rate: Decimal

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            raise DomainError("a tax rate needs an id", field="id")
        if not isinstance(self.name, str):
            raise TypeError(f"a tax rate name must be a str, not {type(self.name).__name__}")
        object.__setattr__(self, "rate", parse_rate(self.rate))


@dataclass(frozen=True, slots=True)
class LineTax:
    """One line's amounts after tax: net + tax == gross, all in one currency."""

    net: Money
    tax: Money
    gross: Money


def _percent(rate: TaxRate | Decimal | str | int | None) -> Fraction:
    if rate is None:
        return Fraction(0)
    if isinstance(rate, TaxRate):
        return Fraction(rate.rate)
    return Fraction(parse_rate(rate))


def line_tax(amount: Money, rate: TaxRate | Decimal | str | int | None, inclusive: bool) -> LineTax:
    """Split one line's amount into net, tax and gross by the module's rounding rule.

    `amount` is the net when `inclusive` is False and the gross when it is True. `rate` None
    means the line is not taxed.
    """
    if not isinstance(amount, Money):
        raise TypeError(f"amount must be Money, not {type(amount).__name__}")
    percent = _percent(rate)
    if inclusive:
        tax = Money(round_half_up(amount.minor * percent / (100 + percent)), amount.currency)
        return LineTax(net=amount - tax, tax=tax, gross=amount)
    tax = Money(round_half_up(amount.minor * percent / 100), amount.currency)
    return LineTax(net=amount, tax=tax, gross=amount + tax)


@dataclass(frozen=True, slots=True)
class TaxBreakdownEntry:
    """Totals of every line taxed at one rate (`rate` None: untaxed lines)."""

    rate: TaxRate | None
    net: Money
    tax: Money
    gross: Money


@dataclass(frozen=True, slots=True)
class TaxBreakdown:
    """Per-rate sums of line taxes, as a receipt or a report prints them.

    Entries are ordered by rate, highest first (untaxed last), so the breakdown does not depend on
    the order of the lines.
    """

    currency: str
    entries: tuple[TaxBreakdownEntry, ...]

    @classmethod
    def of(cls, lines: Iterable[tuple[TaxRate | None, LineTax]], currency: str) -> TaxBreakdown:
        groups: dict[TaxRate | None, list[LineTax]] = {}
        for rate, taxed in lines:
            if taxed.gross.currency != currency:
                raise CurrencyMismatchError(
                    f"a {taxed.gross.currency} line cannot join a {currency} tax breakdown"
                )
            groups.setdefault(rate, []).append(taxed)
        entries = [
            TaxBreakdownEntry(
                rate=rate,
                net=total((t.net for t in items), currency),
                tax=total((t.tax for t in items), currency),
                gross=total((t.gross for t in items), currency),
            )
            for rate, items in groups.items()
        ]
        entries.sort(key=_entry_order)
        return cls(currency=currency, entries=tuple(entries))

    @property
    def net(self) -> Money:
        return total((e.net for e in self.entries), self.currency)

    @property
    def tax(self) -> Money:
        return total((e.tax for e in self.entries), self.currency)

    @property
    def gross(self) -> Money:
        return total((e.gross for e in self.entries), self.currency)


def _entry_order(entry: TaxBreakdownEntry) -> tuple[int, Decimal, str, str]:
    if entry.rate is None:
        return (1, Decimal(0), "", "")
    return (0, -entry.rate.rate, entry.rate.id, entry.rate.name)
