"""Money: an integer count of minor units (cents) plus an ISO 4217 currency. Never a float.

Amounts of different currencies never mix: adding, subtracting or comparing them raises
CurrencyMismatchError instead of quietly producing a number in one of them. Floats are refused
with a TypeError wherever an amount or a quantity is expected, because 0.1 + 0.2 != 0.3.

Rounding is "half up" in the commercial sense: halves go away from zero (2.5 -> 3, -2.5 -> -3),
so a refund rounds exactly like the sale it reverses.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from functools import lru_cache
from typing import Any

from pos.domain.currency import check_currency, exponent
from pos.domain.errors import CurrencyMismatchError, DomainError

# The wire protocol bounds amounts to +-10**15 minor units; so do parsers here.
MAX_MINOR = 10**15
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_HALF = Fraction(1, 2)


def format_amount(minor: int, currency: str, locale: str) -> str:
    """`minor` units of `currency` in `locale`'s currency format, with exactly the currency's own
    decimal places: 19950 HUF -> "199,50 Ft" (hu_HU).

    Babel rounds to CLDR's cash digits instead (HUF, COP, IDR and ~25 others to whole units, IQD
    to none of its three), which would show an amount other than the one stored and charged.
    """
    from babel.numbers import format_currency  # babel loads locale data lazily; keep import cheap

    places = exponent(currency)
    return format_currency(Decimal(minor).scaleb(-places), currency, format=_pattern(locale, places),
                           locale=locale, currency_digits=False)


@lru_cache(maxsize=64)
def _pattern(locale: str, places: int) -> Any:  # a babel NumberPattern
    from copy import copy

    from babel import Locale

    pattern = copy(Locale.parse(locale).currency_formats["standard"])
    pattern.frac_prec = (places, places)
    return pattern


def round_half_up(value: Fraction | Decimal | int) -> int:
    """Round an exact number to the nearest integer, halves away from zero."""
    exact = Fraction(value)
    magnitude = math.floor(abs(exact) + _HALF)
    return magnitude if exact >= 0 else -magnitude


def _reject_float(value: object, what: str) -> None:
    if isinstance(value, float):
        raise TypeError(f"{what} must not be a float ({value!r}): use a Decimal, a str or an int")


@dataclass(frozen=True, slots=True)
class Money:
    """`minor` units of `currency`: Money(1999, "EUR") is 19.99 EUR, Money(500, "JPY") is 500 JPY."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        _reject_float(self.minor, "Money.minor")
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise TypeError(
                f"Money.minor must be an int count of minor units, not {type(self.minor).__name__}; "
                "use Money.from_decimal() for decimal amounts"
            )
        check_currency(self.currency)

    # --- construction ------------------------------------------------------------------------

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def from_decimal(cls, value: Decimal | str | int, currency: str) -> Money:
        """Parse "12.34" or Decimal("12.345") into minor units, rounding half up to the minor unit.

        Accepts a Decimal, an int (whole units) or a plain decimal string with an optional sign
        ("-3.5", "12", ".25"). Refuses floats (TypeError) and, with a ValueError saying why,
        anything else: "12.3.4", "abc", "1,5", NaN, infinities and amounts beyond +-10**15 minor units.
        """
        _reject_float(value, "an amount")
        places = exponent(currency)
        number = _to_decimal(value)
        if number.adjusted() > 30 or abs(number).scaleb(places) > MAX_MINOR:
            limit = Decimal(MAX_MINOR).scaleb(-places)
            raise DomainError(
                f"{str(value)!r} has too many digits: amounts in {currency} must lie within +-{limit}",
                field="amount",
            )
        with localcontext() as ctx:
            # quantize rounds the exact operand; 60 digits hold any amount under the bound above
            ctx.prec = 60
            rounded = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        return cls(int(rounded.scaleb(places)), currency)

    @classmethod
    def exact(cls, value: Decimal | str | int, currency: str) -> Money:
        """from_decimal, but an amount with more decimals than `currency` is refused (DomainError,
        field "decimals") instead of rounded: a typed 5.945 euros is a typing mistake, not 5.95."""
        amount = cls.from_decimal(value, currency)
        if amount.to_decimal() != _to_decimal(value):
            raise DomainError(f"more decimals than {currency} has", field="decimals")
        return amount

    # --- conversion --------------------------------------------------------------------------

    @property
    def exponent(self) -> int:
        return exponent(self.currency)

    def to_decimal(self) -> Decimal:
        """The exact amount in major units: Money(1999, "EUR") -> Decimal("19.99")."""
        return Decimal(self.minor).scaleb(-self.exponent)

    def format(self, locale: str = "en") -> str:
        """The amount as a person in `locale` writes it: "€19.99" (en), "19,99 €" (de_DE)."""
        return format_amount(self.minor, self.currency, locale)

    def __str__(self) -> str:
        return f"{self.to_decimal()} {self.currency}"

    # --- arithmetic within one currency --------------------------------------------------------

    def _same(self, other: Money, operation: str) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatchError(
                f"cannot {operation} {other.currency} and {self.currency} amounts: convert first"
            )

    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "add")
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "subtract")
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.minor), self.currency)

    def __mul__(self, quantity: object) -> Money:
        _reject_float(quantity, "a quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            if isinstance(quantity, Decimal | Fraction):
                raise TypeError(
                    "Money multiplies by an int quantity only; rates and percentages need an explicit "
                    "rounding rule (see pos.domain.tax)"
                )
            return NotImplemented
        return Money(self.minor * quantity, self.currency)

    __rmul__ = __mul__

    def _compare(self, other: object) -> int | None:
        if not isinstance(other, Money):
            return None
        self._same(other, "compare")
        return (self.minor > other.minor) - (self.minor < other.minor)

    def __lt__(self, other: object) -> bool:
        result = self._compare(other)
        return NotImplemented if result is None else result < 0

    def __le__(self, other: object) -> bool:
        result = self._compare(other)
        return NotImplemented if result is None else result <= 0

    def __gt__(self, other: object) -> bool:
        result = self._compare(other)
        return NotImplemented if result is None else result > 0

    def __ge__(self, other: object) -> bool:
        result = self._compare(other)
        return NotImplemented if result is None else result >= 0

    @property
    def is_zero(self) -> bool:
        return self.minor == 0

    @property
    def is_negative(self) -> bool:
        return self.minor < 0

    # --- splitting -------------------------------------------------------------------------

    def allocate(self, ratios: Sequence[int | Decimal]) -> tuple[Money, ...]:
        """Split into parts proportional to `ratios` without losing or creating a minor unit.

        Largest remainder method: each part gets the floor of its exact share, then the units left
        over go one each to the parts with the largest fractional remainders (earlier parts win ties).
        Money(100, "EUR").allocate([1, 1, 1]) -> 0.34, 0.33, 0.33. A negative amount splits like its
        absolute value, negated.
        """
        weights = _check_ratios(ratios)
        total_weight = sum(weights)
        magnitude = abs(self.minor)
        shares = [Fraction(magnitude) * w / total_weight for w in weights]
        parts = [math.floor(share) for share in shares]
        left_over = magnitude - sum(parts)
        by_remainder = sorted(range(len(parts)), key=lambda i: (-(shares[i] - parts[i]), i))
        for index in by_remainder[:left_over]:
            parts[index] += 1
        sign = -1 if self.minor < 0 else 1
        return tuple(Money(sign * part, self.currency) for part in parts)


def total(amounts: Iterable[Money], currency: str) -> Money:
    """Sum of `amounts`, all in `currency` (an empty iterable sums to zero)."""
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result


def _to_decimal(value: Decimal | str | int) -> Decimal:
    if isinstance(value, bool):
        raise TypeError("an amount must be a Decimal, a str or an int, not a bool")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, str):
        number = _parse_amount(value)
    else:
        raise TypeError(f"an amount must be a Decimal, a str or an int, not {type(value).__name__}")
    if not number.is_finite():
        raise DomainError(f"{str(value)!r} is not an amount: it must be a finite number", field="amount")
    return number


def _parse_amount(text: str) -> Decimal:
    stripped = text.strip()
    if not stripped:
        raise DomainError("an amount is required (got an empty text)", field="amount")
    if stripped.lower().lstrip("+-") in {"nan", "snan", "inf", "infinity"}:
        raise DomainError(f"{text!r} is not an amount: it must be a finite number", field="amount")
    if not _PLAIN_NUMBER.match(stripped):
        if stripped.count(".") > 1:
            reason = "it has more than one decimal point"
        elif "," in stripped:
            reason = "use '.' as the decimal point and no thousands separators"
        else:
            reason = "use digits with an optional sign and one '.', such as 12.34"
        raise DomainError(f"{text!r} is not an amount: {reason}", field="amount")
    return Decimal(stripped)


def _check_ratios(ratios: Sequence[int | Decimal]) -> list[Fraction]:
    if isinstance(ratios, str | bytes) or not isinstance(ratios, Sequence):
        raise TypeError("ratios must be a sequence of ints or Decimals")
    if not ratios:
        raise DomainError("allocate needs at least one ratio", field="ratios")
    weights = []
    for ratio in ratios:
        _reject_float(ratio, "a ratio")
        if isinstance(ratio, bool) or not isinstance(ratio, int | Decimal):
            raise TypeError(f"a ratio must be an int or a Decimal, not {type(ratio).__name__}")
        if isinstance(ratio, Decimal) and not ratio.is_finite():
            raise DomainError(f"ratio {ratio} is not a finite number", field="ratios")
        if ratio < 0:
            raise DomainError(f"ratio {ratio} is negative; ratios must be zero or more", field="ratios")
        weights.append(Fraction(ratio))
    if sum(weights) == 0:
        raise DomainError("ratios must not all be zero", field="ratios")
    return weights
