"""The till file beside each replica: where it lives, its engine, rows moved in from older replicas.

`<replica stem>.till.sqlite3` holds what this till made (pos.store.till_tables). open_replica
opens both files, attaches each to every connection of the other read-only, and hands the till
file's engine along with the replica's (`till_engine`). A checkout writes through the till engine:
BEGIN IMMEDIATE takes write locks only on files attached writable, so it never waits for a sync
writing the replica, and a sync never waits for a checkout.

Nothing writes both files in one transaction except a customer saved at the till
(pos.store.database.write_both_files): SQLite commits WAL files one after the other, so a kill
between the two commits leaves the outbox row (committed first) without the replica's copy of the
customer, which the next pull brings back from the shop. Never the other way round.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from sqlalchemy import Engine

from pos.store.till_tables import TILL_TABLES

log = logging.getLogger(__name__)

ATTACHED = "till"  # the schema name of the till file on the replica's connections
REPLICA_ATTACHED = "replica"  # the schema name of the replica on the till file's connections
_OPTION = "countertop_till_engine"


def till_path(replica_path: Path) -> Path:
    """`shops/x/replica.sqlite3` -> `shops/x/replica.till.sqlite3`."""
    replica_path = Path(replica_path)
    return replica_path.with_name(f"{replica_path.stem}.till{replica_path.suffix}")


def read_only_uri(path: Path) -> str:
    """A URI that ATTACH opens read-only: its connection can never take that file's write lock."""
    return Path(path).resolve().as_uri() + "?mode=ro"


def remember_till_engine(replica: Engine, till: Engine) -> None:
    replica.update_execution_options(**{_OPTION: till})


def till_engine(replica: Engine) -> Engine:
    """The till file's engine of a replica engine made by pos.store.database.open_replica."""
    try:
        return replica.get_execution_options()[_OPTION]  # type: ignore[no-any-return]
    except KeyError:
        raise RuntimeError("this engine was not opened by pos.store.database.open_replica") from None


def move_rows(till: Path, replica: Path, busy_timeout_s: float) -> int:
    """Copy the till tables' rows of a replica at schema 0005-0008 into the till file; one
    transaction, idempotent (INSERT OR IGNORE on primary keys). Returns the rows copied."""
    con = sqlite3.connect(str(till), isolation_level=None, timeout=busy_timeout_s)
    moved = 0
    try:
        con.execute("ATTACH DATABASE ? AS old", (str(replica),))
        present = {name for (name,) in con.execute("SELECT name FROM old.sqlite_master WHERE type = 'table'")}
        con.execute("BEGIN IMMEDIATE")
        try:
            for table in TILL_TABLES:
                if table not in present:
                    continue
                columns = ", ".join(row[1] for row in con.execute(f"PRAGMA old.table_info({table})"))
                moved += con.execute(
                    f"INSERT OR IGNORE INTO main.{table} ({columns}) SELECT {columns} FROM old.{table}"
                ).rowcount
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        con.close()
    log.info("moved %d rows of this till's own tables from %s to %s", moved, replica, till)
    return moved


def connect_both(replica_path: Path) -> sqlite3.Connection:
    """A plain connection to a replica with its till file attached read-only, as the app's
    replica connections see them (scripts, benchmarks and tests reading a till's files)."""
    con = sqlite3.connect(str(replica_path))
    con.execute(f"ATTACH DATABASE ? AS {ATTACHED}", (read_only_uri(till_path(Path(replica_path))),))
    return con
