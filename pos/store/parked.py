"""Parked carts: carts put aside at the counter, kept in the replica so they survive a restart.

`doc` is Cart.to_dict() as JSON; `item_count` and `total` are copies for the list, so listing
never has to price every cart again.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

import orjson


@dataclass(frozen=True)
class ParkedRow:
    id: str
    parked_at: str
    label: str | None
    customer_id: str | None
    customer_name: str | None
    item_count: int
    total: int
    currency: str


def _in_transaction(con: sqlite3.Connection) -> None:
    if not con.in_transaction:
        raise RuntimeError("parked carts are written inside the caller's transaction")


def insert(
    con: sqlite3.Connection, *, cart_id: str, parked_at: str, label: str | None, customer_id: str | None,
    item_count: int, total: int, doc: dict[str, Any],
) -> None:  # fmt: skip
    _in_transaction(con)
    con.execute(
        "INSERT INTO parked_cart (id, parked_at, label, customer_id, item_count, total, doc) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (cart_id, parked_at, label, customer_id, item_count, total, orjson.dumps(doc).decode()),
    )


def listed(con: sqlite3.Connection) -> list[ParkedRow]:
    """Every parked cart, newest first, with its customer's name when the replica knows it."""
    rows = con.execute(
        "SELECT p.id, p.parked_at, p.label, p.customer_id, c.name, p.item_count, p.total, "
        "json_extract(p.doc, '$.currency') "
        "FROM parked_cart p LEFT JOIN customer c ON c.id = p.customer_id "
        "ORDER BY p.parked_at DESC, p.id DESC"
    )
    return [ParkedRow(*row) for row in rows]


def take(con: sqlite3.Connection, cart_id: str) -> dict[str, Any] | None:
    """The parked cart's document, deleting its row (inside the caller's transaction); None if gone."""
    _in_transaction(con)
    row = con.execute("DELETE FROM parked_cart WHERE id = ? RETURNING doc", (cart_id,)).fetchone()
    return None if row is None else orjson.loads(row[0])


def delete(con: sqlite3.Connection, cart_id: str) -> tuple[int, int] | None:
    """Delete a parked cart (inside the caller's transaction): its (item_count, total), None if gone.

    From the row's own copies, not its document: a document that no longer makes a cart can still go.
    """
    _in_transaction(con)
    row = con.execute(
        "DELETE FROM parked_cart WHERE id = ? RETURNING item_count, total", (cart_id,)
    ).fetchone()
    return None if row is None else (int(row[0]), int(row[1]))
