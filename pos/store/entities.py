"""How each synced entity's documents map to replica rows (everything but products; see products.py).

Rows are built with operator.itemgetter: a first sync turns hundreds of thousands of documents into
tuples, and a C-level getter is several times faster than a Python function per document. A missing
field raises KeyError, which the replica reports as a refused document.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter
from typing import Any

import orjson

Doc = dict[str, Any]
Row = tuple[Any, ...]


@dataclass(frozen=True)
class EntityTable:
    entity: str
    table: str
    columns: tuple[str, ...]  # "id" first, then "version", then the rest
    row: Callable[[Doc], Row]

    def upsert_sql(self, *, guarded: bool) -> str:
        """INSERT or UPDATE by id; `guarded` updates only when the incoming version is newer."""
        names = ", ".join(self.columns)
        marks = ", ".join("?" for _ in self.columns)
        updates = ", ".join(f"{name} = excluded.{name}" for name in self.columns[1:])
        sql = f"INSERT INTO {self.table} ({names}) VALUES ({marks}) ON CONFLICT (id) DO UPDATE SET {updates}"
        if guarded:
            sql += f" WHERE excluded.version > {self.table}.version"
        return sql


# Rows per INSERT statement of a bulk load. sqlite3 releases the GIL for every statement step; one
# row a step hands the GIL to the connector's validation thread (a pydantic call that holds it for
# milliseconds) 450,000 times a first sync, and runs the statement as many times. Measured with
# benchmarks/first_sync.py (interleaved runs): 64 rows 4.05-4.16 s vs one row 4.30-4.47 s, client
# CPU -0.2 s; 256 rows another -0.1 s CPU. 256 * 9 columns stays far below SQLite's 32,766 variables.
ROWS_PER_INSERT = 256


def insert_rows(con: sqlite3.Connection, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
    """Plain INSERT of `rows` (an id listed twice is refused), ROWS_PER_INSERT rows a statement."""
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    one = "(" + ", ".join("?" * len(columns)) + ")"
    size = ROWS_PER_INSERT
    whole = len(rows) - len(rows) % size
    if whole:
        groups = [tuple(chain.from_iterable(rows[i : i + size])) for i in range(0, whole, size)]
        con.executemany(head + ", ".join([one] * size), groups)
    if whole < len(rows):
        con.executemany(head + one, rows[whole:])


def _getter(*fields: str) -> Callable[[Doc], Row]:
    return itemgetter(*fields)  # type: ignore[return-value]


def _order_row(doc: Doc) -> Row:
    details = orjson.dumps(
        {
            "lines": doc["lines"],
            "payments": doc["payments"],
            "fulfilments": doc["fulfilments"],
            # Absent from orders of shops older than issue 4; returns taken on every till.
            "returns": doc.get("returns", []),
            "location_id": doc.get("location_id"),
        }
    ).decode()
    return (
        doc["id"], doc["version"], doc["number"], doc["source"], doc["status"], doc["customer_id"],
        doc["currency"], doc["subtotal"], doc["tax"], doc["total"], doc["created_at"], doc["updated_at"],
        details,
    )


def _table(entity: str, table: str, *columns: str, row: Callable[[Doc], Row] | None = None) -> EntityTable:
    return EntityTable(entity, table, columns, row or _getter(*columns))


# Products are not here: they carry variants and a search index row (pos.store.products).
ENTITY_TABLES: dict[str, EntityTable] = {
    spec.entity: spec
    for spec in (
        _table("location", "location", "id", "version", "code", "name"),
        _table("tax_rate", "tax_rate", "id", "version", "name", "rate"),
        _table("staff", "staff", "id", "version", "name", "role", "active", "pin_hash"),
        _table(
            "inventory_level", "inventory_level", "id", "version", "variant_id", "location_id", "quantity"
        ),
        _table(
            "customer", "customer", "id", "version", "name", "email", "phone", "loyalty_code", "updated_at"
        ),
        _table(
            "order", "orders", "id", "version", "number", "source", "status", "customer_id", "currency",
            "subtotal", "tax", "total", "created_at", "updated_at", "doc", row=_order_row,
        ),
    )
}
