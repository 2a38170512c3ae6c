"""Create, change and delete the simple synced records (location, tax rate, customer, staff).

Each function is part of the caller's write transaction and logs the change through `changelog`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Table, delete, func, insert, select, update

from sync.server import changelog
from sync.server.docs import customer_doc, location_doc, staff_doc, tax_rate_doc
from sync.server.errors import Conflict, Invalid, NotFound
from sync.server.ids import uuid7
from sync.server.tables import customer, inventory_level, location, order, product, staff, tax_rate

Doc = dict[str, Any]

SIMPLE: dict[str, tuple[Table, Callable[[Any], Doc]]] = {
    "location": (location, location_doc),
    "tax_rate": (tax_rate, tax_rate_doc),
    "customer": (customer, customer_doc),
    "staff": (staff, staff_doc),
}


def label(entity: str) -> str:
    return entity.replace("_", " ")


def exists(conn: Connection, table: Table, record_id: str) -> bool:
    return conn.execute(select(table.c.id).where(table.c.id == record_id)).first() is not None


def require(conn: Connection, table: Table, record_id: str, what: str) -> None:
    if not exists(conn, table, record_id):
        raise NotFound(f"no {what} with id {record_id!r}")


def _reload(conn: Connection, entity: str, record_id: str) -> Doc:
    table, to_doc = SIMPLE[entity]
    return to_doc(conn.execute(select(table).where(table.c.id == record_id)).one())


def create(conn: Connection, entity: str, values: dict[str, Any]) -> Doc:
    table, _ = SIMPLE[entity]
    values = {**values, "id": uuid7()}
    _check_unique(conn, entity, values, None)
    conn.execute(insert(table).values(values))
    doc = _reload(conn, entity, values["id"])
    changelog.record(conn, [(entity, values["id"], doc)])
    return doc


def change(conn: Connection, entity: str, record_id: str, values: dict[str, Any]) -> Doc:
    """Write `values`; when the document comes out as it was, nothing is logged and the stored
    document (its version unchanged) is the answer. A table's `updated_at` is set on a real change."""
    table, _ = SIMPLE[entity]
    require(conn, table, record_id, label(entity))
    _check_unique(conn, entity, values, record_id)
    if values:
        conn.execute(update(table).where(table.c.id == record_id).values(values))
    doc = _reload(conn, entity, record_id)
    if (stored := changelog.unchanged(conn, entity, record_id, doc)) is not None:
        return stored
    changelog.stamp_updated(conn, table, record_id, doc)
    changelog.record(conn, [(entity, record_id, doc)])
    return doc


def remove(conn: Connection, entity: str, record_id: str) -> int:
    """Delete and log a tombstone; returns its seq."""
    table, _ = SIMPLE[entity]
    require(conn, table, record_id, label(entity))
    _check_unused(conn, entity, record_id)
    conn.execute(delete(table).where(table.c.id == record_id))
    return changelog.record(conn, [(entity, record_id, None)])


def _check_unique(conn: Connection, entity: str, values: dict[str, Any], own_id: str | None) -> None:
    if entity == "location" and values.get("code") is not None:
        clash = conn.execute(select(location.c.id).where(location.c.code == values["code"])).scalar()
        if clash is not None and clash != own_id:
            raise Conflict(f"location code {values['code']!r} is already used")


def _check_unused(conn: Connection, entity: str, record_id: str) -> None:
    if entity == "location":
        n = conn.execute(
            select(func.count())
            .select_from(inventory_level)
            .where(inventory_level.c.location_id == record_id)
        ).scalar()
        if n:
            raise Conflict(f"location {record_id!r} still holds {n} stock levels; move or zero them first")
    if entity == "tax_rate":
        n = conn.execute(
            select(func.count()).select_from(product).where(product.c.tax_rate_id == record_id)
        ).scalar()
        if n:
            raise Conflict(f"tax rate {record_id!r} is used by {n} products; change them first")
    if entity == "customer":
        # The orders' customer_id would be nulled by the foreign key with no order change logged,
        # so tills would keep naming a deleted customer; and an order's buyer is its record.
        n = conn.execute(
            select(func.count()).select_from(order).where(order.c.customer_id == record_id)
        ).scalar()
        if n:
            raise Conflict(
                f"customer {record_id!r} has {n} order{'' if n == 1 else 's'}, which keep their customer;"
                " it cannot be deleted"
            )


def patch_fields(body: Any, nullable: tuple[str, ...] = ()) -> dict[str, Any]:
    """The fields a PATCH body set; null only where the column allows it."""
    fields = body.model_dump(exclude_unset=True)
    for name, value in fields.items():
        if value is None and name not in nullable:
            raise Invalid(f"{name} cannot be null")
    return fields
