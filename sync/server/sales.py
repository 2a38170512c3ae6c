"""`sale.create`: a till sale becomes an order with source "pos" and status "paid".

The order keeps the sale's id, its receipt number, lines and payments as the till priced them (the
server checks that they add up, it does not re-price). Stock moves -quantity per variant at the
sale's location through the ledger; selling below zero is allowed. Everything, change-log entries
included, is written in the caller's transaction.

The order document's `subtotal` is `total - tax`, as for web orders, so that it means the same on
every order whatever the channel (the sale's own subtotal is before discounts).

This is the one-sale-at-a-time path. A push applies runs of sales with sales_batch.py, which shares
the checks here (`judge_references`, `order_values`, `sale_movements`) and falls back to this path
when the database refuses a run's writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import orjson
from sqlalchemy import Connection

from sync.server import changelog
from sync.server.docs import order_doc
from sync.server.errors import Rejected
from sync.server.fastsql import Sql, in_list, run
from sync.server.ids import fixed_width, utc_now
from sync.server.orders import order_source
from sync.server.push_checks import check_sale, line_label
from sync.server.stock import Movement, apply_checked_movements

Doc = dict[str, Any]
SALE_REASON = "sale"

# Run on the driver's cursor (fastsql.py): a shop takes 1,000 pushed sales a second. Everything a
# sale refers to is looked up in one round trip (on PostgreSQL each costs ~0.1 ms of waiting).
_REFERENCES = (
    "SELECT 'currency', currency, NULL FROM settings WHERE id = 1"
    " UNION ALL SELECT 'order', id, number FROM \"order\" WHERE id = :id OR number = :number"
    " UNION ALL SELECT 'location', id, NULL FROM location WHERE id = :location_id"
    " UNION ALL SELECT 'customer', id, NULL FROM customer WHERE id = :customer_id"
    " UNION ALL SELECT 'variant', id, NULL FROM variant WHERE id IN "
)
_LOCATION = Sql("SELECT 1 FROM location WHERE id = :id")
INSERT_ORDER = Sql(
    'INSERT INTO "order" (id, number, source, status, customer_id, currency, subtotal, tax, total, lines,'
    " payments, fulfilments, created_at, updated_at, location_id, returns) VALUES (:id, :number, :source,"
    " :status, :customer_id, :currency, :subtotal, :tax, :total, :lines, :payments, :fulfilments,"
    " :created_at, :updated_at, :location_id, :returns)"
)


def apply_sale(conn: Connection, sale: Doc) -> int:
    """Record the sale; returns the highest seq logged. Raises Rejected when it cannot be recorded."""
    check_sale(sale)
    _check_references(conn, sale)
    values = order_values(sale)
    run(conn, INSERT_ORDER, values)
    levels = apply_checked_movements(conn, sale_movements(sale), SALE_REASON, order_source(sale["number"]))
    items: list[changelog.Item] = [("inventory_level", lvl["id"], lvl) for lvl in levels]
    return changelog.record(conn, [*items, ("order", sale["id"], order_doc(SimpleNamespace(**values)))])


def _check_references(conn: Connection, sale: Doc) -> None:
    wanted = sorted({ln["variant_id"] for ln in sale["lines"] if ln["variant_id"] is not None})
    listed, params = in_list("v", wanted or [""])
    found: dict[str, list[tuple[str, str | None]]] = {}
    keys = {k: sale[k] for k in ("id", "number", "location_id", "customer_id")}
    for kind, key, extra in run(conn, Sql(_REFERENCES + listed), {**keys, **params}):
        found.setdefault(kind, []).append((key, extra))
    [(currency, _)] = found["currency"]
    judge_references(
        sale,
        References(
            currency=str(currency),
            clashes=[(key, str(number)) for key, number in found.get("order", [])],
            has_location="location" in found,
            variants={key for key, _ in found.get("variant", [])},
            has_customer="customer" in found,
        ),
    )


@dataclass
class References:
    """What the shop holds of the things a sale refers to."""

    currency: str
    clashes: list[tuple[str, str]]  # (id, number) of orders with the sale's id or receipt number
    has_location: bool
    variants: set[str]  # those of the sale's variants that exist
    has_customer: bool


def judge_references(sale: Doc, refs: References) -> None:
    """Raise Rejected when the sale refers to something the shop does not have, or clashes with an
    order it has (shared by the one-by-one and the batched path, so both give the same reasons)."""
    if sale["currency"] != refs.currency:
        raise Rejected(f"the sale is in {sale['currency']} but the shop sells in {refs.currency}")
    for same_id, same_number in refs.clashes:
        if same_id == sale["id"]:
            raise Rejected(f"sale {sale['id']} is already recorded as order {same_number}")
        raise Rejected(f"receipt number {sale['number']} is already used by another sale ({same_id})")
    if not refs.has_location:
        raise Rejected(_unknown_location(sale["location_id"]))
    for n, line in enumerate(sale["lines"], start=1):
        if line["variant_id"] is not None and line["variant_id"] not in refs.variants:
            raise Rejected(
                f"{line_label(n, line)}: unknown variant {line['variant_id']!r}"
                " (deleted on the shop or never existed)"
            )
    if sale["customer_id"] is not None and not refs.has_customer:
        raise Rejected(f"unknown customer {sale['customer_id']!r}: deleted on the shop or never sent")


def require_location(conn: Connection, location_id: str) -> None:
    if run(conn, _LOCATION, {"id": location_id}).fetchone() is None:
        raise Rejected(_unknown_location(location_id))


def _unknown_location(location_id: str) -> str:
    return f"unknown location {location_id!r}: it was deleted on the shop or never existed"


def order_values(sale: Doc) -> dict[str, Any]:
    return {
        "id": sale["id"],
        "number": sale["number"],
        "source": "pos",
        "status": "paid",
        "customer_id": sale["customer_id"],
        "currency": sale["currency"],
        "subtotal": sale["total"] - sale["tax"],
        "tax": sale["tax"],
        "total": sale["total"],
        "lines": orjson.dumps(sale["lines"]).decode(),
        "payments": orjson.dumps(sale["payments"]).decode(),
        "fulfilments": "[]",
        "created_at": fixed_width(sale["created_at"]),  # checked by check_sale
        "updated_at": utc_now(),
        "location_id": sale["location_id"],
        "returns": "[]",
    }


def sale_movements(sale: Doc) -> list[Movement]:
    """-quantity per variant (lines of one variant netted: one ledger row and one level entry each)."""
    per_variant: dict[str, int] = {}
    for line in sale["lines"]:
        if line["variant_id"] is not None:
            per_variant[line["variant_id"]] = per_variant.get(line["variant_id"], 0) - line["quantity"]
    return [(v, sale["location_id"], delta) for v, delta in per_variant.items()]
