"""Staged snapshot loads: a snapshot into a populated entity replaces its live rows all at once.

A re-snapshot (after a 410, or of a restored shop) streams its documents into staging tables in
short transactions of their own, and only one final transaction touches the live rows: it deletes
the rows the snapshot no longer lists, upserts those that differ by id (so product keys stay),
rewrites the search rows of the products whose title, category, codes or barcodes changed, and the
caller marks the entity done in it too. A stream that is cut short, refused or killed leaves the
live rows exactly as they were; only staging changed.

What the final transaction writes is worked out before it, in a read transaction (a plan in
temporary tables: StagedLoad.prepare), so that it holds the replica's write lock only to write, and
rows the till already has as listed are not written at all. At 1M products it held the lock for
over 17 s comparing rows, and a customer saved meanwhile was refused after the 10 s busy timeout; with
few rows changed, the longest wait of a save is now ~2 s (benchmarks/concurrent_writer.py
--resnapshot). A shop restored with other ids still writes every row, and the search index afresh,
in its final transaction.

Staging tables are ordinary tables named `stage_*` in the replica file (a TEMP table would hold a
whole catalog in memory). They have no constraints but the id: the live tables' constraints check
every row in the final transaction, and an id listed twice keeps its last copy, as a later change
would. They are dropped when a load starts, at begin_snapshot, after a load and when the replica
is opened (left over by a crash).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any

from pos.store import products
from pos.store.entities import ENTITY_TABLES

Doc = dict[str, Any]

PREFIX = "stage_"
_PRODUCT_COLUMNS = (
    "id", "version", "title", "description", "category", "status", "tax_rate_id", "updated_at",
)
_VARIANT_COLUMNS = ("id", "product_id", "sku", "barcode", "title", "price", "position")
_SEARCH_COLUMNS = ("codes", "barcodes")
# Search rows are renumbered from scratch when more than this share of products needs a new one:
# placing each between its neighbours costs a few queries per product, renumbering is one pass.
RENUMBER_SHARE = 0.1
# Entities whose live rows the till itself writes too (a customer saved at the counter), besides
# the sync engine: their merge plan is made inside the final transaction (StagedLoad.prepare).
LOCALLY_WRITTEN = frozenset({"customer"})


def names(con: sqlite3.Connection) -> list[str]:
    """The staging tables there are (a read: no write lock)."""
    rows = con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ? ESCAPE '\\'",
        (PREFIX.replace("_", "\\_") + "%",),
    ).fetchall()
    return [name for (name,) in rows]


def drop_all(con: sqlite3.Connection) -> None:
    """Drop every staging table (no transaction of its own: DDL joins the caller's, if any)."""
    for name in names(con):
        con.execute(f'DROP TABLE "{name}"')


def _create(con: sqlite3.Connection, name: str, columns: Sequence[str]) -> None:
    rest = ", ".join(columns[1:])
    con.execute(f"DROP TABLE IF EXISTS {name}")
    con.execute(f"CREATE TABLE {name} (id TEXT NOT NULL PRIMARY KEY, {rest})")


def _insert(name: str, columns: Sequence[str]) -> str:
    return f"INSERT OR REPLACE INTO {name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def _same_row(table: str, columns: Sequence[str]) -> str:
    """A live row of `table` exactly as staged row `s` (BINARY: a title that only changes case, in a
    NOCASE column, still counts as a change)."""
    same = " AND ".join(f"l.{name} IS s.{name} COLLATE BINARY" for name in columns[1:])
    return f"SELECT 1 FROM main.{table} l WHERE l.id = s.id AND {same}"


def _upsert_from(table: str, stage: str, columns: Sequence[str]) -> str:
    """Upsert the staged rows listed in temp.merge_<table> (those that differ from the live ones)."""
    names = ", ".join(f"s.{name}" for name in columns)
    updates = ", ".join(f"{name} = excluded.{name}" for name in columns[1:])
    # WHERE true: without it SQLite could read ON CONFLICT as a join constraint of the SELECT.
    # Staging order: new products get their keys in the order the shop listed them.
    return (
        f"INSERT INTO main.{table} ({', '.join(columns)}) SELECT {names} FROM temp.merge_{table} u "
        f"JOIN {stage} s ON s.rowid = u.row WHERE true ORDER BY u.row "
        f"ON CONFLICT (id) DO UPDATE SET {updates}"
    )


def _plan_table(con: sqlite3.Connection, table: str, stage: str, columns: Sequence[str]) -> None:
    """temp.merge_<table>: the staged rows to write; temp.gone_<table>: the live ids to delete."""
    con.execute(f"CREATE TEMP TABLE merge_{table} (row INTEGER PRIMARY KEY)")
    con.execute(
        f"INSERT INTO temp.merge_{table} (row) SELECT s.rowid FROM {stage} s "
        f"WHERE NOT EXISTS ({_same_row(table, columns)})"
    )
    con.execute(f"CREATE TEMP TABLE gone_{table} (id TEXT PRIMARY KEY)")
    con.execute(
        f"INSERT INTO temp.gone_{table} (id) SELECT id FROM main.{table} "
        f"WHERE id NOT IN (SELECT id FROM {stage})"
    )


@contextmanager
def plan_on_disk(con: sqlite3.Connection) -> Iterator[None]:
    """Temporary tables of `con` in a file while a merge plan exists (outside any transaction).

    The replica's connections keep temporary storage in memory (pos.store.database), and the plan
    of a shop restored with other ids lists every live id as gone: ~116 MB per million ids.
    Switching the setting drops the connection's temporary tables, which only the plan uses.
    """
    (before,) = con.execute("PRAGMA temp_store").fetchone()
    con.execute("PRAGMA temp_store = FILE")
    try:
        yield
    finally:
        con.execute(f"PRAGMA temp_store = {int(before)}")


class StagedLoad:
    """One entity's documents in staging, then merged into the live rows by `merge`."""

    def __init__(self, con: sqlite3.Connection, entity: str) -> None:
        self.entity = entity
        self._planned: tuple[str, ...] = ()  # the live tables the plan covers
        self._changed_search: list[tuple[Any, ...]] = []
        self._staged_products = 0
        if entity == "product":
            _create(con, "stage_product", (*_PRODUCT_COLUMNS, *_SEARCH_COLUMNS))
            _create(con, "stage_variant", _VARIANT_COLUMNS)
        else:
            spec = ENTITY_TABLES[entity]
            _create(con, f"stage_{spec.table}", spec.columns)

    def write(self, con: sqlite3.Connection, docs: list[Doc]) -> None:
        if self.entity == "product":
            product_rows, variant_rows = [], []
            for doc in docs:
                search = (products.search_codes(doc), products.search_barcodes(doc))
                product_rows.append((doc["id"], *products.product_values(doc), *search))
                variant_rows.extend(products.unique_variant_rows(doc))
            con.executemany(_insert("stage_product", (*_PRODUCT_COLUMNS, *_SEARCH_COLUMNS)), product_rows)
            con.executemany(_insert("stage_variant", _VARIANT_COLUMNS), variant_rows)
            return
        spec = ENTITY_TABLES[self.entity]
        con.executemany(_insert(f"stage_{spec.table}", spec.columns), [spec.row(doc) for doc in docs])

    def prepare(self, con: sqlite3.Connection) -> None:
        """Work out what the merge must write, reading only: the rows that differ and the ids gone.

        Run in a read transaction before the final one, so that the final transaction only writes:
        a re-snapshot mostly lists rows the till already has, and comparing them all inside it held
        the replica's write lock for tens of seconds at 1M products (customer saves were refused).
        The plan stays right until the merge only while nobody else writes these tables: the sync
        engine is the only writer of every entity but customers (saved at the till, LOCALLY_WRITTEN),
        whose plan is made inside the final transaction instead (`merge`).
        """
        if self.entity == "product":
            self._changed_search = con.execute(_CHANGED).fetchall()
            (self._staged_products,) = con.execute("SELECT count(*) FROM stage_product").fetchone()
            _plan_table(con, "product", "stage_product", _PRODUCT_COLUMNS)
            _plan_table(con, "variant", "stage_variant", _VARIANT_COLUMNS)
            self._planned = ("product", "variant")
        else:
            spec = ENTITY_TABLES[self.entity]
            _plan_table(con, spec.table, f"stage_{spec.table}", spec.columns)
            self._planned = (spec.table,)

    @property
    def prepared_apart(self) -> bool:
        """Whether `prepare` may run before the final transaction (see there)."""
        return self.entity not in LOCALLY_WRITTEN

    def merge(self, con: sqlite3.Connection) -> None:
        """Replace the live rows with the staged ones (inside the caller's transaction).

        The staging tables stay: the caller drops them after the commit (drop_all).
        """
        if not self._planned:
            self.prepare(con)
        try:
            if self.entity == "product":
                _merge_products(con, self._changed_search, self._staged_products)
            else:
                spec = ENTITY_TABLES[self.entity]
                table = spec.table
                con.execute(f"DELETE FROM main.{table} WHERE id IN (SELECT id FROM temp.gone_{table})")
                con.execute(_upsert_from(table, f"stage_{table}", spec.columns))
        finally:  # the plan's temporary tables live on the connection, not in the file
            for table in self._planned:
                con.execute(f"DROP TABLE IF EXISTS temp.merge_{table}")
                con.execute(f"DROP TABLE IF EXISTS temp.gone_{table}")
            self._planned = ()


# Products needing a new search row: new ones, and those whose title, category, codes or barcodes
# changed.
_CHANGED = (
    "SELECT s.id, s.title, s.category, s.codes, s.barcodes, p.key, p.title FROM stage_product s "
    "LEFT JOIN product p ON p.id = s.id "
    "WHERE p.key IS NULL OR p.title IS NOT s.title COLLATE BINARY OR p.category IS NOT s.category "
    "OR NOT EXISTS (SELECT 1 FROM product_order o JOIN product_fts f ON f.rowid = o.rank WHERE o.key = p.key "
    "AND f.codes IS s.codes AND f.barcodes IS s.barcodes) "
    "ORDER BY s.rowid"
)
_GONE_PRODUCTS = "(SELECT key FROM main.product WHERE id IN (SELECT id FROM temp.gone_product))"
_GONE_VARIANTS = "(SELECT id FROM temp.gone_variant)"


def _merge_products(con: sqlite3.Connection, changed: list[tuple[Any, ...]], staged: int) -> None:
    gone_ranks = f"(SELECT rank FROM product_order WHERE key IN {_GONE_PRODUCTS})"
    con.execute(f"DELETE FROM product_fts WHERE rowid IN {gone_ranks}")
    con.execute(f"DELETE FROM product_order WHERE key IN {_GONE_PRODUCTS}")
    con.execute(f"DELETE FROM inventory_level WHERE variant_id IN {_GONE_VARIANTS}")
    con.execute(f"DELETE FROM variant WHERE id IN {_GONE_VARIANTS}")
    con.execute("DELETE FROM product WHERE id IN (SELECT id FROM temp.gone_product)")
    con.execute(_upsert_from("product", "stage_product", _PRODUCT_COLUMNS))
    con.execute(_upsert_from("variant", "stage_variant", _VARIANT_COLUMNS))
    if len(changed) > RENUMBER_SHARE * staged:
        con.execute("DELETE FROM product_fts")
        con.execute("DELETE FROM product_order")
        products.index_all(con, nullcontext, chunk=max(staged, 1))
        return
    # Renamed products all leave their places first: one still at its old rank under its new title
    # would count as a neighbour of the others, whose midpoints then fell out of order or on a rank
    # in use. (A page of changes renames and places one product at a time, so it never sees this.)
    for _id, title, _category, _codes, _barcodes, key, old_title in changed:
        if key is not None and old_title != title:
            products.drop_search_row(con, key)
    for product_id, title, category, codes, barcodes, key, old_title in changed:
        if key is None:
            (key,) = con.execute("SELECT key FROM product WHERE id = ?", (product_id,)).fetchone()
        products.write_search_row(con, key, old_title, (title, category, codes, barcodes))
