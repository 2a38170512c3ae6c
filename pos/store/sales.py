"""Sales made on this till: written from their `sale.create` payload, read back by number or id.

`write_sale` runs inside the checkout's transaction (pos.services.checkout); the payload is the
single source of every figure, so the rows, the receipt and the shop's order agree.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

_SALE = (
    "INSERT INTO sale (id, number, created_at, location_id, customer_id, staff_id, currency, "
    "prices_include_tax, subtotal, discount, tax, total, change, doc) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_LINE = (
    "INSERT INTO sale_line (id, sale_id, position, variant_id, sku, title, quantity, unit_price, "
    "discount, tax_rate, tax, total) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_PAYMENT = (
    "INSERT INTO sale_payment (id, sale_id, position, method, amount, tendered, reference) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def write_sale(con: sqlite3.Connection, payload: dict[str, Any]) -> None:
    """Insert the sale, its lines and its payments inside the caller's open transaction."""
    if not con.in_transaction:
        raise RuntimeError("write_sale must run inside the checkout's transaction")
    p = payload
    con.execute(
        _SALE,
        (
            p["id"],
            p["number"],
            p["created_at"],
            p["location_id"],
            p["customer_id"],
            p["staff_id"],
            p["currency"],
            p["prices_include_tax"],
            p["subtotal"],
            p["discount"],
            p["tax"],
            p["total"],
            p["change"],
            orjson.dumps(p).decode(),
        ),
    )
    con.executemany(
        _LINE,
        [
            (
                line["id"],
                p["id"],
                position,
                line["variant_id"],
                line["sku"],
                line["title"],
                line["quantity"],
                line["unit_price"],
                line["discount"],
                line["tax_rate"],
                line["tax"],
                line["total"],
            )
            for position, line in enumerate(p["lines"])
        ],
    )
    con.executemany(
        _PAYMENT,
        [
            (pay["id"], p["id"], position, pay["method"], pay["amount"], pay["tendered"], pay["reference"])
            for position, pay in enumerate(p["payments"])
        ],
    )


def sale_by_number(con: sqlite3.Connection, number: str) -> dict[str, Any] | None:
    """The sale.create payload of the sale with this receipt number (exact, case-insensitive)."""
    row = con.execute("SELECT doc FROM sale WHERE number = ?", (number.strip().upper(),)).fetchone()
    return orjson.loads(row[0]) if row else None


def sale_by_id(con: sqlite3.Connection, sale_id: str) -> dict[str, Any] | None:
    row = con.execute("SELECT doc FROM sale WHERE id = ?", (sale_id,)).fetchone()
    return orjson.loads(row[0]) if row else None


def recent_numbers(con: sqlite3.Connection, limit: int = 20) -> list[str]:
    """Receipt numbers of the latest sales, newest first."""
    return [n for (n,) in con.execute("SELECT number FROM sale ORDER BY rowid DESC LIMIT ?", (limit,))]
