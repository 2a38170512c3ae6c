"""Plain SQL run straight on the driver's cursor, for the few statements on the push hot path.

A pushed sale takes about 15 statements. Through SQLAlchemy's execution layer each cost ~70 us of
Python (compiled-cache lookup, events, result set-up) against ~10 us in the driver, which alone
capped a shop below 1,000 sales/s. These statements run on the same driver connection, inside the
transaction the SQLAlchemy `Connection` opened, so commit and rollback stay SQLAlchemy's.

Statements are written once with `:name` parameters (sqlite3's named style) and translated to
psycopg's `%(name)s` style for PostgreSQL. Keep `%` and `::` out of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

_PARAM = re.compile(r"(?<![:\w]):(\w+)")


class Sql:
    """One statement, in both parameter styles."""

    __slots__ = ("pyformat", "sqlite")

    def __init__(self, sql: str) -> None:
        if "%" in sql or "::" in sql:
            raise ValueError("fastsql statements take no '%' and no '::'")
        self.sqlite = sql
        self.pyformat = _PARAM.sub(r"%(\1)s", sql)

    def text_for(self, conn: Connection) -> str:
        return self.sqlite if conn.dialect.name == "sqlite" else self.pyformat


def run(conn: Connection, stmt: Sql, params: Mapping[str, Any] | None = None) -> Any:
    """Execute and return the driver cursor (fetchone / fetchall give plain tuples)."""
    sql = stmt.text_for(conn)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, params or {})
    except conn.dialect.loaded_dbapi.Error as exc:
        raise _wrapped(conn, sql, exc) from exc
    return cursor


def run_many(conn: Connection, stmt: Sql, rows: Sequence[Mapping[str, Any]]) -> None:
    if not rows:
        return
    sql = stmt.text_for(conn)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(sql, rows)
    except conn.dialect.loaded_dbapi.Error as exc:
        raise _wrapped(conn, sql, exc) from exc
    finally:
        cursor.close()


def _wrapped(conn: Connection, sql: str, exc: Exception) -> BaseException:
    """The SQLAlchemy exception the same error would have raised through `conn.execute` (IntegrityError,
    OperationalError, ...), so callers and the problem+json handlers treat both paths alike."""
    return DBAPIError.instance(sql, None, exc, conn.dialect.loaded_dbapi.Error, hide_parameters=True)


def in_list(name: str, values: Iterable[Any]) -> tuple[str, dict[str, Any]]:
    """`(:name0, :name1, ...)` and its parameters, for `x IN ...` with a short list."""
    params = {f"{name}{i}": v for i, v in enumerate(values)}
    return "(" + ", ".join(f":{key}" for key in params) + ")", params


VALUES_PER_QUERY = 500  # well under SQLite's and PostgreSQL's limits on bound parameters


def rows_in(conn: Connection, select: str, values: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
    """Rows of `select` + `(values...)` (a statement ending in `IN `), VALUES_PER_QUERY at a time."""
    for i in range(0, len(values), VALUES_PER_QUERY):
        listed, params = in_list("p", values[i : i + VALUES_PER_QUERY])
        yield from run(conn, Sql(select + listed), params)
