"""Engines, migrations and the two kinds of transaction the shop uses.

SQLite runs in WAL mode with the driver's implicit transactions switched off, so that `read()` opens a
real `BEGIN` (one snapshot for several SELECTs) and `write()` opens `BEGIN IMMEDIATE` (writers queue on
the busy timeout instead of failing when a read lock would need upgrading). PostgreSQL reads run in
REPEATABLE READ; writes in READ COMMITTED, and each write transaction first locks the change-log
counter row (`SELECT ... FOR UPDATE`), the one lock every writer needs anyway, so writers queue
there as SQLite's do on BEGIN IMMEDIATE. Taken first by all, it cannot be part of a deadlock, however
long a transaction is and whatever rows it touches after it: a pushed batch of sales holds it for the
whole batch (push.py). Each statement after it sees everything the writers before committed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, Table, create_engine, event, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_BEGIN_OPTION = "countertop_sqlite_begin"
# PostgreSQL writers' queue (see the module docstring).
_WRITE_LOCK = "SELECT value FROM seq_counter WHERE id = 1 FOR UPDATE"
HEAD_REVISION = "0007"  # the newest file in migrations/versions (a test holds them equal)
# `scheme://user:password@` in a string that is not a parseable URL.
_PASSWORD_IN_TEXT = re.compile(r"(://[^:/@\s]*:)[^@\s]*(@)")


class BadDatabaseUrl(ValueError):
    """The database URL cannot be used; the message says why."""


def display_url(url: str) -> str:
    """The URL as it may be printed or logged: any password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return _PASSWORD_IN_TEXT.sub(r"\1***\2", url)


def hide_password(text: str, url: str | None) -> str:
    """`text` (an error message, say) with the password of `url` masked wherever it appears."""
    if not url:
        return text
    try:
        password = make_url(url).password
    except (ArgumentError, ValueError):
        password = None
    if password:
        text = text.replace(str(password), "***")
    return _PASSWORD_IN_TEXT.sub(r"\1***\2", text)


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise BadDatabaseUrl(f"not a database URL: {display_url(url)!r}") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url)
    if backend in ("postgresql", "postgres"):
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=20)
    raise BadDatabaseUrl(
        f"unsupported database URL {display_url(url)!r}: use sqlite:///FILE or postgresql://..."
    )


def sqlite_file(url: str) -> Path | None:
    """The file a sqlite:/// URL names, resolved; None for another database, memory, or a URL that
    does not parse (make_engine says what is wrong with it)."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).expanduser().resolve()


def _sqlite_engine(url: str) -> Engine:
    file = sqlite_file(url)
    if file is not None:
        folder = file.parent
        if not folder.is_dir():
            raise BadDatabaseUrl(f"folder of the database file does not exist: {folder}")
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see module docstring)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql(conn.get_execution_options().get(_BEGIN_OPTION, "BEGIN"))

    return engine


def is_sqlite(engine_or_conn: Engine | Connection) -> bool:
    return engine_or_conn.dialect.name == "sqlite"


def upsert(conn: Connection, table: Table) -> postgresql.Insert | sqlite.Insert:
    """The dialect's INSERT, which has `on_conflict_do_update` (both spell ON CONFLICT the same way)."""
    return (sqlite.insert if is_sqlite(conn) else postgresql.insert)(table)


@contextmanager
def write(engine: Engine) -> Iterator[Connection]:
    """One write transaction, committed on success."""
    with engine.connect() as conn, write_on(conn):
        yield conn


@contextmanager
def write_on(conn: Connection) -> Iterator[Connection]:
    """One write transaction on a connection already open (several in a row reuse it)."""
    if is_sqlite(conn):
        conn.execution_options(**{_BEGIN_OPTION: "BEGIN IMMEDIATE"})
        with conn.begin():
            yield conn
        return
    with conn.begin():
        conn.exec_driver_sql(_WRITE_LOCK)
        yield conn


@contextmanager
def read(engine: Engine) -> Iterator[Connection]:
    """One read transaction: every SELECT inside sees the same database snapshot."""
    with engine.connect() as conn:
        if not is_sqlite(conn):
            conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest migration (run by serve, seed and device commands)."""
    if current_revision(engine) == HEAD_REVISION:
        return  # importing and running alembic costs ~0.15 s per command; most runs find nothing to do
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
