"""The stock ledger: every change is a movement, applied as quantity = quantity + delta.

The level is written with one INSERT ... ON CONFLICT DO UPDATE, so the first two movements of a
variant at a location arriving together cannot both try to create the row: on PostgreSQL the second
waits for the first's row and adds to it. The updated row stays locked until commit, which keeps the
level's change-log entries in the order the quantities were reached.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, insert, select

from sync.server import db
from sync.server.docs import inventory_doc
from sync.server.errors import NotFound
from sync.server.ids import utc_now, uuid7
from sync.server.records import require
from sync.server.tables import inventory_level, location, stock_movement, variant

Doc = dict[str, Any]
# (variant_id, location_id, delta)
Movement = tuple[str, str, int]


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
    stmt = db.upsert(conn, inventory_level).values(
        id=uuid7(), variant_id=variant_id, location_id=location_id, quantity=delta
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[inventory_level.c.variant_id, inventory_level.c.location_id],
        set_={"quantity": inventory_level.c.quantity + stmt.excluded.quantity},
    ).returning(*inventory_level.c)
    return inventory_doc(conn.execute(stmt).one())


def apply_movements(conn: Connection, moves: Iterable[Movement], reason: str, source: str) -> list[Doc]:
    """Apply several movements; returns the levels' documents in the order given.

    The level rows are written in key order whatever the order given, so two transactions touching
    the same levels lock them in the same order and cannot deadlock.
    """
    given = list(moves)
    done: dict[int, Doc] = {}
    for i in sorted(range(len(given)), key=lambda i: given[i][:2]):
        variant_id, location_id, delta = given[i]
        done[i] = apply_movement(conn, variant_id, location_id, delta, reason, source)
    return [done[i] for i in range(len(given))]


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
