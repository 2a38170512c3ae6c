"""SqliteReplica: the till's copy of the shop, implementing sync.ports.Replica structurally.

Writes go through the sqlite3 driver connection under BEGIN IMMEDIATE: raw executemany is ~2x
SQLAlchemy Core on a first sync (PLATFORM.md), and an immediate transaction never fails half-way on
a lock upgrade. A snapshot is written in chunks of CHUNK_DOCS documents, each its own short
transaction; documents are buffered between chunks so no transaction stays open while the network
is read. Chunks of a first sync are built into rows on a stager thread and copied into the empty
tables from a scratch file (pos.store.scratch_load), and the product snapshot's last steps (indexes,
search index) run beside the next entity's load; chunks of a re-snapshot into a populated entity go
to staging and one final transaction replaces the live rows (pos.store.staging), so a cut stream
changes nothing.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from pos.store import indexes, products, scratch_load, staging, till
from pos.store.checkpoints import BackgroundCheckpoints
from pos.store.database import (
    BUSY_TIMEOUT_MS,
    driver_connection,
    read_transaction,
    transaction,
    write_transaction,
)
from pos.store.entities import ENTITY_TABLES, EntityTable, insert_rows
from pos.store.load_lock import LoadLock
from pos.store.outbox import forget_reflected
from pos.store.search_build import SearchBuilder
from pos.store.tables import LOAD_INDEXED_TABLES
from pos.store.till_file import till_engine
from pos.store.write_turns import WriteTurns
from sync.ports import AppliedChanges, ProtocolError, SyncState
from sync.protocol import Change, ShopInfo

log = logging.getLogger(__name__)

Doc = dict[str, Any]
CHUNK_DOCS = 20_000
Writer = Callable[[sqlite3.Connection, list[Doc]], None]
# What a document the replica's constraints refuse raises; all mean "this page is inconsistent".
_REFUSED = (sqlite3.IntegrityError, KeyError, TypeError, ValueError, AttributeError, OverflowError)
_TABLE_OF = {"product": "product", **{name: spec.table for name, spec in ENTITY_TABLES.items()}}


class SqliteReplica:
    def __init__(self, engine: Engine, *, chunk_docs: int = CHUNK_DOCS) -> None:
        """`chunk_docs`: documents a snapshot writes per transaction (tests use small chunks)."""
        if chunk_docs < 1:
            raise ValueError(f"chunk_docs must be at least 1, not {chunk_docs}")
        self._engine = engine
        self._chunk_docs = chunk_docs
        self._file = Path(str(engine.url.database))
        self._tail: _Tail | None = None
        # Taken around the write transactions of a snapshot load and of the threads it runs beside
        # it (the copies, the products' last steps); pos.store.write_turns says why. Held while
        # waiting for SQLite's lock or a breather, for nothing else, and never taken twice.
        self._turn = WriteTurns()
        self._load_lock = LoadLock(self._file)  # one snapshot run per replica file (pos.store.load_lock)

    # --- connections and transactions ----------------------------------------------------------

    def _connection(self) -> AbstractContextManager[sqlite3.Connection]:
        return driver_connection(self._engine)

    _transaction = staticmethod(transaction)

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        return write_transaction(self._engine)

    def _till(self) -> Engine:
        return till_engine(self._engine)

    # --- state ---------------------------------------------------------------------------------

    def sync_state(self) -> SyncState:
        with read_transaction(self._engine) as con:
            cursor, success_at, error = con.execute(
                "SELECT cursor, last_success_at, last_error FROM sync_state WHERE id = 1"
            ).fetchone()
            done = dict(con.execute("SELECT entity, cursor FROM sync_snapshot").fetchall())
        return SyncState(cursor=cursor, snapshot_done=done, last_success_at=success_at, last_error=error)

    def begin_snapshot(self) -> None:
        self._wait_for_tail(raising=False)  # a new run loads everything again
        # Deltas the current levels show must go while the cursor still says so: until the new
        # levels are in, every delta left counts (pos.store.outbox.UNREFLECTED_DELTAS).
        cursor = self.sync_state().cursor
        if cursor is not None:
            forget_reflected(self._till(), cursor)
        with self._write() as con:
            con.execute("UPDATE sync_state SET cursor = NULL WHERE id = 1")
            con.execute("DELETE FROM sync_snapshot")
            staging.drop_all(con)

    def finish_snapshot(self) -> int:
        try:
            self._wait_for_tail()
            with self._write() as con:
                (cursor,) = con.execute("SELECT min(cursor) FROM sync_snapshot").fetchone()
                if cursor is None:
                    raise RuntimeError("finish_snapshot called before any entity snapshot was loaded")
                con.execute("UPDATE sync_state SET cursor = ? WHERE id = 1", (cursor,))
        finally:
            self._load_lock.release()
        return int(cursor)

    def record_shop(self, info: ShopInfo) -> None:
        with self._write() as con:
            con.execute(
                "INSERT INTO shop (id, name, currency, prices_include_tax) VALUES (1, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET name = excluded.name, currency = excluded.currency, "
                "prices_include_tax = excluded.prices_include_tax",
                (info.shop_name, info.currency, info.prices_include_tax),
            )
        with write_transaction(self._till()) as con:
            till.record_till(con, info.device_id, info.till_code)

    def record_sync_result(self, *, success_at: str | None, error: str | None) -> None:
        # A failure keeps the time of the last success: the status area shows both.
        with self._write() as con:
            con.execute(
                "UPDATE sync_state SET last_success_at = coalesce(?, last_success_at), last_error = ? "
                "WHERE id = 1",
                (success_at, error),
            )

    # --- snapshot ------------------------------------------------------------------------------

    def load_snapshot(
        self, entity: str, cursor: int, batches: Iterable[list[Doc]], *, overlap_next: bool = False
    ) -> int:
        table = _table(entity)
        if entity == "product":
            self._wait_for_tail(raising=False)  # left by a run that failed; this load starts over
        self._load_lock.acquire()  # held to the run's end (finish_snapshot) or its failure
        try:
            with self._connection() as con:
                # Only when needed: the write lock may be held by the tail of the previous load,
                # and this load's staging needs no lock until its first copy.
                if staging.names(con):
                    with self._turn, self._transaction(con):
                        staging.drop_all(con)  # a load cut short earlier left its staging behind
                if entity == "product":
                    self._discard_unfinished_first_load(con)
                # Left by a load that was killed; it resumes below as a staged load if chunks got in.
                scratch_load.remove_leftovers(self._file, keep=self._tail.scratch if self._tail else None)
                empty = con.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()[0] == 0
                if empty:
                    loaded = self._load_into_empty(con, entity, cursor, batches, overlap_next)
                else:
                    loaded = self._load_staged(con, entity, cursor, batches)
        except BaseException:
            self._wait_for_tail(raising=False)  # this load's own failure is the one to report
            self._load_lock.release()  # the next try starts over (its leftovers go then)
            raise
        if entity != "product" or not overlap_next:
            self._wait_for_tail()
        log.info("snapshot of %s loaded: %d documents at cursor %d", entity, loaded, cursor)
        if entity == "inventory_level":
            # Levels loaded at this cursor include every stock movement the shop logged up to it.
            forget_reflected(self._till(), cursor)
        return loaded

    def _wait_for_tail(self, *, raising: bool = True) -> None:
        """Wait for a product load's last steps running beside the next load; raise what they raised."""
        tail, self._tail = self._tail, None
        if tail is None:
            return
        try:
            tail.wait()
        except Exception as exc:
            if raising:
                raise
            log.warning("the last steps of an earlier product load failed: %s", exc)

    def _discard_unfinished_first_load(self, con: sqlite3.Connection) -> None:
        # A first sync that stopped part-way left products without search rows: start it over.
        with self._turn, self._transaction(con):
            if not products.search_is_complete(con):
                log.info("discarding the products of an unfinished first sync")
                products.delete_all(con)

    def _load_into_empty(
        self,
        con: sqlite3.Connection,
        entity: str,
        cursor: int,
        batches: Iterable[list[Doc]],
        overlap_next: bool,
    ) -> int:
        """The first sync's fast path: rows built on a stager thread, copied in, indexes built once.

        Crash safety holds: every chunk is a transaction, synchronous=NORMAL in WAL mode never
        corrupts the file (a power cut can only lose the last commits, which leave the entity not
        done), and the commit that marks the entity done is FULL, flushing every frame before it.
        The products' search index is built in a scratch file of its own and copied in
        (_finish_products);
        with `overlap_next` that runs on a thread of its own (a _Tail) while the next entity loads.
        """
        indexed = LOAD_INDEXED_TABLES.get(entity, ())
        if indexed:
            with self._turn, self._transaction(con):
                indexes.drop_load_indexes(con, indexed)
        first_load = products.FirstLoad(con) if entity == "product" else None
        tables, write = (first_load.TABLES, first_load.write) if first_load else _plain_scratch(entity)
        path = scratch_load.scratch_path(self._file)
        search = None
        try:
            if first_load:
                search = SearchBuilder(
                    _search_path(path), path, first_load.search_ddl, first_load.first_key, first_load.in_order
                )
            loaded = self._stage_and_copy(con, entity, path, tables, write, batches, search)
        except BaseException:
            if search:
                search.close()
            _remove_scratch(path)
            self._build_indexes(con, indexed)  # every replica keeps its indexes, done or not
            raise
        if first_load is None or search is None:  # both or neither: `search` is made for products
            _remove_scratch(path)
            self._build_indexes(con, indexed)
            with self._turn, self._transaction(con):
                _mark_done(con, entity, cursor)
            return loaded
        # Marking the products done before their indexes are built is safe: open_replica builds
        # any index a crash left missing.
        tail = _Tail(
            partial(self._finish_products, first_load, search, cursor, path),
            partial(self._build_indexes_apart, indexed),
            scratch=path,
        )
        if overlap_next:
            self._tail = tail
        else:
            tail.wait()
        return loaded

    def _stage_and_copy(
        self,
        con: sqlite3.Connection,
        entity: str,
        path: Path,
        tables: Sequence[scratch_load.ScratchTable],
        write: Writer,
        batches: Iterable[list[Doc]],
        search: SearchBuilder | None,
    ) -> int:
        # Outside a transaction: SQLite ignores the foreign_keys pragma inside one. Variants are
        # written with the product that lists them, so their foreign key cannot fail here.
        con.execute("PRAGMA foreign_keys = OFF")
        con.execute("PRAGMA synchronous = NORMAL")
        loaded = 0
        try:
            with BackgroundCheckpoints(con, self._connection), scratch_load.Stager(
                path, tables, _refusing_writer(entity, write), self._chunks(batches)
            ) as stager, scratch_load.attached(con, path):
                for chunk in stager.staged():
                    if search:  # it reads the staged texts, committed in the scratch file
                        search.add(*chunk.rows["product"])
                    # Deferred: BEGIN IMMEDIATE would also take the scratch file's write lock,
                    # and wait for the stager writing the next chunk there.
                    with self._turn, self._transaction(con, "BEGIN"), _refused(entity):
                        scratch_load.copy_chunk(con, tables, chunk)
                    loaded += chunk.docs
        finally:
            con.execute("PRAGMA synchronous = FULL")
            con.execute("PRAGMA foreign_keys = ON")
        return loaded

    def _finish_products(
        self, first_load: products.FirstLoad, search: SearchBuilder, cursor: int, path: Path
    ) -> None:
        """Finish the search index, then copy it in and mark the products done.

        The copy is made on a connection of its own (FirstLoad.copy_search says why), in one FULL
        transaction with the mark: products are done exactly when their search rows are in.
        """
        try:
            search.finish()
            con = sqlite3.connect(str(self._file), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
            try:
                con.execute("PRAGMA synchronous = FULL")
                con.execute("ATTACH DATABASE ? AS search", (str(search.path),))
                with self._turn, self._transaction(con):
                    first_load.copy_search(con, "search")
                    _mark_done(con, "product", cursor)
            finally:
                con.close()
        finally:
            _remove_scratch(path)

    def _build_indexes_apart(self, tables: Sequence[str]) -> None:
        with self._connection() as con:
            self._build_indexes(con, tables)

    def _build_indexes(self, con: sqlite3.Connection, tables: Sequence[str]) -> None:
        for _, ddl in indexes.load_index_ddl(tables):
            with self._turn, self._transaction(con):
                con.execute(ddl)

    def _load_staged(
        self, con: sqlite3.Connection, entity: str, cursor: int, batches: Iterable[list[Doc]]
    ) -> int:
        """Into a populated entity: chunks go to staging, one transaction replaces the live rows."""
        with self._transaction(con):
            load = staging.StagedLoad(con, entity)
        loaded = 0
        try:
            for chunk in self._chunks(batches):
                with self._transaction(con), _refused(entity):
                    load.write(con, chunk)
                loaded += len(chunk)
            with staging.plan_on_disk(con):
                if load.prepared_apart:
                    with self._transaction(con, "BEGIN"):  # reads the replica; writes only temp tables
                        load.prepare(con)
                with self._transaction(con):
                    with _refused(entity):
                        load.merge(con)
                    _mark_done(con, entity, cursor)
        except BaseException:
            self._drop_staging(con)
            raise
        # Apart from the merge: freeing the pages of 3M staged stock levels takes over a second, and
        # staging left behind is harmless (the next load, begin_snapshot or open drops it).
        self._drop_staging(con)
        return loaded

    def _drop_staging(self, con: sqlite3.Connection) -> None:
        # Only tidiness (the next load, begin_snapshot or open drops it too): never mask a failure.
        try:
            with self._transaction(con):
                staging.drop_all(con)
        except sqlite3.Error as exc:
            log.warning("could not drop the staging tables of a snapshot load: %s", exc)

    def _chunks(self, batches: Iterable[list[Doc]]) -> Iterator[list[Doc]]:
        """Batches gathered into chunks: each written while no transaction waits on the network."""
        buffer: list[Doc] = []
        for batch in batches:
            buffer.extend(batch)
            if len(buffer) >= self._chunk_docs:
                yield buffer
                buffer = []
        if buffer:
            yield buffer

    # --- changes -------------------------------------------------------------------------------

    def apply_changes(self, changes: Sequence[Change], cursor: int) -> AppliedChanges:
        self._wait_for_tail()
        applied = AppliedChanges()
        dropped: set[str] = set()  # variants the page's products stopped listing
        with self._write() as con:
            for change in changes:
                try:
                    changed = _apply_change(con, change, dropped)
                except _REFUSED as exc:
                    raise ProtocolError(_refusal(change, exc)) from exc
                if changed:
                    target = applied.upserted if change["op"] == "upsert" else applied.deleted
                    target.setdefault(change["entity"], set()).add(change["id"])
            products.drop_levels_of_gone(con, dropped)
            con.execute("UPDATE sync_state SET cursor = ? WHERE id = 1", (cursor,))
        forget_reflected(self._till(), cursor)
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


def _mark_done(con: sqlite3.Connection, entity: str, cursor: int) -> None:
    con.execute(
        "INSERT INTO sync_snapshot (entity, cursor) VALUES (?, ?) "
        "ON CONFLICT (entity) DO UPDATE SET cursor = excluded.cursor",
        (entity, cursor),
    )


def _search_path(scratch: Path) -> Path:
    return scratch.with_name(scratch.name + ".search")


def _remove_scratch(path: Path) -> None:
    scratch_load.remove(path)
    scratch_load.remove(_search_path(path))


def _plain_scratch(entity: str) -> tuple[tuple[scratch_load.ScratchTable, ...], Writer]:
    """The scratch table of an entity without extras, and the writer that stages its rows."""
    spec = ENTITY_TABLES[entity]
    row = spec.row

    def write(con: sqlite3.Connection, docs: list[Doc]) -> None:
        insert_rows(con, spec.table, spec.columns, [row(doc) for doc in docs])

    return (scratch_load.ScratchTable(spec.table, spec.columns, live=spec.table),), write


def _refusing_writer(entity: str, write: Writer) -> Writer:
    def refusing(con: sqlite3.Connection, docs: list[Doc]) -> None:
        with _refused(entity):
            write(con, docs)

    return refusing


@contextmanager
def _refused(entity: str) -> Iterator[None]:
    """What the replica refuses in a snapshot's documents, as a ProtocolError naming the entity."""
    try:
        yield
    except _REFUSED as exc:
        reason = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
        if isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc):
            reason = f"a record listed twice ({exc})"
        raise ProtocolError(f"The shop's {entity} snapshot has an inconsistent record: {reason}.") from exc


def _apply_change(con: sqlite3.Connection, change: Change, dropped: set[str]) -> bool:
    entity, op, record_id = change["entity"], change["op"], change["id"]
    _table(entity)
    if op == "delete":
        if entity == "product":
            return products.delete_product(con, record_id, dropped)
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
        return products.upsert_product(con, doc, dropped)
    spec: EntityTable = ENTITY_TABLES[entity]
    return con.execute(spec.upsert_sql(guarded=True), spec.row(doc)).rowcount > 0


class _Tail:
    """The product snapshot's last steps, each on a thread of its own, overlapping the next load.

    They are SQLite statements (the search index copied in, the index builds), which run without
    the GIL: the next entity's rows are validated, staged and copied meanwhile, taking the
    replica's write lock in turns with them. `wait()` raises what a step raised.
    """

    def __init__(self, *steps: Callable[[], None], scratch: Path) -> None:
        self.scratch = scratch  # the scratch file the steps still read
        self._errors: list[BaseException] = []
        self._threads = [
            threading.Thread(target=self._run, args=(step,), name="snapshot-tail", daemon=True)
            for step in steps
        ]
        for thread in self._threads:
            thread.start()

    def _run(self, step: Callable[[], None]) -> None:
        try:
            step()
        except BaseException as exc:  # raised again by wait(), on the thread that loads
            self._errors.append(exc)

    def wait(self) -> None:
        for thread in self._threads:
            thread.join()
        if self._errors:
            raise self._errors[0]
