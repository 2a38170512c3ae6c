"""Open the till's replica: one SQLite file per shop connection, WAL, migrations applied on open.

Every pooled connection gets the same pragmas from a connect listener. Transactions are ours, not
the sqlite3 module's: its legacy mode would skip BEGIN before SELECTs and autocommit DDL, so each
connection runs in autocommit and SQLAlchemy's "begin" event emits BEGIN (SQLAlchemy docs,
"Enabling Non-Legacy SQLite Transactional Modes"). Replica writers issue BEGIN IMMEDIATE themselves
on the driver connection so that a writer never fails half-way on a lock upgrade.
"""

from __future__ import annotations

import functools
import logging
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import URL, Connection, Engine, create_engine, event

from pos.store import staging, till_file
from pos.store.indexes import missing_indexes

if TYPE_CHECKING:  # alembic is imported where migrations run: the snapshot child never needs it
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_MS = 10_000
# The page cache is per connection; 32 MB holds the hot part of a 1M-product catalog's indexes.
CACHE_KIB = 32_768
# Pages of a new replica: a first sync writes fewer B-tree pages and WAL frames than with 4 KiB
# (benchmarks/first_sync.py: ~0.3 s of 4.7 s at 100k products; benchmarks/lookup.py stays within
# its noise). SQLite fixes the size when the file is created, so an existing replica keeps its own.
PAGE_SIZE = 8192
TILL_PAGE_SIZE = 4096  # small rows written one sale at a time
TILL_CACHE_KIB = 8_192
TILL_MIGRATIONS_DIR = Path(__file__).with_name("till_migrations")
# The replica schemas whose file still held the till's own tables (migration 0009 moves them out).
_TILL_TABLES_IN_REPLICA = ("0005", "0006", "0007", "0008")


class ReplicaSchemaError(RuntimeError):
    """The replica file cannot be used by this version of Countertop (e.g. written by a newer one)."""


def open_replica(path: Path, *, migrate: bool = True) -> Engine:
    """Create or open the replica at `path` and its till file, bring both schemas to the current
    version, return the replica's engine (`pos.store.till_file.till_engine` gives the till file's).

    An existing file whose schema is behind is copied to `<name>.backup-<revision>-<UTC time>` first.
    `migrate=False` is for a process started by one that opened the replica already (the snapshot
    child): both files must be at this code's schema already, and alembic (a tenth of a second of
    imports) is never loaded. ReplicaSchemaError if a file is not.
    """
    path = Path(path)
    till = till_file.till_path(path)
    if not migrate:
        _require_schema(path, MIGRATIONS_DIR)
        _require_schema(till, TILL_MIGRATIONS_DIR)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Each connection attaches the other file read-only, so both must exist first.
    _create_wal_file(path, PAGE_SIZE)
    _create_wal_file(till, TILL_PAGE_SIZE)
    till_engine = _engine(till, attach=(till_file.REPLICA_ATTACHED, path), cache_kib=TILL_CACHE_KIB)
    engine = _engine(path, attach=(till_file.ATTACHED, till), cache_kib=CACHE_KIB)
    try:
        if migrate:
            _upgrade(till_engine, till, TILL_MIGRATIONS_DIR)
            _upgrade(engine, path, MIGRATIONS_DIR, till=till)
        _build_missing_indexes(engine, path)
        _drop_leftover_staging(engine)
    except Exception:
        engine.dispose()
        till_engine.dispose()
        raise
    till_file.remember_till_engine(engine, till_engine)
    event.listen(engine, "engine_disposed", lambda _engine: till_engine.dispose())
    return engine


def _require_schema(path: Path, directory: Path) -> None:
    problem = f"The file {path} was not opened by Countertop before: open it in the app first."
    if not path.is_file():
        raise ReplicaSchemaError(problem)
    version = stored_revision(path)
    if version is None:
        raise ReplicaSchemaError(problem)
    head = head_in_files(directory)
    if version != head:
        raise ReplicaSchemaError(
            f"The file {path} has schema version {version!r}, not {head!r} as this Countertop expects "
            "(was Countertop updated while the app ran?). Restart the app."
        )


def stored_revision(path: Path) -> str | None:
    """The schema revision stored in the file, read without alembic and read-only (it never takes a
    write lock); None if it has none (yet), is missing or is no database."""
    try:
        con = sqlite3.connect(till_file.read_only_uri(path), uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.DatabaseError:
        return None
    try:
        row = con.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        row = None
    finally:
        con.close()
    return None if row is None else str(row[0])


_REVISION = re.compile(r"^(down_revision|revision)\s*=\s*[\"']([^\"']+)[\"']", re.MULTILINE)


@functools.cache  # the files do not change while the code runs; each start asks twice or three times
def head_in_files(directory: Path = MIGRATIONS_DIR) -> str:
    """The head revision, read from the migration files without alembic (the revision no other
    revises); the same as head_revision for the linear histories these folders hold."""
    revisions, revised = set(), set()
    for file in (directory / "versions").glob("*.py"):
        for kind, value in _REVISION.findall(file.read_text(encoding="utf-8")):
            (revisions if kind == "revision" else revised).add(value)
    heads = revisions - revised
    if len(heads) != 1:
        raise ReplicaSchemaError(f"{directory} does not have one head revision: {sorted(heads)}")
    return heads.pop()


def _create_wal_file(path: Path, page_size: int) -> None:
    con = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        con.execute(f"PRAGMA page_size={page_size}")  # only an empty file takes it
        con.execute("PRAGMA journal_mode=WAL")
    finally:
        con.close()


def _engine(path: Path, *, attach: tuple[str, Path], cache_kib: int) -> Engine:
    engine = create_engine(
        URL.create("sqlite", database=str(path)),
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        pool_size=4,
        max_overflow=8,
    )
    schema, other = attach

    def configure(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        _configure_connection(dbapi_connection, cache_kib)
        dbapi_connection.execute(f"ATTACH DATABASE ? AS {schema}", (till_file.read_only_uri(other),))

    event.listen(engine, "connect", configure)
    event.listen(engine, "begin", _begin)
    return engine


@contextmanager
def driver_connection(engine: Engine) -> Iterator[sqlite3.Connection]:
    """A pooled connection's sqlite3 connection, in autocommit: the caller says BEGIN (the raw driver
    is ~2x faster than the ORM for the replica's bulk work)."""
    pooled = engine.raw_connection()
    try:
        yield pooled.driver_connection  # type: ignore[misc]
    finally:
        pooled.close()


@contextmanager
def read_transaction(engine: Engine) -> Iterator[sqlite3.Connection]:
    """A read transaction: every query inside sees the same committed state (WAL snapshot)."""
    with driver_connection(engine) as con:
        con.execute("BEGIN")
        try:
            yield con
        finally:
            con.execute("COMMIT")


@contextmanager
def transaction(con: sqlite3.Connection, begin: str = "BEGIN IMMEDIATE") -> Iterator[sqlite3.Connection]:
    """`begin` ... COMMIT, or ROLLBACK on error. BEGIN IMMEDIATE by default: the write lock now, not
    at the first write (with a file attached it takes that file's lock too)."""
    con.execute(begin)
    try:
        yield con
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise


@contextmanager
def write_transaction(engine: Engine) -> Iterator[sqlite3.Connection]:
    """A pooled driver connection inside `transaction`: one short write of its own."""
    with driver_connection(engine) as con, transaction(con):
        yield con


@contextmanager
def write_both_files(engine: Engine) -> Iterator[sqlite3.Connection]:
    """One transaction writing the replica and its till file (a customer saved at the till).

    Its own connection, with the till file as `main` and the replica attached writable. The
    replica's write lock is taken first (it may wait behind a sync) and the till's only after it,
    so no checkout ever waits for the sync through this transaction. SQLite commits `main` first:
    see pos.store.till_file for what a kill between the two commits leaves.
    """
    replica = Path(str(engine.url.database))
    con = sqlite3.connect(
        str(till_file.till_path(replica)), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
    )
    try:
        _configure_connection(con, TILL_CACHE_KIB)
        con.execute(f"ATTACH DATABASE ? AS {till_file.REPLICA_ATTACHED}", (str(replica),))
        con.execute(f"PRAGMA {till_file.REPLICA_ATTACHED}.synchronous=FULL")
        # Deferred: IMMEDIATE would lock both files at once, in SQLite's order, not this one.
        with transaction(con, begin="BEGIN"):
            # A write that changes nothing takes a file's write lock: the replica's, then the till's.
            con.execute(f"UPDATE {till_file.REPLICA_ATTACHED}.sync_state SET id = id WHERE 0")
            con.execute("UPDATE main.till SET id = id WHERE 0")
            yield con
    finally:
        con.close()


def _build_missing_indexes(engine: Engine, path: Path) -> None:
    # A first sync drops secondary indexes while it loads (pos.store.indexes); a crash part-way
    # must not leave the till without them.
    with driver_connection(engine) as con:
        for name, ddl in missing_indexes(con):
            log.info("replica %s: building index %s, missing after an interrupted load", path, name)
            con.execute(ddl)


def _drop_leftover_staging(engine: Engine) -> None:
    # A snapshot load killed part-way leaves its staging tables (pos.store.staging); the live rows
    # are as they were, and the next load starts its staging afresh.
    with write_transaction(engine) as con:
        staging.drop_all(con)


def _configure_connection(dbapi_connection: sqlite3.Connection, cache_kib: int) -> None:
    dbapi_connection.isolation_level = None
    for pragma in (
        "journal_mode=WAL",
        # A sale or outbox row the cashier saw committed must survive a power cut.
        "synchronous=FULL",
        "foreign_keys=ON",
        f"busy_timeout={BUSY_TIMEOUT_MS}",
        "temp_store=MEMORY",
        f"cache_size=-{cache_kib}",
    ):
        dbapi_connection.execute(f"PRAGMA {pragma}")


def _begin(connection: Connection) -> None:
    # `begin_mode="IMMEDIATE"` takes the write lock up front: a deferred transaction that reads
    # before writing gets SQLITE_BUSY_SNAPSHOT at once, without waiting, if another writer commits
    # in between (WAL), whereas waiting for the lock honours busy_timeout.
    mode = connection.get_execution_options().get("begin_mode", "")
    connection.exec_driver_sql(f"BEGIN {mode}".strip())


def alembic_config(directory: Path = MIGRATIONS_DIR) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(directory))
    return config


def head_revision(directory: Path = MIGRATIONS_DIR) -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(directory)).get_current_head()
    assert head is not None, f"{directory} has no revisions"
    return head


def current_revision(engine: Engine) -> str | None:
    """The schema revision of the engine's own file (`main`, never the attached one)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table_schema": "main"})
        return context.get_current_revision()


def upgrade_to(engine: Engine, revision: str, directory: Path = MIGRATIONS_DIR) -> None:
    """Run migrations up to `revision` in one transaction (tests build old databases with it)."""
    from alembic import command

    config = alembic_config(directory)
    with engine.connect() as plain, plain.execution_options(begin_mode="IMMEDIATE").begin() as tx:
        config.attributes["connection"] = tx.connection
        command.upgrade(config, revision)


def _upgrade(engine: Engine, path: Path, directory: Path, *, till: Path | None = None) -> None:
    # Nearly every start finds the file at this code's schema: tell so without alembic, whose
    # imports alone took 0.1 s of the window's opening (benchmarks/app_open.py).
    if stored_revision(path) == head_in_files(directory):
        return
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config(directory))
    head = head_revision(directory)
    current = current_revision(engine)
    if current == head:
        return
    if current is not None:
        try:
            scripts.get_revision(current)
        except Exception as exc:
            # The till file holds what only this till has (sales not yet sent, shifts): never
            # suggest removing it; the replica is a copy of the shop and can be loaded again.
            what = (
                "Update Countertop. Do not remove the file: it holds this till's sales and shifts, "
                "some perhaps not yet sent to the shop."
                if directory == TILL_MIGRATIONS_DIR
                else "Update Countertop, or remove the file to load the shop again from scratch."
            )
            raise ReplicaSchemaError(
                f"The file {path} has schema version {current!r}, which this version of Countertop "
                f"does not know (was it written by a newer version?). {what}"
            ) from exc
        backup = backup_file(path, current)
        log.info("%s is at schema %s; backed up to %s before upgrading", path, current, backup)
    if till is not None and current in _TILL_TABLES_IN_REPLICA:
        upgrade_to(engine, _TILL_TABLES_IN_REPLICA[-1], directory)
        till_file.move_rows(till, path, BUSY_TIMEOUT_MS / 1000)
    upgrade_to(engine, head, directory)
    log.info("%s upgraded from %s to %s", path, current, head)


def backup_file(path: Path, revision: str) -> Path:
    """Copy the database with SQLite's online backup (consistent even with a WAL in use)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.backup-{revision}-{stamp}")
    source = sqlite3.connect(str(path))
    try:
        destination = sqlite3.connect(str(target))
        try:
            source.backup(destination)
        finally:
            destination.close()
    finally:
        source.close()
    return target
