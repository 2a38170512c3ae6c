"""Money: integer minor units, one currency per calculation, exact parsing and splitting."""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction

import pytest
from babel.numbers import list_currencies
from hypothesis import given
from hypothesis import strategies as st

from pos.domain.currency import exponent
from pos.domain.errors import CurrencyMismatchError, DomainError
from pos.domain.money import MAX_MINOR, Money, round_half_up, total

CURRENCIES = st.sampled_from(["EUR", "USD", "GBP", "JPY", "KWD", "BHD", "CLF", "CHF"])
MINOR = st.integers(min_value=-(10**12), max_value=10**12)


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("19.99", "EUR", 1999),
        ("0.005", "EUR", 1),  # exact half goes up
        ("0.0049999", "EUR", 0),
        ("-0.005", "EUR", -1),  # and away from zero for negatives
        ("2.5", "JPY", 3),
        ("1.0005", "KWD", 1001),
        ("12", "USD", 1200),
        (".25", "GBP", 25),
        ("  7.10 ", "EUR", 710),
        ("+3", "EUR", 300),
        ("0.00005", "CLF", 1),
    ],
)
def test_from_decimal_rounds_half_up_to_the_minor_unit(text: str, currency: str, minor: int) -> None:
    assert Money.from_decimal(text, currency) == Money(minor, currency)


def test_from_decimal_accepts_decimals_and_ints() -> None:
    assert Money.from_decimal(Decimal("1E+3"), "EUR") == Money(100000, "EUR")
    assert Money.from_decimal(Decimal("-0.125"), "EUR") == Money(-13, "EUR")
    assert Money.from_decimal(Decimal("1E-999999"), "EUR") == Money(0, "EUR")
    assert Money.from_decimal(5, "JPY") == Money(5, "JPY")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("12.3.4", "more than one decimal point"),
        ("abc", "'abc' is not an amount"),
        ("1,50", "use '.' as the decimal point"),
        ("1e5", "'1e5' is not an amount"),
        ("", "an amount is required"),
        ("   ", "an amount is required"),
        ("NaN", "must be a finite number"),
        ("-Infinity", "must be a finite number"),
        (Decimal("NaN"), "must be a finite number"),
        (Decimal("sNaN"), "must be a finite number"),
        ("99999999999999999", "too many digits"),
        ("10000000000000.01", "too many digits"),
        (Decimal("1E+40"), "too many digits"),
    ],
)
def test_from_decimal_refuses_bad_input_with_a_clear_message(bad: object, message: str) -> None:
    with pytest.raises(DomainError, match=message) as caught:
        Money.from_decimal(bad, "EUR")  # type: ignore[arg-type]
    assert caught.value.field == "amount"


def test_exact_refuses_what_from_decimal_would_round() -> None:
    # The sell screen and the sell/shift commands both take typed amounts through Money.exact.
    assert Money.exact("5.90", "EUR") == Money(590, "EUR")
    assert Money.exact(Decimal("1E+3"), "JPY") == Money(1000, "JPY")
    for bad, currency in (("5.945", "EUR"), (Decimal("0.5"), "JPY"), ("1.0005", "KWD")):
        with pytest.raises(DomainError, match=f"more decimals than {currency} has") as caught:
            Money.exact(bad, currency)
        assert caught.value.field == "decimals"
    with pytest.raises(DomainError, match="is not an amount") as caught:
        Money.exact("1,5", "EUR")
    assert caught.value.field == "amount"


def test_the_largest_allowed_amount_parses() -> None:
    assert Money.from_decimal("10000000000000.00", "EUR").minor == MAX_MINOR
    assert Money.from_decimal("-10000000000000", "EUR").minor == -MAX_MINOR


@pytest.mark.parametrize("bad", [1.5, 0.1, float("nan")])
def test_floats_are_refused_everywhere(bad: float) -> None:
    with pytest.raises(TypeError, match="float"):
        Money.from_decimal(bad, "EUR")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="float"):
        Money(bad, "EUR")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="float"):
        Money(100, "EUR") * bad  # type: ignore[operator]
    with pytest.raises(TypeError, match="float"):
        Money(100, "EUR").allocate([bad, 1])  # type: ignore[list-item]


def test_constructor_refuses_non_int_minor_and_bad_currency() -> None:
    with pytest.raises(TypeError, match="minor must be an int"):
        Money(Decimal("1.00"), "EUR")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="minor must be an int"):
        Money(True, "EUR")
    with pytest.raises(DomainError, match="'eur' is not an ISO 4217 currency code"):
        Money(1, "eur")
    with pytest.raises(DomainError, match="'EURO' is not an ISO 4217"):
        Money(1, "EURO")
    with pytest.raises(TypeError, match="currency must be a str"):
        Money(1, None)  # type: ignore[arg-type]


def test_exponent_per_currency() -> None:
    assert [Money(0, c).exponent for c in ("EUR", "USD", "GBP", "JPY", "KRW", "KWD", "BHD", "CLF")] == [
        2, 2, 2, 0, 0, 3, 3, 4,
    ]  # fmt: skip
    assert Money(1999, "EUR").to_decimal() == Decimal("19.99")
    assert str(Money(1999, "EUR").to_decimal()) == "19.99"
    assert str(Money(5, "KWD")) == "0.005 KWD"
    assert str(Money(500, "JPY")) == "500 JPY"
    assert str(Money(0, "EUR")) == "0.00 EUR"


def test_format_uses_babel_locales() -> None:
    assert Money(123450, "EUR").format("en") == "€1,234.50"
    assert Money(123450, "EUR").format("de_DE") == "1.234,50\xa0€"
    assert Money(1234, "JPY").format("en") == "¥1,234"
    assert Money(-1999, "USD").format("en_US") == "-$19.99"


def test_arithmetic_within_one_currency() -> None:
    a, b = Money(1999, "EUR"), Money(1, "EUR")
    assert a + b == Money(2000, "EUR")
    assert a - b == Money(1998, "EUR")
    assert -a == Money(-1999, "EUR")
    assert abs(Money(-5, "EUR")) == Money(5, "EUR")
    assert a * 3 == Money(5997, "EUR") == 3 * a
    assert b < a and a > b and a >= a and b <= b
    assert total([a, b, b], "EUR") == Money(2001, "EUR")
    assert total([], "JPY") == Money(0, "JPY")


def test_mixing_currencies_raises() -> None:
    eur, usd = Money(100, "EUR"), Money(100, "USD")
    for operation in (lambda: eur + usd, lambda: eur - usd, lambda: eur < usd, lambda: eur >= usd):
        with pytest.raises(CurrencyMismatchError, match="USD and EUR"):
            operation()
    with pytest.raises(CurrencyMismatchError):
        total([eur, usd], "EUR")
    assert eur != usd  # equal minor units in different currencies are different amounts


def test_money_does_not_mix_with_plain_numbers() -> None:
    with pytest.raises(TypeError):
        Money(100, "EUR") + 1  # type: ignore[operator]
    with pytest.raises(TypeError, match="int quantity only"):
        Money(100, "EUR") * Decimal("1.2")  # type: ignore[operator]
    with pytest.raises(TypeError):
        Money(100, "EUR") * Money(2, "EUR")  # type: ignore[operator]
    with pytest.raises(TypeError):
        Money(100, "EUR") < 5  # type: ignore[operator]  # noqa: B015


def test_money_is_immutable_and_hashable() -> None:
    amount = Money(100, "EUR")
    with pytest.raises(AttributeError):
        amount.minor = 5  # type: ignore[misc]
    assert len({Money(100, "EUR"), Money(100, "EUR"), Money(100, "USD")}) == 2


@pytest.mark.parametrize(
    ("minor", "ratios", "parts"),
    [
        (100, [1, 1, 1], [34, 33, 33]),
        (-100, [1, 1, 1], [-34, -33, -33]),
        (5, [3, 7], [2, 3]),  # shares 1.5 and 3.5: tie on remainder, the earlier part wins
        (1, [1, 1], [1, 0]),
        (1000, [0, 1], [0, 1000]),
        (100, [1, 2], [33, 67]),  # 33.33 and 66.67: the left-over cent goes to the larger remainder
        (101, [Decimal("0.5"), Decimal("0.25"), Decimal("0.25")], [51, 25, 25]),
        (0, [1, 2], [0, 0]),
    ],
)
def test_allocate_examples(minor: int, ratios: list[int], parts: list[int]) -> None:
    assert Money(minor, "EUR").allocate(ratios) == tuple(Money(p, "EUR") for p in parts)


@pytest.mark.parametrize(
    ("ratios", "error", "message"),
    [
        ([], DomainError, "at least one ratio"),
        ([0, 0], DomainError, "must not all be zero"),
        ([1, -1], DomainError, "ratio -1 is negative"),
        ([Decimal("NaN")], DomainError, "not a finite number"),
        (["1"], TypeError, "ratio must be an int or a Decimal"),
        ("11", TypeError, "sequence of ints"),
    ],
)
def test_allocate_bad_ratios(ratios: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        Money(100, "EUR").allocate(ratios)  # type: ignore[arg-type]


@given(
    minor=MINOR,
    currency=CURRENCIES,
    ratios=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=20).filter(any),
)
def test_allocate_conserves_the_total_and_stays_within_one_unit(
    minor: int, currency: str, ratios: list[int]
) -> None:
    parts = Money(minor, currency).allocate(ratios)
    assert len(parts) == len(ratios)
    assert total(parts, currency) == Money(minor, currency)
    weight = sum(ratios)
    shares = [Fraction(abs(minor) * ratio, weight) for ratio in ratios]
    rounded_up = [abs(p.minor) > s for p, s in zip(parts, shares, strict=True)]
    for part, share, up in zip(parts, shares, rounded_up, strict=True):
        assert part.currency == currency
        assert abs(part.minor) == (math.ceil(share) if up else math.floor(share))
    # Largest remainder: no part rounded down has a larger remainder than a part rounded up.
    up_remainders = [s - math.floor(s) for s, up in zip(shares, rounded_up, strict=True) if up]
    down_remainders = [s - math.floor(s) for s, up in zip(shares, rounded_up, strict=True) if not up]
    if up_remainders and down_remainders:
        assert min(up_remainders) >= max(down_remainders)


@given(a=MINOR, b=MINOR, currency=CURRENCIES, other=CURRENCIES, quantity=st.integers(-1000, 1000))
def test_arithmetic_never_changes_currency_silently(
    a: int, b: int, currency: str, other: str, quantity: int
) -> None:
    x, y = Money(a, currency), Money(b, other)
    if currency == other:
        assert (x + y).currency == (x - y).currency == currency
        assert (x + y).minor == a + b and (x - y).minor == a - b
    else:
        with pytest.raises(CurrencyMismatchError):
            x + y
        with pytest.raises(CurrencyMismatchError):
            x - y
    assert (x * quantity) == Money(a * quantity, currency)
    assert (-x).currency == currency


@given(minor=MINOR, currency=CURRENCIES)
def test_decimal_round_trip_is_exact(minor: int, currency: str) -> None:
    amount = Money(minor, currency)
    assert Money.from_decimal(amount.to_decimal(), currency) == amount
    assert Money.from_decimal(str(amount.to_decimal()), currency) == amount


@given(st.integers(-(10**9), 10**9), st.integers(1, 10**6))
def test_round_half_up_is_symmetric_and_nearest(numerator: int, denominator: int) -> None:
    value = Fraction(numerator, denominator)
    rounded = round_half_up(value)
    assert abs(rounded - value) <= Fraction(1, 2)
    assert round_half_up(-value) == -rounded
    if abs(rounded - value) == Fraction(1, 2):
        assert abs(rounded) > abs(value)  # halves go away from zero


@pytest.mark.parametrize("locale", ["en", "de_DE", "hu_HU", "es_CO", "id_ID", "ja_JP"])
def test_format_shows_exactly_the_stored_amount_in_every_currency(locale: str) -> None:
    """Babel would round to CLDR's digits (HUF, COP, IDR… to whole units, IQD to none of its three
    places); the till shows, prints and charges the amount in the currency's own minor units."""
    for code in sorted(code for code in list_currencies() if re.fullmatch(r"[A-Z]{3}", code)):
        amount = Money(1234567, code)
        text = amount.format(locale)
        assert re.sub(r"\D", "", text) == "1234567", (code, text)  # every digit, none rounded away
        if exponent(code):
            assert re.search(rf"\d[.,]\d{{{exponent(code)}}}(?!\d)", text), (code, text)


def test_format_of_amounts_babel_would_round() -> None:
    assert Money(19950, "HUF").format("hu_HU") == "199,50\xa0Ft"
    assert Money(5, "HUF").format("hu_HU") == "0,05\xa0Ft"
    assert Money(1999950, "COP").format("es_CO") == "$19.999,50"
    assert Money(250, "IQD").format("en_US") == "IQD0.250"
    assert Money(1234550, "IDR").format("id_ID") == "Rp12.345,50"
