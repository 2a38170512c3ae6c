"""SqliteReplica: the till's copy of the shop, implementing sync.ports.Replica structurally.

Writes go through the sqlite3 driver connection under BEGIN IMMEDIATE: raw executemany is ~2x
SQLAlchemy Core on a first sync (PLATFORM.md), and an immediate transaction never fails half-way on
a lock upgrade. A snapshot is written in chunks of CHUNK_DOCS documents, each its own short
transaction, so a checkout commit never waits long behind a first sync; documents are buffered
between chunks so no transaction stays open while the network is read.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine

from pos.store import products
from pos.store.entities import ENTITY_TABLES, EntityTable
from sync.ports import AppliedChanges, ProtocolError, SyncState
from sync.protocol import Change, ShopInfo

log = logging.getLogger(__name__)

Doc = dict[str, Any]
CHUNK_DOCS = 20_000
# What a document the replica's constraints refuse raises; all mean "this page is inconsistent".
_REFUSED = (sqlite3.IntegrityError, KeyError, TypeError, ValueError, AttributeError)
_TABLE_OF = {"product": "product", **{name: spec.table for name, spec in ENTITY_TABLES.items()}}


class SqliteReplica:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # --- connections and transactions ----------------------------------------------------------

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        pooled = self._engine.raw_connection()
        try:
            yield pooled.driver_connection  # type: ignore[misc]
        finally:
            pooled.close()

    @staticmethod
    @contextmanager
    def _transaction(con: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._connection() as con, self._transaction(con):
            yield con

    # --- state ---------------------------------------------------------------------------------

    def sync_state(self) -> SyncState:
        with self._connection() as con:
            con.execute("BEGIN")
            try:
                cursor, success_at, error = con.execute(
                    "SELECT cursor, last_success_at, last_error FROM sync_state WHERE id = 1"
                ).fetchone()
                done = dict(con.execute("SELECT entity, cursor FROM sync_snapshot").fetchall())
            finally:
                con.execute("COMMIT")
        return SyncState(cursor=cursor, snapshot_done=done, last_success_at=success_at, last_error=error)

    def begin_snapshot(self) -> None:
        with self._write() as con:
            con.execute("UPDATE sync_state SET cursor = NULL WHERE id = 1")
            con.execute("DELETE FROM sync_snapshot")

    def finish_snapshot(self) -> int:
        with self._write() as con:
            (cursor,) = con.execute("SELECT min(cursor) FROM sync_snapshot").fetchone()
            if cursor is None:
                raise RuntimeError("finish_snapshot called before any entity snapshot was loaded")
            con.execute("UPDATE sync_state SET cursor = ? WHERE id = 1", (cursor,))
        return int(cursor)

    def record_shop(self, info: ShopInfo) -> None:
        with self._write() as con:
            con.execute(
                "INSERT INTO shop (id, name, currency, prices_include_tax) VALUES (1, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET name = excluded.name, currency = excluded.currency, "
                "prices_include_tax = excluded.prices_include_tax",
                (info.shop_name, info.currency, info.prices_include_tax),
            )

    def record_sync_result(self, *, success_at: str | None, error: str | None) -> None:
        # A failure keeps the time of the last success: the status area shows both.
        with self._write() as con:
            con.execute(
                "UPDATE sync_state SET last_success_at = coalesce(?, last_success_at), last_error = ? "
                "WHERE id = 1",
                (success_at, error),
            )

    # --- snapshot ------------------------------------------------------------------------------

    def load_snapshot(self, entity: str, cursor: int, batches: Iterable[list[Doc]]) -> int:
        table = _table(entity)
        with self._connection() as con:
            # An empty table (a first sync) needs no record of which rows the snapshot listed.
            track = con.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()[0] == 1
            if track:
                _create_seen_tables(con, entity)
            try:
                loaded = self._load_chunks(con, entity, cursor, batches, track)
            finally:
                if track:
                    _drop_seen_tables(con)
        log.info("snapshot of %s loaded: %d documents at cursor %d", entity, loaded, cursor)
        return loaded

    def _load_chunks(
        self, con: sqlite3.Connection, entity: str, cursor: int, batches: Iterable[list[Doc]], track: bool
    ) -> int:
        loaded = 0
        buffer: list[Doc] = []
        for batch in batches:
            buffer.extend(batch)
            if len(buffer) >= CHUNK_DOCS:
                with self._transaction(con):
                    _write_snapshot_docs(con, entity, buffer, track)
                loaded += len(buffer)
                buffer = []
        with self._transaction(con):
            _write_snapshot_docs(con, entity, buffer, track)
            if track:
                _delete_unseen(con, entity)
            con.execute(
                "INSERT INTO sync_snapshot (entity, cursor) VALUES (?, ?) "
                "ON CONFLICT (entity) DO UPDATE SET cursor = excluded.cursor",
                (entity, cursor),
            )
        return loaded + len(buffer)

    # --- changes -------------------------------------------------------------------------------

    def apply_changes(self, changes: Sequence[Change], cursor: int) -> AppliedChanges:
        applied = AppliedChanges()
        with self._write() as con:
            for change in changes:
                try:
                    changed = _apply_change(con, change)
                except _REFUSED as exc:
                    raise ProtocolError(_refusal(change, exc)) from exc
                if changed:
                    target = applied.upserted if change["op"] == "upsert" else applied.deleted
                    target.setdefault(change["entity"], set()).add(change["id"])
            con.execute("UPDATE sync_state SET cursor = ? WHERE id = 1", (cursor,))
        return applied


def _table(entity: str) -> str:
    try:
        return _TABLE_OF[entity]
    except KeyError:
        raise ProtocolError(f"The shop sent an unknown kind of record: {entity!r}.") from None


def _refusal(change: Change, exc: BaseException) -> str:
    what = f"{change.get('entity')} {change.get('id')}"
    reason = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
    return (
        f"The shop sent an inconsistent change #{change.get('seq')} ({what}): {reason}. "
        "Nothing was applied."
    )


def _write_snapshot_docs(con: sqlite3.Connection, entity: str, docs: list[Doc], track: bool) -> None:
    if not docs:
        return
    try:
        if entity == "product":
            products.write_products(con, docs)
            if track:
                products.remember_seen(con, docs)
            return
        spec = ENTITY_TABLES[entity]
        con.executemany(spec.upsert_sql(guarded=False), [spec.row(doc) for doc in docs])
        if track:
            con.executemany("INSERT OR IGNORE INTO temp.seen_id (id) VALUES (?)", [(d["id"],) for d in docs])
    except _REFUSED as exc:
        reason = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
        raise ProtocolError(f"The shop's {entity} snapshot has an inconsistent record: {reason}.") from exc


def _create_seen_tables(con: sqlite3.Connection, entity: str) -> None:
    names = ("seen_product", "seen_variant") if entity == "product" else ("seen_id",)
    for name in names:
        con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} (id TEXT PRIMARY KEY) WITHOUT ROWID")
        con.execute(f"DELETE FROM temp.{name}")


def _drop_seen_tables(con: sqlite3.Connection) -> None:
    for name in ("seen_product", "seen_variant", "seen_id"):
        con.execute(f"DROP TABLE IF EXISTS temp.{name}")


def _delete_unseen(con: sqlite3.Connection, entity: str) -> None:
    if entity == "product":
        products.delete_unseen(con)
        return
    table = ENTITY_TABLES[entity].table
    con.execute(f"DELETE FROM {table} WHERE id NOT IN (SELECT id FROM temp.seen_id)")


def _apply_change(con: sqlite3.Connection, change: Change) -> bool:
    entity, op, record_id = change["entity"], change["op"], change["id"]
    _table(entity)
    if op == "delete":
        if entity == "product":
            return products.delete_product(con, record_id)
        table = ENTITY_TABLES[entity].table
        return con.execute(f"DELETE FROM {table} WHERE id = ?", (record_id,)).rowcount > 0
    if op != "upsert":
        raise ValueError(f"unknown operation {op!r}")
    doc = change["data"]
    if not isinstance(doc, dict):
        raise ValueError("an upsert without a document")
    if doc["id"] != record_id:
        raise ValueError(f"the document's id {doc['id']!r} differs from the change's")
    if entity == "product":
        return products.upsert_product(con, doc)
    spec: EntityTable = ENTITY_TABLES[entity]
    return con.execute(spec.upsert_sql(guarded=True), spec.row(doc)).rowcount > 0
