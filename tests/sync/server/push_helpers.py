"""Build sales, returns and pushes the way a till would, for the push tests and the push benchmark.

Prices and tax follow the shop's rule (per line, half-up) with `sync.server.orders.line_tax`, so every
sale built here adds up exactly as the till's would; tests then break one figure on purpose.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import requests

from sync.server.ids import uuid7
from sync.server.orders import line_tax
from tests.fixtures.shop_server import LiveShop
from tests.sync.server.helpers import snapshot

Doc = dict[str, Any]
_numbers = itertools.count(1)


@dataclass
class ShopCatalog:
    """What a till knows of the shop after a first sync: enough to sell."""

    currency: str
    inclusive: bool
    location_ids: list[str]
    variants: list[Doc]  # variant docs with "tax_rate" (str | None) and "product_title" added

    @classmethod
    def read(cls, shop: LiveShop) -> ShopCatalog:
        info = shop.sync_get("shop").json()
        _, rates, _ = snapshot(shop, "tax_rate")
        rate_of = {r["id"]: r["rate"] for r in rates}
        _, products, _ = snapshot(shop, "product")
        _, locations, _ = snapshot(shop, "location")
        variants = [
            {**v, "tax_rate": rate_of.get(p["tax_rate_id"]), "product_title": p["title"]}
            for p in products
            for v in p["variants"]
        ]
        return cls(
            info["currency"],
            info["prices_include_tax"],
            [loc["id"] for loc in sorted(locations, key=lambda loc: loc["code"])],
            variants,
        )


def receipt_number(code: str = "T9") -> str:
    """A receipt number no other test uses (random digits: modules sharing a shop never clash)."""
    return f"{code}-{uuid.uuid4().int % 10**9:09d}{next(_numbers) % 1000:03d}"


def sale_line(variant: Doc, quantity: int, inclusive: bool, discount: int = 0) -> Doc:
    amount = variant["price"] * quantity - discount
    rate = Decimal(variant["tax_rate"]) if variant["tax_rate"] is not None else Decimal(0)
    tax = line_tax(amount, rate, inclusive)
    return {
        "id": uuid7(),
        "variant_id": variant["id"],
        "sku": variant["sku"],
        "title": f"{variant['product_title']} / {variant['title']}".rstrip(" /"),
        "quantity": quantity,
        "unit_price": variant["price"],
        "discount": discount,
        "tax_rate": variant["tax_rate"],
        "tax": tax,
        "total": amount if inclusive else amount + tax,
    }


def make_sale(
    catalog: ShopCatalog,
    items: list[tuple[Doc, int]],
    *,
    location_id: str | None = None,
    customer_id: str | None = None,
    card: int = 0,
    number: str | None = None,
) -> Doc:
    """A SaleCreate payload: `items` are (variant, quantity); paid `card` by card, the rest in cash
    rounded up to the next 10.00 (so there is change)."""
    lines = [sale_line(v, q, catalog.inclusive) for v, q in items]
    total = sum(ln["total"] for ln in lines)
    tax = sum(ln["tax"] for ln in lines)
    payments = []
    if card:
        payments.append(_payment("card", card, card))
    cash_due = total - card
    tendered = -(-cash_due // 1000) * 1000 if cash_due > 0 else 0
    if cash_due > 0 or not payments:
        payments.append(_payment("cash", cash_due, tendered))
    return {
        "id": uuid7(),
        "number": number or receipt_number(),
        "location_id": location_id or catalog.location_ids[0],
        "customer_id": customer_id,
        "staff_id": None,
        "currency": catalog.currency,
        "prices_include_tax": catalog.inclusive,
        "subtotal": sum(ln["quantity"] * ln["unit_price"] for ln in lines),
        "discount": 0,
        "tax": tax,
        "total": total,
        "change": tendered - cash_due if cash_due > 0 else 0,
        "lines": lines,
        "payments": payments,
        "created_at": "2026-11-25T10:11:12.123456Z",
    }


def _payment(method: str, amount: int, tendered: int) -> Doc:
    return {"id": uuid7(), "method": method, "amount": amount, "tendered": tendered, "reference": None}


def make_return(
    sale: Doc,
    quantities: dict[int, int],
    *,
    restock: bool = True,
    method: str = "cash",
    location_id: str | None = None,
) -> Doc:
    """A ReturnCreate payload for `quantities` {line index: quantity}; refunds pro rata, half-up."""
    lines = []
    for index, quantity in quantities.items():
        line = sale["lines"][index]
        amount = (line["total"] * quantity * 2 + line["quantity"]) // (2 * line["quantity"])
        tax = (line["tax"] * quantity * 2 + line["quantity"]) // (2 * line["quantity"])
        lines.append(
            {
                "id": uuid7(),
                "line_id": line["id"],
                "quantity": quantity,
                "amount": amount,
                "tax": tax,
                "restock": restock,
            }
        )
    total = sum(ln["amount"] for ln in lines)
    return {
        "id": uuid7(),
        "number": receipt_number().replace("-", "-R"),
        "order_id": sale["id"],
        "location_id": location_id or sale["location_id"],
        "staff_id": None,
        "reason": "changed mind",
        "lines": lines,
        "refunds": [{"id": uuid7(), "method": method, "amount": total, "reference": None}],
        "total": total,
        "created_at": "2026-11-26T09:00:00.000000Z",
    }


def mutation(kind: str, payload: Doc, base_version: int | None = None, mutation_id: str | None = None) -> Doc:
    body: Doc = {"id": mutation_id or uuid7(), "type": kind, "payload": payload}
    if base_version is not None:
        body["base_version"] = base_version
    return body


def push(
    shop: LiveShop, *mutations: Doc, token: str | None = None, device_id: str | None = None
) -> requests.Response:
    body = {"device_id": device_id or shop.device_id, "mutations": list(mutations)}
    return shop.sync_post("push", body, token=token)


def push_ok(shop: LiveShop, *mutations: Doc) -> list[Doc]:
    """The results of a push that must answer 200."""
    response = push(shop, *mutations)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["id"] for r in results] == [m["id"] for m in mutations]
    return results


COUNTED = ("change_log", "order", "stock_movement", "applied_mutation", "order_return", "customer")


def row_counts(shop: LiveShop) -> dict[str, int]:
    """Rows in the tables a push writes, read from the shop's database: equal before and after means
    the push wrote nothing."""
    from sqlalchemy import text

    from sync.server import db

    engine = db.make_engine(shop.database_url)
    try:
        with db.read(engine) as conn:
            return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in COUNTED}
    finally:
        engine.dispose()


def levels(shop: LiveShop, variant_ids: list[str], location_id: str) -> dict[str, int | None]:
    """Quantity per variant at the location; None where there is no level at all."""
    out: dict[str, int | None] = {}
    for variant_id in variant_ids:
        found = shop.admin_get(f"stock/levels?variant_id={variant_id}").json()
        out[variant_id] = next((lv["quantity"] for lv in found if lv["location_id"] == location_id), None)
    return out


def order(shop: LiveShop, order_id: str) -> requests.Response:
    return shop.admin_get(f"orders/{order_id}")
