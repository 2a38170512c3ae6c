"""The cart: merging scans, quantities, line and cart discounts, totals to the cent, parking form."""

from __future__ import annotations

from decimal import Decimal

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.domain.cart import MAX_QUANTITY, Cart, CartItem, Discount, new_item
from pos.domain.errors import CurrencyMismatchError, DomainError
from pos.domain.money import Money
from pos.domain.tax import TaxRate

STANDARD = TaxRate("std", "Standard", Decimal("20"))
REDUCED = TaxRate("red", "Reduced", Decimal("5"))


def eur(minor: int) -> Money:
    return Money(minor, "EUR")


def item(variant: str | None = "v1", price: int = 1000, quantity: int = 1, rate=STANDARD, **kw) -> CartItem:
    return new_item(
        variant_id=variant, product_id="p", sku=f"SKU-{variant}", title=f"Item {variant}",
        unit_price=eur(price), tax_rate=rate, quantity=quantity, **kw,
    )  # fmt: skip


def test_the_same_variant_merges_into_one_line() -> None:
    cart = Cart("EUR", True)
    first = cart.add(item("v1"))
    merged = cart.add(item("v1", quantity=2))
    assert merged.line_id == first.line_id and merged.quantity == 3
    assert len(cart.items) == 1 and cart.totals().total == eur(3000)


def test_lines_that_must_stay_apart_do() -> None:
    cart = Cart("EUR", True)
    cart.add(item("v1", fixed_price=True))
    cart.add(item("v1", fixed_price=True))  # two weighed packs are two lines
    discounted = cart.add(item("v2"))
    cart.set_line_discount(discounted.line_id, Discount.percent(10))
    cart.add(item("v2"))  # a discounted line does not swallow the next scan
    cart.add(item(None))
    cart.add(item(None))  # open items without a variant never merge
    cart.add(item("v3", price=1000))
    cart.add(item("v3", price=1100))  # the price changed between scans
    assert len(cart.items) == 8


def test_set_quantity_remove_and_clear() -> None:
    cart = Cart("EUR", False)
    line = cart.add(item("v1"))
    other = cart.add(item("v2", price=250, rate=REDUCED))
    assert cart.set_quantity(line.line_id, 4).quantity == 4
    assert cart.totals().subtotal == eur(4250)
    cart.remove(other.line_id)
    assert [i.variant_id for i in cart.items] == ["v1"]
    cart.customer_id = "c1"
    cart.set_discount(Discount.percent(5))
    cart.clear()
    assert cart.is_empty and cart.customer_id is None and cart.discount is None


@pytest.mark.parametrize("quantity", [0, -1, MAX_QUANTITY + 1])
def test_bad_quantities_leave_the_cart_unchanged(quantity: int) -> None:
    cart = Cart("EUR", True)
    line = cart.add(item("v1", quantity=2))
    before = cart.to_dict()
    with pytest.raises(DomainError, match="quantity"):
        cart.set_quantity(line.line_id, quantity)
    assert cart.to_dict() == before


@pytest.mark.parametrize("quantity", ["2", 1.0, True, None])
def test_non_integer_quantities_are_refused(quantity: object) -> None:
    cart = Cart("EUR", True)
    line = cart.add(item("v1"))
    with pytest.raises(DomainError, match="whole number"):
        cart.set_quantity(line.line_id, quantity)  # type: ignore[arg-type]


def test_a_merge_beyond_the_maximum_quantity_is_refused() -> None:
    cart = Cart("EUR", True)
    cart.add(item("v1", quantity=MAX_QUANTITY))
    before = cart.to_dict()
    with pytest.raises(DomainError, match="more than"):
        cart.add(item("v1"))
    assert cart.to_dict() == before


def test_a_weighed_line_keeps_quantity_one() -> None:
    cart = Cart("EUR", True)
    line = cart.add(item("v1", fixed_price=True))
    with pytest.raises(DomainError, match="scale"):
        cart.set_quantity(line.line_id, 2)


def test_unknown_lines_and_other_currencies_are_refused() -> None:
    cart = Cart("EUR", True)
    with pytest.raises(DomainError, match="no longer in the cart"):
        cart.remove("nope")
    with pytest.raises(CurrencyMismatchError):
        cart.add(new_item(variant_id="v", product_id=None, sku="S", title="T", unit_price=Money(1, "USD"),
                          tax_rate=None))  # fmt: skip
    assert cart.is_empty


@pytest.mark.parametrize("value", ["0", "-5", "100.01", "abc", "NaN", "1e400", "12.34567"])
def test_bad_percentages(value: str) -> None:
    with pytest.raises(DomainError):
        Discount.percent(value)


def test_bad_discount_amounts() -> None:
    with pytest.raises(DomainError, match="more than zero"):
        Discount.amount(eur(0))
    with pytest.raises(TypeError):
        Discount.percent(10.0)  # type: ignore[arg-type]


def test_a_line_discount_may_not_exceed_the_line() -> None:
    cart = Cart("EUR", True)
    line = cart.add(item("v1", price=500, quantity=2))
    with pytest.raises(DomainError, match="more than the line"):
        cart.set_line_discount(line.line_id, Discount.amount(eur(1001)))
    cart.set_line_discount(line.line_id, Discount.amount(eur(1000)))
    assert cart.totals().total == eur(0)


def test_line_percent_discount_rounds_half_up() -> None:
    cart = Cart("EUR", True)
    line = cart.add(item("v1", price=1005))
    cart.set_line_discount(line.line_id, Discount.percent("10"))  # 100.5 cents -> 1.01
    assert cart.totals().lines[0].discount == eur(101)


def test_cart_discount_is_split_over_lines_by_their_amounts() -> None:
    cart = Cart("EUR", True)
    cart.add(item("v1", price=1000))
    cart.add(item("v2", price=2000, rate=REDUCED))
    cart.add(item("v3", price=0))
    cart.set_discount(Discount.amount(eur(100)))
    assert [line.discount for line in cart.totals().lines] == [eur(33), eur(67), eur(0)]
    cart.set_discount(Discount.percent("10"))
    totals = cart.totals()
    assert [line.discount for line in totals.lines] == [eur(100), eur(200), eur(0)]
    assert totals.total == eur(2700)


def test_cart_discount_larger_than_the_cart_is_refused() -> None:
    cart = Cart("EUR", True)
    cart.add(item("v1", price=1000))
    with pytest.raises(DomainError, match="more than the cart"):
        cart.set_discount(Discount.amount(eur(1001)))
    assert cart.discount is None


def test_the_cart_survives_json_exactly() -> None:
    cart = Cart("EUR", False, customer_id="c1")
    line = cart.add(item("v1", price=1234, quantity=3))
    cart.add(item("v2", price=99, rate=None, fixed_price=True))
    cart.set_line_discount(line.line_id, Discount.percent("12.5"))
    cart.set_discount(Discount.amount(eur(50)))
    again = Cart.from_dict(orjson.loads(orjson.dumps(cart.to_dict())))
    assert again == cart and again.totals() == cart.totals()


# --- properties --------------------------------------------------------------------------------

RATES = st.sampled_from([None, STANDARD, REDUCED, TaxRate("odd", "Odd", Decimal("8.875"))])
DISCOUNTS = st.one_of(
    st.none(),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100), places=2).map(Discount.percent),
    st.integers(min_value=1, max_value=50_000).map(lambda m: Discount.amount(eur(m))),
)


@st.composite
def carts(draw: st.DrawFn) -> Cart:
    cart = Cart("EUR", draw(st.booleans()))
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        added = cart.add(item(
            draw(st.sampled_from(["v1", "v2", "v3", None])), draw(st.integers(0, 100_000)),
            draw(st.integers(1, 20)), draw(RATES), fixed_price=draw(st.booleans()),
        ))  # fmt: skip
        discount = draw(DISCOUNTS)
        try:
            cart.set_line_discount(added.line_id, discount)
        except DomainError:
            pass  # larger than the line: refused, as the screen would
    try:
        cart.set_discount(draw(DISCOUNTS))
    except DomainError:
        pass
    return cart


@given(carts())
def test_totals_add_up_to_the_cent(cart: Cart) -> None:
    totals = cart.totals()
    lines_total = sum(line.total.minor for line in totals.lines)
    assert lines_total == totals.total.minor
    tax_on_top = 0 if cart.prices_include_tax else totals.tax.minor
    assert totals.total.minor == totals.subtotal.minor - totals.discount.minor + tax_on_top
    assert all(Money.zero("EUR") <= line.discount <= line.subtotal for line in totals.lines)
    own = sum(i.line_discount().minor for i in cart.items)
    if cart.discount is None:
        assert totals.discount.minor == own
    else:
        base = sum(i.amount.minor - i.line_discount().minor for i in cart.items)
        assert totals.discount.minor == own + cart.discount.of(eur(base)).minor


@given(carts())
def test_every_cart_round_trips_through_json(cart: Cart) -> None:
    assert Cart.from_dict(orjson.loads(orjson.dumps(cart.to_dict()))) == cart
