"""The change log: every write to a synced entity goes through `record()`.

`record()` bumps the seq counter with `UPDATE ... RETURNING` inside the caller's transaction. On
PostgreSQL the updated counter row stays locked until commit, so writers take seqs one transaction at a
time and seq order is commit order: no reader can see seq N+1 before N. A rolled-back transaction rolls
the counter back too, so the log has no gaps. Every PostgreSQL write transaction locks that row first
(db.write_on), so writers queue there and never deadlock over the rows they touch after it.
`advance` and `write_entries` are `record()` split in two, for a batch of pushed sales that numbers
its own entries while it holds that lock (sales_batch.py).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, Table, text, update

from sync.protocol import title_order_key
from sync.server.fastsql import Sql, in_list, run, run_many
from sync.server.ids import utc_iso, utc_now

Doc = dict[str, Any]
# (entity, id, document without a meaningful version, or None for a delete)
Item = tuple[str, str, Doc | None]

# Statements run on the driver's cursor (fastsql.py): every write of the shop logs through here,
# and a pushed sale logs four records.
_BUMP = Sql("UPDATE seq_counter SET value = value + :n WHERE id = 1 RETURNING value")
_LOG = Sql(
    "INSERT INTO change_log (seq, entity, entity_id, op, version, data, created_at)"
    " VALUES (:seq, :entity, :id, :op, :version, :data, :created_at)"
)
_UPSERT_DOC = Sql(
    "INSERT INTO current_doc (entity, id, version, doc, sort_key)"
    " VALUES (:entity, :id, :version, :data, :sort_key)"
    " ON CONFLICT (entity, id) DO UPDATE SET version = excluded.version, doc = excluded.doc,"
    " sort_key = excluded.sort_key"
)
_IDS_PER_QUERY = 1000  # well under SQLite's and PostgreSQL's limits on bound parameters
_DELETE_DOC = Sql("DELETE FROM current_doc WHERE entity = :entity AND id = :id")


def record(conn: Connection, items: Sequence[Item]) -> int:
    """Log `items` in order, update the current documents, return the last seq (the head)."""
    if not items:
        return head(conn)[0]
    (top,) = run(conn, _BUMP, {"n": len(items)}).fetchone()
    now = utc_now()
    versions = _versions(conn, items)
    logs: list[dict[str, Any]] = []
    upserts: list[dict[str, Any]] = []
    for seq, (entity, entity_id, doc) in enumerate(items, start=top - len(items) + 1):
        key = {"entity": entity, "id": entity_id}
        # Items may touch one record twice: versions chain from item to item.
        version = versions.get((entity, entity_id), 0) + 1
        versions[(entity, entity_id)] = version
        data = None
        if doc is None:
            run_many(conn, _UPSERT_DOC, upserts)  # first: keep the order of writes to current_doc
            upserts = []
            run(conn, _DELETE_DOC, key)
        else:
            doc["version"] = version
            data = orjson.dumps(doc).decode()
            upserts.append({**key, "version": version, "data": data, "sort_key": sort_key(entity, doc)})
        op = "upsert" if doc is not None else "delete"
        logs.append({**key, "seq": seq, "op": op, "version": version, "data": data, "created_at": now})
    run_many(conn, _UPSERT_DOC, upserts)
    run_many(conn, _LOG, logs)
    return int(top)


def sort_key(entity: str, doc: Doc) -> str | None:
    """Where a document comes in a snapshot of its entity (then by id): products by title."""
    return title_order_key(doc["title"]) if entity == "product" else None


def advance(conn: Connection, n: int) -> int:
    """Hand out `n` seqs; returns the last. For a caller that numbers its own entries (write_entries)."""
    (top,) = run(conn, _BUMP, {"n": n}).fetchone()
    return int(top)


def write_entries(conn: Connection, logs: list[dict[str, Any]], docs: list[dict[str, Any]]) -> None:
    """Write log rows ({"seq", "entity", "id", "op", "version", "data", "created_at"}) and the newest
    document of each record they touch ({"entity", "id", "version", "data"}), all upserts, numbered by
    the caller from seqs it took with `advance`: `record` in bulk, for a batch of pushed sales
    (no products: their snapshot order key is NULL)."""
    run_many(conn, _UPSERT_DOC, [{"sort_key": None, **doc} for doc in docs])
    run_many(conn, _LOG, logs)


def _versions(conn: Connection, items: Sequence[Item]) -> dict[tuple[str, str], int]:
    return versions_of(conn, [(entity, entity_id) for entity, entity_id, _ in items])


def versions_of(conn: Connection, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Current version of those records that have one: one query for up to _IDS_PER_QUERY ids."""
    ids: dict[str, set[str]] = {}
    for entity, entity_id in keys:
        ids.setdefault(entity, set()).add(entity_id)
    pairs = [(entity, entity_id) for entity, wanted in ids.items() for entity_id in sorted(wanted)]
    found: dict[tuple[str, str], int] = {}
    for i in range(0, len(pairs), _IDS_PER_QUERY):
        sql, params = _versions_query(pairs[i : i + _IDS_PER_QUERY])
        for entity, entity_id, version in run(conn, sql, params):
            found[(entity, entity_id)] = int(version)
    return found


def _versions_query(pairs: list[tuple[str, str]]) -> tuple[Sql, dict[str, Any]]:
    groups: dict[str, list[str]] = {}
    for entity, entity_id in pairs:
        groups.setdefault(entity, []).append(entity_id)
    wheres: list[str] = []
    params: dict[str, Any] = {}
    for n, (entity, wanted) in enumerate(groups.items()):
        listed, more = in_list(f"i{n}_", wanted)
        wheres.append(f"(entity = :e{n} AND id IN {listed})")
        params |= {f"e{n}": entity, **more}
    return Sql("SELECT entity, id, version FROM current_doc WHERE " + " OR ".join(wheres)), params


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


def same_doc(stored: Doc, doc: Doc) -> bool:
    """Whether `doc` says what the stored document says (its version and updated_at aside): a change
    that changes nothing is not logged, so tills do not download it again."""
    ignored = ("version", "updated_at")
    return {k: v for k, v in stored.items() if k not in ignored} == {
        k: v for k, v in doc.items() if k not in ignored
    }


def unchanged(conn: Connection, entity: str, entity_id: str, doc: Doc) -> Doc | None:
    """The stored document when `doc`, as written now, says what it says (nothing to log), else None."""
    stored = current_doc(conn, entity, entity_id)
    return stored if stored is not None and same_doc(stored, doc) else None


def stamp_updated(conn: Connection, table: Table, entity_id: str, doc: Doc) -> None:
    """A real change: the row's updated_at set to now, and `doc`'s with it (the column holds the
    wire's text, so the document needs no reload). Tables without the column are left alone."""
    if "updated_at" not in table.c:
        return
    now = utc_now()
    conn.execute(update(table).where(table.c.id == entity_id).values(updated_at=now))
    if "updated_at" in doc:
        doc["updated_at"] = now


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
