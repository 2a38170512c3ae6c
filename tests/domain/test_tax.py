"""Tax: the per-line, half-up rule for tax-inclusive and tax-exclusive prices, and per-rate sums."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from pos.domain.errors import CurrencyMismatchError, DomainError
from pos.domain.money import Money
from pos.domain.tax import LineTax, TaxBreakdown, TaxRate, line_tax, parse_rate

STANDARD = TaxRate("std", "Standard", Decimal("20"))
REDUCED = TaxRate("red", "Reduced", Decimal("7"))
ZERO = TaxRate("zero", "Zero", Decimal("0"))

# Rates as the wire carries them: up to three integer digits and four decimals, below 200 %.
RATES = st.decimals(min_value=0, max_value=Decimal("199.9999"), places=4, allow_nan=False)
# Small amounts hit exact halves often; large ones (up to the wire's bound) defeat float shortcuts.
MINOR = st.integers(min_value=-1000, max_value=1000) | st.integers(min_value=-(10**15), max_value=10**15)


def eur(minor: int) -> Money:
    return Money(minor, "EUR")


@pytest.mark.parametrize(
    ("amount", "rate", "inclusive", "net", "tax", "gross"),
    [
        # 1999 * 20 / 120 = 333.17 cents
        (1999, "20", True, 1666, 333, 1999),
        # 5 * 7 / 100 = 0.35 cents: rounds to nothing
        (5, "7", False, 5, 0, 5),
        # exact halves go up: 0.5, 1.5, 2.5 cents (banker's rounding would give 0, 2, 2)
        (5, "10", False, 5, 1, 6),
        (15, "10", False, 15, 2, 17),
        (25, "10", False, 25, 3, 28),
        # inclusive exact halves: 3 * 20 / 120 = 0.5 and 1 * 100 / 200 = 0.5
        (3, "20", True, 2, 1, 3),
        (1, "100", True, 0, 1, 1),
        # refunds round symmetrically: -2.5 cents -> -3
        (-25, "10", False, -25, -3, -28),
        (-1999, "20", True, -1666, -333, -1999),
        # fractional rates
        (1000, "7.25", False, 1000, 73, 1073),  # 72.5 -> 73
        (1073, "7.25", True, 1000, 73, 1073),  # 1073 * 7.25 / 107.25 = 72.54
        (10000, "19", True, 8403, 1597, 10000),  # 1596.64
        (0, "20", True, 0, 0, 0),
        (1234, "0", False, 1234, 0, 1234),
        # large amounts where a float calculation lands on the wrong side of the half
        (794220213869662, "7.25", False, 794220213869662, 57580965505550, 851801179375212),
        (880578218892764, "7.25", True, 821051952347566, 59526266545198, 880578218892764),
    ],
)
def test_line_tax_examples_to_the_cent(
    amount: int, rate: str, inclusive: bool, net: int, tax: int, gross: int
) -> None:
    assert line_tax(eur(amount), Decimal(rate), inclusive) == LineTax(eur(net), eur(tax), eur(gross))


def test_line_tax_in_other_currencies_rounds_to_their_minor_unit() -> None:
    # 999 JPY at 10 % inclusive: 90.8 yen -> 91
    assert line_tax(Money(999, "JPY"), Decimal(10), True).tax == Money(91, "JPY")
    # 1.000 KWD at 5 % exclusive: 50 fils exactly
    assert line_tax(Money(1000, "KWD"), Decimal(5), False).tax == Money(50, "KWD")


def test_line_tax_accepts_a_tax_rate_a_decimal_or_none() -> None:
    assert line_tax(eur(1000), STANDARD, False).tax == eur(200)
    assert line_tax(eur(1000), "20", False).tax == eur(200)
    assert line_tax(eur(1000), None, True) == LineTax(eur(1000), eur(0), eur(1000))


def test_tax_is_rounded_per_line_not_on_the_total() -> None:
    # Three lines of 0.05 at 7 %: each carries 0.35 cents -> 0.00. Rounding the 0.15 total would
    # give 1.05 cents -> 0.01. The documented rule is per line.
    lines = [(REDUCED, line_tax(eur(5), REDUCED, False)) for _ in range(3)]
    assert TaxBreakdown.of(lines, "EUR").tax == eur(0)


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        ("abc", DomainError, "'abc' is not a tax rate"),
        ("-1", DomainError, "out of range"),
        ("1000", DomainError, "out of range"),
        ("7.12345", DomainError, "more than 4 decimal places"),
        ("NaN", DomainError, "finite number"),
        (Decimal("Infinity"), DomainError, "finite number"),
        (0.2, TypeError, "must not be a float"),
        (True, TypeError, "not bool"),
        (None, TypeError, "not NoneType"),
    ],
)
def test_bad_rates_are_refused_clearly(bad: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        parse_rate(bad)  # type: ignore[arg-type]
    with pytest.raises(error, match=message):
        TaxRate("r", "Rate", bad)  # type: ignore[arg-type]


def test_tax_rate_parses_strings_and_needs_an_id() -> None:
    assert TaxRate("r", "Reduced", "7.25").rate == Decimal("7.25")  # type: ignore[arg-type]
    assert TaxRate("r", "Reduced", 20).rate == Decimal(20)  # type: ignore[arg-type]
    with pytest.raises(DomainError, match="needs an id"):
        TaxRate(" ", "Reduced", Decimal(7))


def test_line_tax_refuses_non_money() -> None:
    with pytest.raises(TypeError, match="amount must be Money"):
        line_tax(1999, STANDARD, True)  # type: ignore[arg-type]


def test_breakdown_sums_per_rate_highest_rate_first() -> None:
    taxed = [
        (REDUCED, line_tax(eur(1070), REDUCED, True)),
        (STANDARD, line_tax(eur(1999), STANDARD, True)),
        (None, line_tax(eur(500), None, True)),
        (STANDARD, line_tax(eur(1), STANDARD, True)),
    ]
    breakdown = TaxBreakdown.of(taxed, "EUR")
    assert [(e.rate, e.net, e.tax, e.gross) for e in breakdown.entries] == [
        (STANDARD, eur(1666 + 1), eur(333 + 0), eur(2000)),
        (REDUCED, eur(1000), eur(70), eur(1070)),
        (None, eur(500), eur(0), eur(500)),
    ]
    assert (breakdown.net, breakdown.tax, breakdown.gross) == (eur(3167), eur(403), eur(3570))
    assert TaxBreakdown.of(list(reversed(taxed)), "EUR") == breakdown
    assert TaxBreakdown.of([], "EUR").tax == eur(0)


def test_breakdown_refuses_lines_in_another_currency() -> None:
    with pytest.raises(CurrencyMismatchError, match="USD line cannot join a EUR"):
        TaxBreakdown.of([(STANDARD, line_tax(Money(100, "USD"), STANDARD, False))], "EUR")


# --- properties ---------------------------------------------------------------------------------


@given(amount=MINOR, rate=RATES, inclusive=st.booleans())
@example(amount=840425464401714, rate=Decimal(19), inclusive=True)
@example(amount=827332467421707, rate=Decimal("8.875"), inclusive=False)
def test_every_line_splits_exactly_and_tax_is_the_nearest_minor_unit(
    amount: int, rate: Decimal, inclusive: bool
) -> None:
    from fractions import Fraction

    taxed = line_tax(eur(amount), rate, inclusive)
    assert taxed.net + taxed.tax == taxed.gross
    r = Fraction(rate)
    exact = Fraction(amount) * r / (100 + r) if inclusive else Fraction(amount) * r / 100
    assert abs(taxed.tax.minor - exact) <= Fraction(1, 2)
    assert line_tax(eur(-amount), rate, inclusive).tax == -taxed.tax  # refunds mirror sales


@given(net=MINOR, rate=RATES)
@example(net=1666, rate=Decimal(20))
@example(net=5, rate=Decimal(10))  # an exact half on the way out
def test_exclusive_gross_priced_inclusive_gives_back_the_same_net_and_tax(net: int, rate: Decimal) -> None:
    """For EVERY net and rate: price a net exclusive, get gross G; price G inclusive at the same
    rate; the net and the tax come back unchanged.

    Why it holds: with t = round(N*r/100) = N*r/100 + e, |e| <= 1/2, the inclusive tax of
    G = N + t is exactly G*r/(100+r) = t - e*100/(100+r), which lies strictly closer than 1/2 to t
    when r > 0, so it rounds to t. An implementation that rounds differently per mode, divides by
    100 instead of 100 + r, or goes through floats breaks it.
    """
    exclusive = line_tax(eur(net), rate, inclusive=False)
    assert line_tax(exclusive.gross, rate, inclusive=True) == exclusive


@given(gross=MINOR, rate=RATES)
def test_inclusive_net_priced_exclusive_misses_the_gross_by_at_most_one_unit(
    gross: int, rate: Decimal
) -> None:
    """The converse is only true for "round" gross prices, those some net produces: re-pricing the
    inclusive net exclusive gives the gross back exactly when the gross is such a price, and is
    otherwise one minor unit off (for rates below 200 %)."""
    inclusive = line_tax(eur(gross), rate, inclusive=True)
    again = line_tax(inclusive.net, rate, inclusive=False)
    assert abs(again.gross.minor - gross) <= 1
    if again.gross.minor == gross:
        assert again == inclusive
    else:
        # G is not a round price: no net at all produces it (the nets either side of ours miss too).
        produced = {line_tax(eur(inclusive.net.minor + d), rate, False).gross.minor for d in (-1, 0, 1)}
        assert gross not in produced


def test_not_every_gross_is_a_round_price() -> None:
    # At 20 % the exclusive grosses step 1.2 cents per cent of net, so some grosses are never
    # produced; the property above would be vacuous if none existed.
    produced = {line_tax(eur(n), STANDARD, False).gross.minor for n in range(0, 1000)}
    missing = [g for g in range(0, 1000) if g not in produced]
    assert missing[:3] == [3, 9, 15]
    inclusive = line_tax(eur(3), STANDARD, True)
    assert line_tax(inclusive.net, STANDARD, False).gross == eur(2)


@given(
    lines=st.lists(
        st.tuples(MINOR, st.sampled_from([STANDARD, REDUCED, ZERO, None])), min_size=0, max_size=30
    ),
    inclusive=st.booleans(),
)
def test_breakdown_tax_equals_the_sum_of_line_taxes(
    lines: list[tuple[int, TaxRate | None]], inclusive: bool
) -> None:
    taxed = [(rate, line_tax(eur(amount), rate, inclusive)) for amount, rate in lines]
    breakdown = TaxBreakdown.of(taxed, "EUR")
    assert breakdown.tax.minor == sum(t.tax.minor for _, t in taxed)
    assert breakdown.net.minor == sum(t.net.minor for _, t in taxed)
    assert breakdown.net + breakdown.tax == breakdown.gross
    assert len(breakdown.entries) == len({rate for rate, _ in taxed})
    for entry in breakdown.entries:
        assert entry.net + entry.tax == entry.gross


@given(st.integers(min_value=1, max_value=10**9))
def test_positive_amounts_never_carry_negative_tax(amount: int) -> None:
    for inclusive in (False, True):
        taxed = line_tax(eur(amount), STANDARD, inclusive)
        assert 0 <= taxed.tax.minor <= taxed.gross.minor
