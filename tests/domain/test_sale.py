"""The sale.create payload: every cart, every covering tender, adds up to the cent and validates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pos.domain.cart import Cart, Discount
from pos.domain.errors import DomainError
from pos.domain.ids import new_id
from pos.domain.sale import build_sale, check_sale, format_timestamp, rate_text
from pos.domain.tax import TaxRate
from pos.domain.tender import Tender, settle
from sync.protocol import MUTATION_PAYLOADS
from tests.domain.test_cart import STANDARD, carts, eur, item

SALE_CREATE = MUTATION_PAYLOADS["sale.create"]
WHEN = datetime(2026, 11, 25, 10, 11, 12, 123456, tzinfo=UTC)


def _build(cart: Cart, tenders: list[Tender], number: str = "T1-000001") -> dict:
    return build_sale(
        cart, settle(cart.totals().total, tenders), sale_id=new_id(), number=number,
        location_id="loc-1", staff_id=None, created_at=WHEN,
    )  # fmt: skip


def test_a_simple_sale() -> None:
    cart = Cart("EUR", True)
    cart.add(item("v1", price=1999, quantity=2))
    payload = _build(cart, [Tender("cash", eur(5000))])
    SALE_CREATE.validate_python(payload)
    assert payload["created_at"] == "2026-11-25T10:11:12.123456Z"
    assert (payload["total"], payload["tax"], payload["change"]) == (3998, 666, 1002)
    line = payload["lines"][0]
    assert (line["title"], line["sku"], line["tax_rate"], line["quantity"], line["unit_price"]) == (
        "Item v1", "SKU-v1", "20", 2, 1999,
    )  # fmt: skip
    assert len({line["id"], payload["payments"][0]["id"], payload["id"]}) == 3


def test_line_ids_are_fresh_for_every_sale_of_the_same_cart() -> None:
    cart = Cart("EUR", True)
    cart.add(item("v1"))
    first, second = _build(cart, [Tender("cash", eur(1000))]), _build(cart, [Tender("cash", eur(1000))])
    assert first["lines"][0]["id"] != second["lines"][0]["id"] != cart.items[0].line_id


def test_rates_are_written_as_the_wire_wants() -> None:
    assert rate_text(STANDARD) == "20"
    assert rate_text(TaxRate("a", "A", "7.250")) == "7.25"
    assert rate_text(TaxRate("z", "Zero", "0.00")) == "0"
    assert rate_text(None) is None


def test_timestamps_are_utc_with_a_z() -> None:
    assert format_timestamp(datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))) == (
        "2026-01-02T01:04:05.000000Z"
    )
    with pytest.raises(DomainError, match="time zone"):
        format_timestamp(datetime(2026, 1, 2))


def test_an_empty_cart_or_a_mismatched_settlement_builds_nothing() -> None:
    cart = Cart("EUR", True)
    settlement = settle(eur(100), [Tender("cash", eur(100))])
    with pytest.raises(DomainError, match="empty"):
        build_sale(cart, settlement, sale_id="s", number="T1-000001", location_id="l", staff_id=None,
                   created_at=WHEN)  # fmt: skip
    cart.add(item("v1", price=200))
    with pytest.raises(DomainError, match="payments cover"):
        build_sale(cart, settlement, sale_id="s", number="T1-000001", location_id="l", staff_id=None,
                   created_at=WHEN)  # fmt: skip


def test_check_sale_catches_a_tampered_payload() -> None:
    cart = Cart("EUR", False)
    cart.add(item("v1", price=1000))
    payload = _build(cart, [Tender("cash", eur(2000))])
    check_sale(payload)
    for field, delta in (("total", 1), ("tax", 1), ("change", -1), ("discount", 1)):
        broken = {**payload, field: payload[field] + delta}
        with pytest.raises(DomainError):
            check_sale(broken)


@st.composite
def covering_tenders(draw: st.DrawFn, total: int) -> list[Tender]:
    """Cards for part of the total (never more than is left), then cash for the rest and change."""
    tenders, left = [], total
    for _ in range(draw(st.integers(0, 3))):
        if left <= 1:
            break
        amount = draw(st.integers(1, left - 1))
        tenders.append(Tender("card", eur(amount), draw(st.none() | st.text(max_size=10))))
        left -= amount
    if draw(st.booleans()) and tenders:
        tenders.append(Tender("card", eur(left)))  # cards pay it all, no change
    else:
        cash = draw(st.integers(1, 3))
        for index in range(cash):
            share = left if index == cash - 1 else draw(st.integers(0, left - 1)) if left > 1 else 0
            if share == 0 and index < cash - 1:
                continue
            extra = draw(st.integers(0, 100_000)) if index == cash - 1 else 0
            tenders.append(Tender("cash", eur(share + extra)))
            left -= share
    return tenders


@given(data=st.data(), cart=carts())
def test_any_cart_any_covering_tenders_add_up_to_the_cent(data: st.DataObject, cart: Cart) -> None:
    totals = cart.totals()
    assume(totals.total.minor > 0)
    tenders = data.draw(covering_tenders(totals.total.minor))
    payload = _build(cart, tenders)
    SALE_CREATE.validate_python(payload)
    check_sale(payload)
    lines, payments = payload["lines"], payload["payments"]
    tendered = sum(p["tendered"] for p in payments)
    # lines + tax - discounts = tenders - change (the line amounts are net of tax when prices include it)
    net_lines = sum(ln["unit_price"] * ln["quantity"] for ln in lines)
    tax_on_top = 0 if cart.prices_include_tax else payload["tax"]
    assert net_lines + tax_on_top - payload["discount"] == tendered - payload["change"] == payload["total"]
    assert sum(ln["total"] - ln["tax"] for ln in lines) + payload["tax"] == payload["total"]
    assert sum(ln["total"] for ln in lines) == payload["total"]
    assert sum(p["amount"] for p in payments) == payload["total"]
    assert all(p["tendered"] == p["amount"] for p in payments if p["method"] == "card")
    assert payload["change"] == sum(p["tendered"] - p["amount"] for p in payments if p["method"] == "cash")


def test_a_fully_discounted_cart_has_nothing_to_pay() -> None:
    cart = Cart("EUR", True)
    cart.add(item("v1", price=1000))
    cart.set_discount(Discount.percent(100))
    with pytest.raises(DomainError, match="nothing to pay"):
        settle(cart.totals().total, [Tender("cash", eur(100))])
