"""Secondary indexes that a first sync drops while it loads and builds once at its end.

Building an index over a loaded table costs a fraction of keeping it up to date row by row
(benchmarks/first_sync.py: variant upserts 0.95 s with indexes, inserts 0.21 s without, plus
0.18 s to build the three indexes). If the load fails they are built at once (pos.store.replica);
if the process dies, open_replica builds whatever is missing, so no replica stays without them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.schema import CreateIndex

from pos.store.tables import KEPT_DURING_LOAD, metadata

_DIALECT = sqlite_dialect.dialect()


def index_ddl(tables: Iterable[str]) -> list[tuple[str, str]]:
    """(name, CREATE INDEX IF NOT EXISTS ...) for every secondary index of `tables`."""
    found = []
    for name in tables:
        for index in sorted(metadata.tables[name].indexes, key=lambda i: str(i.name)):
            ddl = str(CreateIndex(index, if_not_exists=True).compile(dialect=_DIALECT)).strip()
            found.append((str(index.name), ddl))
    return found


def all_index_ddl() -> list[tuple[str, str]]:
    return index_ddl(metadata.tables)


def load_index_ddl(tables: Iterable[str]) -> list[tuple[str, str]]:
    """The indexes of `tables` that a first load drops and builds at its end (not KEPT_DURING_LOAD)."""
    return [(name, ddl) for name, ddl in index_ddl(tables) if name not in KEPT_DURING_LOAD]


def drop_load_indexes(con: sqlite3.Connection, tables: Iterable[str]) -> None:
    for name, _ in load_index_ddl(tables):
        con.execute(f"DROP INDEX IF EXISTS {name}")


def missing_indexes(con: sqlite3.Connection) -> list[tuple[str, str]]:
    present = {name for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    return [(name, ddl) for name, ddl in all_index_ddl() if name not in present]
