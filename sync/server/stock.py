"""The stock ledger: every change is a movement, applied as quantity = quantity + delta."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, text

from sync.server.docs import inventory_doc
from sync.server.errors import NotFound
from sync.server.ids import utc_now, uuid7
from sync.server.records import require
from sync.server.tables import inventory_level, location, stock_movement, variant

Doc = dict

_ADD = text(
    "UPDATE inventory_level SET quantity = quantity + :delta"
    " WHERE variant_id = :variant_id AND location_id = :location_id RETURNING id"
)


def apply_movement(
    conn: Connection, variant_id: str, location_id: str, delta: int, reason: str, source: str
) -> Doc:
    """Record the movement and update the level; returns the level's document (to be logged by the caller)."""
    require(conn, variant, variant_id, "variant")
    require(conn, location, location_id, "location")
    conn.execute(
        insert(stock_movement).values(
            id=uuid7(),
            variant_id=variant_id,
            location_id=location_id,
            delta=delta,
            reason=reason,
            source=source,
            created_at=utc_now(),
        )
    )
    key = {"variant_id": variant_id, "location_id": location_id}
    level_id = conn.execute(_ADD, {**key, "delta": delta}).scalar()
    if level_id is None:
        level_id = uuid7()
        conn.execute(insert(inventory_level).values(id=level_id, quantity=delta, **key))
    row = conn.execute(select(inventory_level).where(inventory_level.c.id == level_id)).one()
    return inventory_doc(row)


def levels_of(conn: Connection, variant_id: str) -> list[Doc]:
    require(conn, variant, variant_id, "variant")
    rows = conn.execute(
        select(inventory_level)
        .where(inventory_level.c.variant_id == variant_id)
        .order_by(inventory_level.c.id)
    )
    return [inventory_doc(r) for r in rows]


def first_location_id(conn: Connection) -> str:
    found = conn.execute(select(location.c.id).order_by(location.c.code).limit(1)).scalar()
    if found is None:
        raise NotFound("the shop has no location to take stock from; create one first")
    return found
