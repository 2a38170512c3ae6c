"""The stock ledger: every change is a movement, applied as quantity = quantity + delta.

The level is written with one INSERT ... ON CONFLICT DO UPDATE, so the first two movements of a
variant at a location arriving together cannot both try to create the row: on PostgreSQL the second
waits for the first's row and adds to it. The updated row stays locked until commit, which keeps the
level's change-log entries in the order the quantities were reached.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, select

from sync.server import changelog
from sync.server.docs import inventory_doc
from sync.server.errors import NotFound
from sync.server.fastsql import Sql, run, run_many
from sync.server.ids import utc_now, uuid7
from sync.server.records import require
from sync.server.tables import inventory_level, location, variant

Doc = dict[str, Any]
# (variant_id, location_id, delta)
Movement = tuple[str, str, int]


def apply_movement(
    conn: Connection, variant_id: str, location_id: str, delta: int, reason: str, source: str
) -> Doc:
    """Record the movement and update the level; returns the level's document (to be logged by the caller)."""
    require(conn, variant, variant_id, "variant")
    require(conn, location, location_id, "location")
    _ledger(conn, [(variant_id, location_id, delta)], reason, source)
    return _add_to_level(conn, variant_id, location_id, delta)


_LEDGER = Sql(
    "INSERT INTO stock_movement (id, variant_id, location_id, delta, reason, source, created_at)"
    " VALUES (:id, :variant_id, :location_id, :delta, :reason, :source, :created_at)"
)


def _ledger(conn: Connection, moves: list[Movement], reason: str, source: str) -> None:
    run_many(conn, _LEDGER, ledger_rows(moves, reason, source))


def ledger_rows(moves: list[Movement], reason: str, source: str) -> list[dict[str, Any]]:
    """The ledger rows of `moves`, for `write_ledger` (several sales' rows go in together)."""
    now = utc_now()
    return [
        {
            "id": uuid7(),
            "variant_id": v,
            "location_id": loc,
            "delta": d,
            "reason": reason,
            "source": source,
            "created_at": now,
        }
        for v, loc, d in moves
    ]


def write_ledger(conn: Connection, rows: list[dict[str, Any]]) -> None:
    run_many(conn, _LEDGER, rows)


# Plain SQL on the driver's cursor (fastsql.py): building `insert().on_conflict_do_update()` alone
# cost ~0.3 ms a call, a third of a pushed sale. SQLite and PostgreSQL both take this syntax.
_ADD_TO_LEVEL = Sql(
    "INSERT INTO inventory_level (id, variant_id, location_id, quantity) VALUES (:id, :v, :loc, :delta)"
    " ON CONFLICT (variant_id, location_id)"
    " DO UPDATE SET quantity = inventory_level.quantity + excluded.quantity"
    " RETURNING id, variant_id, location_id, quantity"
)


_ADD_NET = Sql(
    "INSERT INTO inventory_level (id, variant_id, location_id, quantity) VALUES (:id, :v, :loc, :delta)"
    " ON CONFLICT (variant_id, location_id)"
    " DO UPDATE SET quantity = inventory_level.quantity + excluded.quantity"
)


def add_to_levels(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Add {"id", "v", "loc", "delta"} to each level (created with that id if missing), in the order
    given: callers pass them in key order, the order every writer locks levels in."""
    run_many(conn, _ADD_NET, rows)


def _add_to_level(conn: Connection, variant_id: str, location_id: str, delta: int) -> Doc:
    params = {"id": uuid7(), "v": variant_id, "loc": location_id, "delta": delta}
    row = run(conn, _ADD_TO_LEVEL, params).fetchone()
    return inventory_doc(SimpleNamespace(id=row[0], variant_id=row[1], location_id=row[2], quantity=row[3]))


def apply_checked_movements(conn: Connection, moves: list[Movement], reason: str, source: str) -> list[Doc]:
    """Like `apply_movements`, for variants and locations the caller has just checked exist (a pushed
    sale checks all its variants in one query): the ledger rows go in with one INSERT."""
    if not moves:
        return []
    _ledger(conn, moves, reason, source)
    order = sorted(range(len(moves)), key=lambda i: moves[i][:2])  # key order: see apply_movements
    done = {i: _add_to_level(conn, *moves[i]) for i in order}
    return [done[i] for i in range(len(moves))]


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
    ).all()
    # The level row keeps no version; the change log does (the version the tills hold).
    versions = changelog.versions_of(conn, [("inventory_level", r.id) for r in rows])
    return [{**inventory_doc(r), "version": versions.get(("inventory_level", r.id), 0)} for r in rows]


def first_location_id(conn: Connection) -> str:
    found = conn.execute(select(location.c.id).order_by(location.c.code).limit(1)).scalar()
    if found is None:
        raise NotFound("the shop has no location to take stock from; create one first")
    return found
