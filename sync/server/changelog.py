"""The change log: every write to a synced entity goes through `record()`.

`record()` bumps the seq counter with `UPDATE ... RETURNING` inside the caller's transaction. On
PostgreSQL the updated counter row stays locked until commit, so writers take seqs one transaction at a
time and seq order is commit order: no reader can see seq N+1 before N. A rolled-back transaction rolls
the counter back too, so the log has no gaps. Callers call `record()` last, to hold that lock briefly.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, text

from sync.server.ids import utc_iso, utc_now

Doc = dict[str, Any]
# (entity, id, document without a meaningful version, or None for a delete)
Item = tuple[str, str, Doc | None]

_BUMP = text("UPDATE seq_counter SET value = value + :n WHERE id = 1 RETURNING value")
_VERSION = text("SELECT version FROM current_doc WHERE entity = :entity AND id = :id")
_LOG = text(
    "INSERT INTO change_log (seq, entity, entity_id, op, version, data, created_at)"
    " VALUES (:seq, :entity, :id, :op, :version, :data, :created_at)"
)
_UPSERT_DOC = text(
    "INSERT INTO current_doc (entity, id, version, doc) VALUES (:entity, :id, :version, :data)"
    " ON CONFLICT (entity, id) DO UPDATE SET version = excluded.version, doc = excluded.doc"
)
_DELETE_DOC = text("DELETE FROM current_doc WHERE entity = :entity AND id = :id")


def record(conn: Connection, items: Sequence[Item]) -> int:
    """Log `items` in order, update the current documents, return the last seq (the head)."""
    if not items:
        return head(conn)[0]
    top = conn.execute(_BUMP, {"n": len(items)}).scalar_one()
    now = utc_now()
    logs: list[dict[str, Any]] = []
    for seq, (entity, entity_id, doc) in enumerate(items, start=top - len(items) + 1):
        key = {"entity": entity, "id": entity_id}
        # Items may touch one record twice: current_doc is updated item by item, so versions chain.
        version = (conn.execute(_VERSION, key).scalar() or 0) + 1
        data = None
        if doc is None:
            conn.execute(_DELETE_DOC, key)
        else:
            doc["version"] = version
            data = orjson.dumps(doc).decode()
            conn.execute(_UPSERT_DOC, {**key, "version": version, "data": data})
        op = "upsert" if doc is not None else "delete"
        logs.append({**key, "seq": seq, "op": op, "version": version, "data": data, "created_at": now})
    conn.execute(_LOG, logs)
    return top


def head(conn: Connection) -> tuple[int, int]:
    """(head, floor): the last seq handed out and the highest seq pruned."""
    row = conn.execute(text("SELECT value, floor FROM seq_counter WHERE id = 1")).one()
    return int(row[0]), int(row[1])


def prune(conn: Connection, older_than_seconds: float) -> tuple[int, int]:
    """Drop log rows older than the age given; returns (rows deleted, new floor)."""
    cutoff = utc_iso(time.time() - older_than_seconds)
    newest_old = conn.execute(
        text("SELECT max(seq) FROM change_log WHERE created_at < :cutoff"), {"cutoff": cutoff}
    ).scalar()
    _, floor = head(conn)
    if newest_old is None or newest_old <= floor:
        return 0, floor
    deleted = conn.execute(text("DELETE FROM change_log WHERE seq <= :s"), {"s": newest_old}).rowcount
    conn.execute(text("UPDATE seq_counter SET floor = :s WHERE id = 1"), {"s": newest_old})
    return int(deleted), int(newest_old)


def current_doc(conn: Connection, entity: str, entity_id: str) -> Doc | None:
    raw = conn.execute(
        text("SELECT doc FROM current_doc WHERE entity = :e AND id = :i"), {"e": entity, "i": entity_id}
    ).scalar()
    return None if raw is None else orjson.loads(raw)


def list_docs(conn: Connection, entity: str, limit: int, offset: int) -> list[Doc]:
    rows = conn.execute(
        text("SELECT doc FROM current_doc WHERE entity = :e ORDER BY id LIMIT :l OFFSET :o"),
        {"e": entity, "l": limit, "o": offset},
    ).scalars()
    return [orjson.loads(r) for r in rows]
