"""Staged snapshot loads: a snapshot into a populated entity replaces its live rows all at once.

A re-snapshot (after a 410, or of a restored shop) streams its documents into staging tables in
short transactions of their own, and only one final transaction touches the live rows: it deletes
the rows the snapshot no longer lists, upserts the rest by id (so product keys stay), rewrites the
search rows of the products whose title, category, codes or barcodes changed, and the caller marks the
entity done in it too. A stream that is cut short, refused or killed leaves the live rows exactly
as they were; only staging changed.

Staging tables are ordinary tables named `stage_*` in the replica file (a TEMP table would hold a
whole catalog in memory). They have no constraints but the id: the live tables' constraints check
every row in the final transaction, and an id listed twice keeps its last copy, as a later change
would. They are dropped when a load starts, at begin_snapshot, after a load and when the replica
is opened (left over by a crash).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import nullcontext
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


def _upsert_from(table: str, stage: str, columns: Sequence[str]) -> str:
    names = ", ".join(columns)
    updates = ", ".join(f"{name} = excluded.{name}" for name in columns[1:])
    # WHERE true: without it SQLite could read ON CONFLICT as a join constraint of the SELECT.
    # Staging order: new products get their keys in the order the shop listed them.
    return (
        f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage} WHERE true ORDER BY rowid "
        f"ON CONFLICT (id) DO UPDATE SET {updates}"
    )


class StagedLoad:
    """One entity's documents in staging, then merged into the live rows by `merge`."""

    def __init__(self, con: sqlite3.Connection, entity: str) -> None:
        self.entity = entity
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
                variant_rows.extend(products.variant_rows(doc))
            con.executemany(_insert("stage_product", (*_PRODUCT_COLUMNS, *_SEARCH_COLUMNS)), product_rows)
            con.executemany(_insert("stage_variant", _VARIANT_COLUMNS), variant_rows)
            return
        spec = ENTITY_TABLES[self.entity]
        con.executemany(_insert(f"stage_{spec.table}", spec.columns), [spec.row(doc) for doc in docs])

    def merge(self, con: sqlite3.Connection) -> None:
        """Replace the live rows with the staged ones (inside the caller's transaction)."""
        if self.entity == "product":
            _merge_products(con)
        else:
            spec = ENTITY_TABLES[self.entity]
            stage = f"stage_{spec.table}"
            con.execute(f"DELETE FROM {spec.table} WHERE id NOT IN (SELECT id FROM {stage})")
            con.execute(_upsert_from(spec.table, stage, spec.columns))
        drop_all(con)


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
_GONE_PRODUCTS = "(SELECT key FROM product WHERE id NOT IN (SELECT id FROM stage_product))"
_GONE_VARIANTS = "(SELECT id FROM variant WHERE id NOT IN (SELECT id FROM stage_variant))"


def _merge_products(con: sqlite3.Connection) -> None:
    changed = con.execute(_CHANGED).fetchall()
    (staged,) = con.execute("SELECT count(*) FROM stage_product").fetchone()
    gone_ranks = f"(SELECT rank FROM product_order WHERE key IN {_GONE_PRODUCTS})"
    con.execute(f"DELETE FROM product_fts WHERE rowid IN {gone_ranks}")
    con.execute(f"DELETE FROM product_order WHERE key IN {_GONE_PRODUCTS}")
    con.execute(f"DELETE FROM inventory_level WHERE variant_id IN {_GONE_VARIANTS}")
    con.execute("DELETE FROM variant WHERE id NOT IN (SELECT id FROM stage_variant)")
    con.execute("DELETE FROM product WHERE id NOT IN (SELECT id FROM stage_product)")
    con.execute(_upsert_from("product", "stage_product", _PRODUCT_COLUMNS))
    con.execute(_upsert_from("variant", "stage_variant", _VARIANT_COLUMNS))
    if len(changed) > RENUMBER_SHARE * staged:
        con.execute("DELETE FROM product_fts")
        con.execute("DELETE FROM product_order")
        products.index_all(con, nullcontext, chunk=max(staged, 1))
        return
    for product_id, title, category, codes, barcodes, key, old_title in changed:
        if key is None:
            (key,) = con.execute("SELECT key FROM product WHERE id = ?", (product_id,)).fetchone()
        products.write_search_row(con, key, old_title, (title, category, codes, barcodes))
