"""Cart totals: per-line tax, per-rate breakdown, and totals that add up to the cent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.domain.cart_totals import CartLine, cart_totals
from pos.domain.errors import CurrencyMismatchError, DomainError
from pos.domain.money import Money
from pos.domain.tax import TaxRate

STANDARD = TaxRate("std", "Standard", Decimal("20"))
REDUCED = TaxRate("red", "Reduced", Decimal("7"))
ODD = TaxRate("odd", "Odd", Decimal("8.875"))


def eur(minor: int) -> Money:
    return Money(minor, "EUR")


def test_inclusive_cart_to_the_cent() -> None:
    lines = [
        CartLine(eur(1999), 1, STANDARD),  # tax 3.33
        CartLine(eur(250), 3, REDUCED, discount=eur(50)),  # 7.00 gross: 7 * 7 / 107 = 0.4579 -> 0.46
        CartLine(eur(100), 2, None),
    ]
    totals = cart_totals(lines, currency="EUR", prices_include_tax=True)
    assert [(t.subtotal, t.discount, t.net, t.tax, t.total) for t in totals.lines] == [
        (eur(1999), eur(0), eur(1666), eur(333), eur(1999)),
        (eur(750), eur(50), eur(654), eur(46), eur(700)),
        (eur(200), eur(0), eur(200), eur(0), eur(200)),
    ]
    assert (totals.subtotal, totals.discount, totals.tax, totals.total) == (
        eur(2949),
        eur(50),
        eur(379),
        eur(2899),
    )
    assert totals.net == eur(2520)
    assert [(e.rate, e.tax) for e in totals.breakdown.entries] == [
        (STANDARD, eur(333)),
        (REDUCED, eur(46)),
        (None, eur(0)),
    ]


def test_exclusive_cart_to_the_cent() -> None:
    lines = [
        CartLine(eur(5), 1, REDUCED),  # 0.35 cents -> 0.00
        CartLine(eur(5), 1, REDUCED),
        CartLine(eur(5), 1, REDUCED),
        CartLine(eur(1000), 1, ODD),  # 88.75 -> 89 (half up)
    ]
    totals = cart_totals(lines, currency="EUR", prices_include_tax=False)
    assert [t.tax for t in totals.lines] == [eur(0), eur(0), eur(0), eur(89)]
    assert (totals.subtotal, totals.tax, totals.total) == (eur(1015), eur(89), eur(1104))
    assert totals.breakdown.entries[0].rate == ODD  # 8.875 % sorts above 7 %


def test_an_empty_cart_is_zero() -> None:
    totals = cart_totals([], currency="JPY", prices_include_tax=True)
    assert totals.total == Money(0, "JPY") and totals.lines == () and totals.breakdown.entries == ()


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: CartLine(eur(100), 0), DomainError, "quantity 0 must be at least 1"),
        (lambda: CartLine(eur(100), -2), DomainError, "quantity -2 must be at least 1"),
        (lambda: CartLine(eur(100), 1.5), TypeError, "quantity must be an int"),
        (lambda: CartLine(eur(100), True), TypeError, "quantity must be an int"),
        (lambda: CartLine(eur(-100), 1), DomainError, "must not be negative"),
        (lambda: CartLine(eur(100), 2, discount=eur(201)), DomainError, "more than the line's 2.00 EUR"),
        (
            lambda: CartLine(eur(100), 1, discount=eur(-1)),
            DomainError,
            "discount -0.01 EUR must not be negative",
        ),
        (lambda: CartLine(eur(100), 1, discount=Money(1, "USD")), CurrencyMismatchError, "USD discount"),
        (lambda: CartLine(100, 1), TypeError, "unit_price must be Money"),
        (lambda: CartLine(eur(100), 1, tax_rate=Decimal(20)), TypeError, "tax_rate must be a TaxRate"),
    ],
)
def test_bad_lines_are_refused(make: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        make()  # type: ignore[operator]


def test_a_line_in_another_currency_is_refused() -> None:
    with pytest.raises(CurrencyMismatchError, match="line 2 is in USD, the cart in EUR"):
        cart_totals(
            [CartLine(eur(1), 1), CartLine(Money(1, "USD"), 1)], currency="EUR", prices_include_tax=True
        )
    with pytest.raises(TypeError, match="line 1 must be a CartLine"):
        cart_totals([eur(1)], currency="EUR", prices_include_tax=True)  # type: ignore[list-item]


# --- properties ---------------------------------------------------------------------------------

RATES = st.sampled_from([STANDARD, REDUCED, ODD, TaxRate("z", "Zero", Decimal(0)), None])


@st.composite
def cart_lines(draw: st.DrawFn, currency: str = "EUR") -> CartLine:
    unit = draw(st.integers(min_value=0, max_value=10**7))
    quantity = draw(st.integers(min_value=1, max_value=1000))
    discount = draw(st.integers(min_value=0, max_value=unit * quantity))
    return CartLine(Money(unit, currency), quantity, draw(RATES), Money(discount, currency))


@given(lines=st.lists(cart_lines(), max_size=40), inclusive=st.booleans())
def test_line_totals_add_up_to_the_cart_total_to_the_cent(lines: list[CartLine], inclusive: bool) -> None:
    totals = cart_totals(lines, currency="EUR", prices_include_tax=inclusive)
    assert sum(t.total.minor for t in totals.lines) == totals.total.minor
    assert sum(t.tax.minor for t in totals.lines) == totals.tax.minor == totals.breakdown.tax.minor
    assert totals.net + totals.tax == totals.total
    expected = totals.subtotal - totals.discount + (Money.zero("EUR") if inclusive else totals.tax)
    assert totals.total == expected
    # Independently of the code under test: what the customer pays per line.
    for line, priced in zip(lines, totals.lines, strict=True):
        basis = line.unit_price.minor * line.quantity - line.discount.minor  # type: ignore[union-attr]
        assert (priced.gross if inclusive else priced.net).minor == basis


@given(lines=st.lists(cart_lines(), min_size=1, max_size=20), inclusive=st.booleans(), data=st.data())
def test_totals_do_not_depend_on_line_order(
    lines: list[CartLine], inclusive: bool, data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(lines))
    a = cart_totals(lines, currency="EUR", prices_include_tax=inclusive)
    b = cart_totals(shuffled, currency="EUR", prices_include_tax=inclusive)
    assert (a.total, a.tax, a.net, a.breakdown) == (b.total, b.tax, b.net, b.breakdown)
