"""How each synced entity's documents map to replica rows (everything but products; see products.py).

Rows are built with operator.itemgetter: a first sync turns hundreds of thousands of documents into
tuples, and a C-level getter is several times faster than a Python function per document. A missing
field raises KeyError, which the replica reports as a refused document.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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

    def insert_sql(self) -> str:
        """Plain INSERT, for a snapshot into an empty table (an id listed twice is refused)."""
        marks = ", ".join("?" for _ in self.columns)
        return f"INSERT INTO {self.table} ({', '.join(self.columns)}) VALUES ({marks})"

    def upsert_sql(self, *, guarded: bool) -> str:
        """INSERT or UPDATE by id; `guarded` updates only when the incoming version is newer."""
        names = ", ".join(self.columns)
        marks = ", ".join("?" for _ in self.columns)
        updates = ", ".join(f"{name} = excluded.{name}" for name in self.columns[1:])
        sql = f"INSERT INTO {self.table} ({names}) VALUES ({marks}) ON CONFLICT (id) DO UPDATE SET {updates}"
        if guarded:
            sql += f" WHERE excluded.version > {self.table}.version"
        return sql


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
