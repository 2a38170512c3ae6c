"""The outbox: mutations for the shop, written in the transaction of the change they describe.

Services call `enqueue` inside their own transaction (a sale, a return, a customer edit), so a
mutation exists exactly when its change does. The sync engine drains the rows in `position`
order through `SqliteOutbox` (sync.ports.Outbox).

Stock deltas ride along: `enqueue(..., stock=[(variant_id, location_id, delta)])` records what the
till changed locally; `shown_stock` adds them to the pulled inventory levels until the shop's
change for them has been pulled.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson

StockDelta = tuple[str, str, int]  # (variant_id, location_id, delta)

_INSERT = "INSERT INTO outbox (id, type, payload, base_version, created_at) VALUES (?, ?, ?, ?, ?)"
_INSERT_STOCK = "INSERT INTO pending_stock (mutation_id, variant_id, location_id, delta) VALUES (?, ?, ?, ?)"


def enqueue(
    con: sqlite3.Connection,
    *,
    mutation_id: str,
    type: str,
    payload: dict[str, Any],
    base_version: int | None = None,
    stock: Iterable[StockDelta] = (),
) -> int:
    """Append a mutation (and its stock deltas) inside the caller's open transaction.

    Returns its position. The caller commits; nothing here commits or opens a transaction.
    """
    if not con.in_transaction:
        raise RuntimeError("enqueue must run inside the transaction of the change it describes")
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    cursor = con.execute(_INSERT, (mutation_id, type, orjson.dumps(payload).decode(), base_version, now))
    rows = [(mutation_id, variant, location, delta) for variant, location, delta in stock if delta]
    if rows:
        con.executemany(_INSERT_STOCK, rows)
    position = cursor.lastrowid
    assert position is not None
    return position


def pending_delta(con: sqlite3.Connection, variant_id: str, location_id: str) -> int:
    """This till's stock change for a variant at a location that pulled levels do not show yet."""
    row = con.execute(
        "SELECT coalesce(sum(delta), 0) FROM pending_stock WHERE variant_id = ? AND location_id = ?",
        (variant_id, location_id),
    ).fetchone()
    return int(row[0])


def drop_reflected(con: sqlite3.Connection, cursor: int) -> int:
    """Forget deltas the shop applied at or before `cursor` (the pulled levels now include them).

    Runs in the transaction that moves the pull cursor; returns how many rows went.
    """
    return con.execute(
        "DELETE FROM pending_stock WHERE applied_seq IS NOT NULL AND applied_seq <= ?", (cursor,)
    ).rowcount
