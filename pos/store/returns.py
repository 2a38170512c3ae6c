"""Returns in the replica: finding the sale a receipt number names, and recording a return.

A sale can be found in two places: `sale` (made on this till; `doc` is its sale.create payload)
and `orders` (synced from the shop: web orders, and till sales of every till once pushed and
pulled, this one's included, under the same id). Both documents carry the same `lines` and
`payments` shapes (sync.protocol SaleLine/OrderLineDoc, SalePayment/PaymentDoc).

Earlier returns of a sale are this till's `sale_return` rows plus the `returns` the shop lists in
the synced order; a return this till made appears in both once pushed and pulled, so they are
merged by return id.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

Doc = dict[str, Any]


@dataclass(frozen=True)
class StoredSale:
    """The sale a receipt number names, as found in the replica (documents as stored)."""

    id: str
    number: str
    source: str  # "till" (this till's `sale` table), or the synced order's "pos" / "web"
    status: str  # "paid" for this till's sales; the synced order's status otherwise
    created_at: str
    currency: str
    customer_id: str | None
    location_id: str | None
    total: int
    lines: list[Doc]
    payments: list[Doc]
    returns: list[Doc]  # earlier returns (ReturnDoc / ReturnCreate shapes), merged by id


_LOCAL_BY_NUMBER = "SELECT id, doc FROM sale WHERE number = ?"
_LOCAL_BY_ID = "SELECT id, doc FROM sale WHERE id = ?"
_ORDER_COLUMNS = "id, number, source, status, customer_id, currency, total, created_at, doc"
_ORDER_BY_NUMBER = f"SELECT {_ORDER_COLUMNS} FROM orders WHERE number = ? ORDER BY created_at DESC LIMIT 1"
_ORDER_BY_ID = f"SELECT {_ORDER_COLUMNS} FROM orders WHERE id = ?"


def find_sale(con: sqlite3.Connection, number: str) -> StoredSale | None:
    """The sale with receipt (or order) number `number`, exactly as written, or None."""
    local = con.execute(_LOCAL_BY_NUMBER, (number,)).fetchone()
    if local is not None:
        return _from_local(con, local[0], orjson.loads(local[1]))
    order = con.execute(_ORDER_BY_NUMBER, (number,)).fetchone()
    return None if order is None else _from_order(con, order)


def load_sale(con: sqlite3.Connection, sale_id: str) -> StoredSale | None:
    """The sale with id `sale_id` (a return re-reads it inside its own transaction)."""
    local = con.execute(_LOCAL_BY_ID, (sale_id,)).fetchone()
    if local is not None:
        return _from_local(con, local[0], orjson.loads(local[1]))
    order = con.execute(_ORDER_BY_ID, (sale_id,)).fetchone()
    return None if order is None else _from_order(con, order)


def is_return_number(con: sqlite3.Connection, number: str) -> bool:
    return con.execute("SELECT 1 FROM sale_return WHERE number = ?", (number,)).fetchone() is not None


def _from_local(con: sqlite3.Connection, sale_id: str, doc: Doc) -> StoredSale:
    synced = con.execute("SELECT doc FROM orders WHERE id = ?", (sale_id,)).fetchone()
    shop_returns = (orjson.loads(synced[0]).get("returns") or []) if synced else []
    return StoredSale(
        id=sale_id,
        number=doc["number"],
        source="till",
        status="paid",
        created_at=doc["created_at"],
        currency=doc["currency"],
        customer_id=doc.get("customer_id"),
        location_id=doc.get("location_id"),
        total=int(doc["total"]),
        lines=list(doc["lines"]),
        payments=list(doc["payments"]),
        returns=_merged(local_returns(con, sale_id), shop_returns),
    )


def _from_order(con: sqlite3.Connection, row: tuple[Any, ...]) -> StoredSale:
    order_id, number, source, status, customer_id, currency, total, created_at, doc_text = row
    doc = orjson.loads(doc_text)
    return StoredSale(
        id=order_id,
        number=number,
        source=source,
        status=status,
        created_at=created_at,
        currency=currency,
        customer_id=customer_id,
        location_id=doc.get("location_id"),
        total=int(total),
        lines=list(doc.get("lines") or []),
        payments=list(doc.get("payments") or []),
        returns=_merged(local_returns(con, order_id), doc.get("returns") or []),
    )


def local_returns(con: sqlite3.Connection, order_id: str) -> list[Doc]:
    """This till's returns of an order, oldest first (their return.create payloads)."""
    rows = con.execute(
        "SELECT doc FROM sale_return WHERE order_id = ? ORDER BY created_at, number", (order_id,)
    ).fetchall()
    return [orjson.loads(doc) for (doc,) in rows]


def _merged(ours: Iterable[Doc], theirs: Iterable[Doc]) -> list[Doc]:
    seen: dict[str, Doc] = {}
    for doc in (*ours, *theirs):
        seen.setdefault(str(doc["id"]), doc)
    return list(seen.values())


def insert_return(con: sqlite3.Connection, payload: Doc) -> None:
    """Write a return (a validated return.create payload) inside the caller's transaction."""
    if not con.in_transaction:
        raise RuntimeError("insert_return must run inside the return's transaction")
    con.execute(
        "INSERT INTO sale_return (id, number, order_id, created_at, location_id, staff_id, reason, "
        "total, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            payload["id"], payload["number"], payload["order_id"], payload["created_at"],
            payload["location_id"], payload["staff_id"], payload["reason"], payload["total"],
            orjson.dumps(payload).decode(),
        ),
    )
    con.executemany(
        "INSERT INTO sale_return_line (id, return_id, line_id, quantity, amount, tax, restock) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (ln["id"], payload["id"], ln["line_id"], ln["quantity"], ln["amount"], ln["tax"], ln["restock"])
            for ln in payload["lines"]
        ],
    )
