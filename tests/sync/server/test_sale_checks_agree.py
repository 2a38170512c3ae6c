"""The shop's checks of a pushed sale accept every sale the till's own domain builds.

The shop bounds each line's tax by its rate (sync.server.push_checks): a till whose rounding it
refused would have every such sale stuck in its outbox. Carts with several rates (zero and none
too), both tax modes, scale items, line and cart discounts of both kinds.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from pos.domain.cart import Cart, Discount, new_item
from pos.domain.money import Money
from pos.domain.sale import build_sale
from pos.domain.tax import TaxRate
from pos.domain.tender import Tender, settle
from sync.protocol import MUTATION_PAYLOADS
from sync.server.push_checks import check_sale

RATES = [
    None, TaxRate("z", "Zero", "0"), TaxRate("s", "Standard", "20"), TaxRate("r", "Reduced", "7.25"),
    TaxRate("t", "Tiny", "0.0001"), TaxRate("h", "Huge", "999.9999"), TaxRate("c", "Swiss", "7.7"),
]  # fmt: skip
PERCENTS = ["1", "12.5", "33.3333", "50", "99.9999", "100"]

line = st.fixed_dictionaries({
    "price": st.one_of(st.sampled_from([0, 1, 3, 5, 99, 1999]), st.integers(0, 10**6)),
    "rate": st.sampled_from(RATES),
    "quantity": st.integers(1, 50),
    "scale": st.booleans(),
    "discount": st.one_of(st.none(), st.sampled_from(PERCENTS), st.floats(0.01, 1.0)),
})  # fmt: skip
cart_discount = st.one_of(st.none(), st.sampled_from(PERCENTS), st.floats(0.01, 1.0))


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(line, min_size=1, max_size=6), discount=cart_discount, inclusive=st.booleans())
def test_every_sale_the_till_builds_passes_the_shops_checks(lines, discount, inclusive) -> None:
    cart = Cart("EUR", inclusive)
    for n, spec in enumerate(lines):
        item = cart.add(new_item(
            variant_id=f"v{n}", product_id="p", sku=f"S{n}", title="Item",
            unit_price=Money(spec["price"], "EUR"), tax_rate=spec["rate"],
            quantity=1 if spec["scale"] else spec["quantity"], fixed_price=spec["scale"],
        ))  # fmt: skip
        off = spec["discount"]
        if off is not None and item.amount.minor > 0:
            cart.set_line_discount(item.line_id, _discount(off, item.amount))
    if discount is not None and cart.discount_base().minor > 0:
        cart.set_discount(_discount(discount, cart.discount_base()))
    totals = cart.totals()
    if totals.total.minor <= 0:
        return  # nothing to pay: checkout refuses it before any sale is built
    sale = build_sale(cart, settle(totals.total, [Tender("cash", totals.total)]), sale_id="s" * 10,
                      number="T1-000001", location_id="l", staff_id="st",
                      created_at=datetime(2026, 5, 1, 10, tzinfo=UTC), totals=totals)  # fmt: skip
    check_sale(MUTATION_PAYLOADS["sale.create"].validate_python(sale))


def _discount(value: str | float, base: Money) -> Discount:
    """A percentage, or (a float share) that share of `base` as an amount of at least one cent."""
    if isinstance(value, str):
        return Discount.percent(value)
    return Discount.amount(Money(max(1, int(base.minor * value)), "EUR"))
