"""A completed sale as the shop hears of it: the `sale.create` payload (sync.protocol.SaleCreate).

`build_sale` prices the cart once (Cart.totals) and writes every figure the receipt shows, so the
till's sale, the receipt and the shop's order carry the same numbers. The payload satisfies the
sale invariant the shop checks, to the cent:

- sum(line.total) == total;
- total == subtotal - discount + tax (prices exclude tax) or subtotal - discount (include it);
- sum(payment.amount) == total and sum(payment.tendered) - change == total;
- change only out of cash (pos.domain.tender.settle).

Line and payment ids are fresh UUIDv7s: a cart's line ids identify lines while it is edited, and a
resumed or re-used cart must never give two sales the same line id.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pos.domain.cart import Cart
from pos.domain.cart_totals import CartTotals
from pos.domain.errors import DomainError
from pos.domain.ids import new_id
from pos.domain.tax import TaxRate
from pos.domain.tender import Settlement


def parse_timestamp(text: str) -> datetime:
    """A stored or wire UTC timestamp ("2026-11-25T10:11:12.123456Z") as an aware datetime."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 UTC with microseconds and a trailing Z: 2026-11-25T10:11:12.123456Z."""
    if moment.tzinfo is None:
        raise DomainError("a sale's time must carry a time zone (UTC)", field="created_at")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def rate_text(rate: TaxRate | None) -> str | None:
    """A rate as the wire writes it: "20", "7.25" (never "2E+1")."""
    if rate is None:
        return None
    return format(rate.rate.normalize(), "f") if rate.rate != 0 else "0"


def build_sale(
    cart: Cart,
    settlement: Settlement,
    *,
    sale_id: str,
    number: str,
    location_id: str,
    staff_id: str | None,
    created_at: datetime,
    totals: CartTotals | None = None,
    new_line_id: Callable[[], str] = new_id,
) -> dict[str, Any]:
    """The SaleCreate payload of `cart` paid by `settlement` (pass `totals` if already computed)."""
    if cart.is_empty:
        raise DomainError("the cart is empty: scan an item first", field="items")
    totals = totals or cart.totals()
    if settlement.total != totals.total:
        raise DomainError(
            f"the payments cover {settlement.total}, the sale comes to {totals.total}", field="tenders"
        )
    lines = [
        {
            "id": new_line_id(),
            "variant_id": item.variant_id,
            "sku": item.sku,
            "title": item.title,
            "quantity": item.quantity,
            "unit_price": item.unit_price.minor,
            "discount": priced.discount.minor,
            "tax_rate": rate_text(item.tax_rate),
            "tax": priced.tax.minor,
            "total": priced.total.minor,
        }
        for item, priced in zip(cart.items, totals.lines, strict=True)
    ]
    payments = [
        {
            "id": new_line_id(),
            "method": payment.tender.method,
            "amount": payment.applied.minor,
            "tendered": payment.tender.amount.minor,
            "reference": payment.tender.reference,
        }
        for payment in settlement.payments
    ]
    return {
        "id": sale_id,
        "number": number,
        "location_id": location_id,
        "customer_id": cart.customer_id,
        "staff_id": staff_id,
        "currency": cart.currency,
        "prices_include_tax": cart.prices_include_tax,
        "subtotal": totals.subtotal.minor,
        "discount": totals.discount.minor,
        "tax": totals.tax.minor,
        "total": totals.total.minor,
        "change": settlement.change.minor,
        "lines": lines,
        "payments": payments,
        "created_at": format_timestamp(created_at),
    }


def check_sale(payload: dict[str, Any]) -> None:
    """Raise DomainError unless `payload` satisfies the sale invariant (the shop checks the same)."""
    lines, payments = payload["lines"], payload["payments"]
    total = payload["total"]
    problems = []
    if sum(line["total"] for line in lines) != total:
        problems.append("the line totals do not add up to the total")
    tax_on_top = 0 if payload["prices_include_tax"] else payload["tax"]
    expected = payload["subtotal"] - payload["discount"] + tax_on_top
    if expected != total:
        problems.append("subtotal, discount and tax do not give the total")
    if sum(line["tax"] for line in lines) != payload["tax"]:
        problems.append("the line taxes do not add up to the tax")
    if sum(p["amount"] for p in payments) != total:
        problems.append("the payments do not add up to the total")
    if sum(p["tendered"] for p in payments) - payload["change"] != total:
        problems.append("tendered minus change is not the total")
    cash_change = sum(p["tendered"] - p["amount"] for p in payments if p["method"] == "cash")
    if cash_change != payload["change"] or any(
        p["tendered"] != p["amount"] for p in payments if p["method"] != "cash"
    ):
        problems.append("change must come out of cash only")
    if problems:
        raise DomainError(f"sale {payload.get('number')}: " + "; ".join(problems), field="sale")
