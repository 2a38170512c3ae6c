"""Writing products: the product row, its variants and its search index row, kept in step.

The search row (product_fts) has rowid = the product's rank in title order (pos.store.ranks) and
is written in the same transaction as the product, so search never lags a change. The one
exception is a first sync into an empty replica (FirstLoad): ranks need every title, so its search
rows are written at the end of the product snapshot, in title order, before the snapshot counts
as done; until then the products are listed and found by code but not yet by name.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from itertools import pairwise
from operator import itemgetter
from typing import Any

import orjson

from pos.store import entities, ranks
from pos.store.scratch_load import ScratchTable
from sync.protocol import title_order_key

Doc = dict[str, Any]
SearchText = tuple[str, str, str, str]  # title, category, codes, barcodes

_PRODUCT_FIELDS = ("version", "title", "description", "category", "status", "tax_rate_id", "updated_at")
_PRODUCT_COLUMNS = ("key", "id", *_PRODUCT_FIELDS)
_VARIANT_COLUMNS = ("id", "product_id", "sku", "barcode", "title", "price", "position")
_INSERT_PRODUCT = (
    "INSERT INTO product (key, id, version, title, description, category, status, tax_rate_id, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_UPDATE_PRODUCT = (
    "UPDATE product SET version = ?, title = ?, description = ?, category = ?, status = ?, "
    "tax_rate_id = ?, updated_at = ? WHERE key = ?"
)
_INSERT_VARIANT = (
    "INSERT INTO variant (id, product_id, sku, barcode, title, price, position) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_UPSERT_VARIANT = (
    _INSERT_VARIANT + " ON CONFLICT (id) DO UPDATE SET product_id = excluded.product_id, sku = excluded.sku, "
    "barcode = excluded.barcode, title = excluded.title, price = excluded.price, position = excluded.position"
)
_INSERT_FTS = "INSERT INTO product_fts (rowid, title, category, codes, barcodes) VALUES (?, ?, ?, ?, ?)"
_DELETE_FTS = "DELETE FROM product_fts WHERE rowid = ?"
_INSERT_RANK = "INSERT INTO product_order (rank, key) VALUES (?, ?)"
_DELETE_RANK = "DELETE FROM product_order WHERE rank = ?"
_SEARCH_TEXT = "SELECT title, category, codes, barcodes FROM product_fts WHERE rowid = ?"
_KNOWN = "SELECT id, key, title FROM product WHERE id IN (SELECT value FROM json_each(?))"


def search_codes(doc: Doc) -> str:
    """Every SKU of a product, as one text column of the search index."""
    return " ".join([v["sku"] for v in doc["variants"]])


def search_barcodes(doc: Doc) -> str:
    """Every barcode of a product, each after a space: the search index's unindexed column.

    Barcodes are not index terms (pos.store.search reads them by prefix: ' ' + typed digits).
    """
    return "".join([" " + v["barcode"] for v in doc["variants"] if v["barcode"]])


def search_text(doc: Doc) -> SearchText:
    return (doc["title"], doc["category"], search_codes(doc), search_barcodes(doc))


def variant_rows(doc: Doc) -> list[tuple[Any, ...]]:
    product_id = doc["id"]
    return [
        (v["id"], product_id, v["sku"], v["barcode"], v["title"], v["price"], v["position"])
        for v in doc["variants"]
    ]


def unique_variant_rows(doc: Doc) -> list[tuple[Any, ...]]:
    """variant_rows, refusing (ValueError) a variant listed twice where an upsert would otherwise
    let the last copy win quietly (a first sync's UNIQUE constraint refuses it already)."""
    rows = variant_rows(doc)
    if len(rows) > 1 and len({row[0] for row in rows}) < len(rows):
        raise ValueError(f"product {doc['id']} lists one of its variants twice")
    return rows


# A C-level getter: a first sync reads these fields of 100k+ documents (half the Python cost of
# a generator over the names). A missing field raises KeyError, a refused document.
_product_values = itemgetter(*_PRODUCT_FIELDS)


def product_values(doc: Doc) -> tuple[Any, ...]:
    return _product_values(doc)  # type: ignore[no-any-return]


def next_key(con: sqlite3.Connection) -> int:
    # AUTOINCREMENT's high-water mark, so a key handed out once is never reused.
    row = con.execute(
        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'product'), 0), "
        "coalesce((SELECT max(key) FROM product), 0))"
    ).fetchone()
    return int(row[0]) + 1


# A staged product carries its search texts too (the search builder reads them), keyed by its key.
_STAGED_PRODUCT = ScratchTable(
    "product", _PRODUCT_COLUMNS, live="product", key="key", extra=("codes", "barcodes")
)


class FirstLoad:
    """A product snapshot into an empty replica, through a scratch file (pos.store.scratch_load).

    `write` runs on the stager thread: products (with their search texts) and variants go into
    the scratch tables, and it notes whether the products still arrive in title order (the order
    search ranks follow). The search index is built beside the load (pos.store.search_build) and
    `copy_search` moves it, with the ranks, into the replica in one transaction.
    """

    TABLES = (
        _STAGED_PRODUCT,
        ScratchTable("variant", _VARIANT_COLUMNS, live="variant"),
    )

    def __init__(self, con: sqlite3.Connection) -> None:
        self.first_key = next_key(con)
        (self.search_ddl,) = con.execute(
            "SELECT sql FROM main.sqlite_master WHERE type = 'table' AND name = 'product_fts'"
        ).fetchone()
        self._written = 0
        self._last_title = ""
        self._in_order = True

    def in_order(self) -> bool:
        """Every product so far came in title order (as ranks follow it): keys are then their ranks."""
        return self._in_order

    def write(self, scratch: sqlite3.Connection, docs: Sequence[Doc]) -> None:
        """Stage products with their search texts, and variants (a missing field raises KeyError)."""
        key = self.first_key + self._written
        rows, variants = [], []
        for offset, doc in enumerate(docs):
            values = _product_values(doc)
            rows.append((key + offset, doc["id"], *values, search_codes(doc), search_barcodes(doc)))
            variants.extend(variant_rows(doc))
        entities.insert_rows(scratch, "product", (*_PRODUCT_COLUMNS, *_STAGED_PRODUCT.extra), rows)
        entities.insert_rows(scratch, "variant", _VARIANT_COLUMNS, variants)
        self._written += len(docs)
        if self._in_order:
            self._follow_title_order([row[3] for row in rows])

    def _follow_title_order(self, titles: list[str]) -> None:
        folded = [title_order_key(title) for title in titles]
        # Equal keys keep arrival (key) order, as ranks do.
        if folded and self._last_title <= folded[0] and all(a <= b for a, b in pairwise(folded)):
            self._last_title = folded[-1]
        else:
            self._in_order = False

    def copy_search(self, con: sqlite3.Connection, search: str) -> None:
        """Replace the replica's ranks and search index with those in attached database `search`.

        In the caller's transaction. `con` must be a connection that has not used product_fts:
        FTS5 keeps the index's structure in memory per connection and would not see tables written
        under it; other connections see the commit and read the structure again.
        """
        con.execute("DELETE FROM main.product_order")
        con.execute(f"INSERT INTO main.product_order (rank, key) SELECT rank, key FROM {search}.rank")
        for shadow in _SEARCH_SHADOW_TABLES:
            con.execute(f"DELETE FROM main.{shadow}")
            con.execute(f"INSERT INTO main.{shadow} SELECT * FROM {search}.{shadow}")


# The tables in which FTS5 keeps product_fts (its index, rows, sizes and settings).
_SEARCH_SHADOW_TABLES = tuple(
    f"product_fts_{part}" for part in ("data", "idx", "content", "docsize", "config")
)


# Ranks in (title, key) order, SPACING apart; staged in a table so that each chunk below writes
# rank rows and search rows together (search_is_complete counts rank rows).
_STAGE_RANKS = (
    "INSERT INTO stage_rank (rank, key) "
    "SELECT row_number() OVER (ORDER BY title, key) * ?, key FROM product"
)
_CODES = "coalesce((SELECT group_concat(v.sku, ' ') FROM variant v WHERE v.product_id = p.id), '')"
_BARCODES = (
    "coalesce((SELECT group_concat(' ' || v.barcode, '') FROM variant v "
    "WHERE v.product_id = p.id AND v.barcode > ''), '')"
)
_ORDER_FROM_STAGE = "INSERT INTO product_order SELECT rank, key FROM stage_rank WHERE rank > ? AND rank <= ?"
_FTS_FROM_STAGE = (
    "INSERT INTO product_fts (rowid, title, category, codes, barcodes) SELECT r.rank, p.title, p.category, "
    f"{_CODES}, {_BARCODES} FROM stage_rank r JOIN product p ON p.key = r.key "
    "WHERE r.rank > ? AND r.rank <= ? ORDER BY r.rank"
)


def index_all(
    con: sqlite3.Connection, transaction: Callable[[], AbstractContextManager[Any]], chunk: int
) -> None:
    """Rank every product (none may have a rank yet) in title order and write its search row.

    All in SQL (a re-snapshot that renumbers holds no search text in memory); `chunk` products a
    transaction. Needs ix_variant_product for the codes.
    """
    with transaction():
        con.execute("DROP TABLE IF EXISTS stage_rank")
        con.execute("CREATE TABLE stage_rank (rank INTEGER PRIMARY KEY, key INTEGER NOT NULL)")
        con.execute(_STAGE_RANKS, (ranks.SPACING,))
        (count,) = con.execute("SELECT count(*) FROM stage_rank").fetchone()
    for start in range(0, count, chunk):
        bounds = (start * ranks.SPACING, (start + chunk) * ranks.SPACING)
        with transaction():
            con.execute(_ORDER_FROM_STAGE, bounds)
            con.execute(_FTS_FROM_STAGE, bounds)
    with transaction():
        con.execute("DROP TABLE stage_rank")


def write_products(con: sqlite3.Connection, docs: Sequence[Doc]) -> None:
    """Insert or replace products as given (no version check): a snapshot is authoritative.

    Variants no longer listed are left for the caller to remove (snapshot end, or replace_variants).
    """
    # The last copy of a product listed twice wins, as a later change would.
    docs = list({doc["id"]: doc for doc in docs}.values())
    known = {
        pid: (key, title)
        for pid, key, title in con.execute(_KNOWN, (orjson.dumps([d["id"] for d in docs]).decode(),))
    }
    key = next_key(con)
    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    search: list[tuple[int, str | None, Doc]] = []  # key, title before, document
    variants: list[tuple[Any, ...]] = []
    for doc in docs:
        values = product_values(doc)
        found = known.get(doc["id"])
        if found is None:
            inserts.append((key, doc["id"], *values))
            search.append((key, None, doc))
            key += 1
        else:
            updates.append((*values, found[0]))
            search.append((found[0], found[1], doc))
        variants.extend(unique_variant_rows(doc))
    con.executemany(_INSERT_PRODUCT, inserts)
    con.executemany(_UPDATE_PRODUCT, updates)
    con.executemany(_UPSERT_VARIANT, variants)
    for product_key, old_title, doc in search:
        write_search_row(con, product_key, old_title, search_text(doc))


def write_search_row(con: sqlite3.Connection, key: int, old_title: str | None, text: SearchText) -> None:
    """(Re)write the search row of product `key`, already written; `old_title` None if it is new."""
    title = text[0]
    rank = ranks.rank_of(con, key)
    if rank is not None:
        con.execute(_DELETE_FTS, (rank,))
        if old_title != title:  # its place in title order may have moved
            con.execute(_DELETE_RANK, (rank,))
            rank = None
    if rank is None:
        rank, moves = ranks.place(con, title, key)
        _move_search_rows(con, moves)
        con.execute(_INSERT_RANK, (rank, key))
    con.execute(_INSERT_FTS, (rank, *text))


def _move_search_rows(con: sqlite3.Connection, moves: list[ranks.Move]) -> None:
    """Give products new ranks (a respread): their search rows go again under the new rowids."""
    texts = [con.execute(_SEARCH_TEXT, (old,)).fetchone() for old, _, _ in moves]
    for old, _, _ in moves:  # all out first: a new rank may be another moved product's old one
        con.execute(_DELETE_FTS, (old,))
        con.execute(_DELETE_RANK, (old,))
    for (_, key, new), text in zip(moves, texts, strict=True):
        con.execute(_INSERT_RANK, (new, key))
        con.execute(_INSERT_FTS, (new, *text))


def upsert_product(con: sqlite3.Connection, doc: Doc, dropped: set[str]) -> bool:
    """Apply one product change if its version is newer than the stored one; True if applied.

    Variants the product no longer lists go; their ids join `dropped`, whose stock levels the
    caller removes once its whole page is in (`drop_levels_of_gone`): a variant moved to another
    product later in the same page keeps its stock.
    """
    row = con.execute("SELECT version FROM product WHERE id = ?", (doc["id"],)).fetchone()
    if row is not None and row[0] >= doc["version"]:
        return False
    keep = orjson.dumps([v["id"] for v in doc["variants"]]).decode()
    gone = con.execute(
        "DELETE FROM variant WHERE product_id = ? AND id NOT IN (SELECT value FROM json_each(?)) "
        "RETURNING id",
        (doc["id"], keep),
    ).fetchall()
    dropped.update(variant_id for (variant_id,) in gone)
    write_products(con, [doc])
    return True


def delete_product(con: sqlite3.Connection, product_id: str, dropped: set[str]) -> bool:
    """Remove a product, its variants and its search row; True if it existed. Its variants' ids
    join `dropped`, as in upsert_product."""
    row = con.execute("SELECT key FROM product WHERE id = ?", (product_id,)).fetchone()
    if row is None:
        return False
    gone = con.execute("DELETE FROM variant WHERE product_id = ? RETURNING id", (product_id,)).fetchall()
    dropped.update(variant_id for (variant_id,) in gone)
    con.execute("DELETE FROM product WHERE key = ?", (row[0],))
    drop_search_row(con, row[0])
    return True


def drop_levels_of_gone(con: sqlite3.Connection, dropped: set[str]) -> None:
    """Remove the stock levels of the variants in `dropped` that no product lists any more."""
    if dropped:
        con.execute(
            "DELETE FROM inventory_level WHERE variant_id IN (SELECT value FROM json_each(?)) "
            "AND variant_id NOT IN (SELECT id FROM variant)",
            (orjson.dumps(sorted(dropped)).decode(),),
        )


def drop_search_row(con: sqlite3.Connection, key: int) -> None:
    """Take product `key` out of the search index and the title order."""
    rank = ranks.rank_of(con, key)
    if rank is not None:
        con.execute(_DELETE_FTS, (rank,))
        con.execute(_DELETE_RANK, (rank,))


def search_is_complete(con: sqlite3.Connection) -> bool:
    """Every product has its search row (false after a first sync stopped before its end)."""
    (same,) = con.execute(
        "SELECT (SELECT count(*) FROM product) = (SELECT count(*) FROM product_order)"
    ).fetchone()
    return bool(same)


def delete_all(con: sqlite3.Connection) -> None:
    """Forget every product, variant and search row (not stock levels: their own snapshot)."""
    con.execute("DELETE FROM product_fts")
    con.execute("DELETE FROM product_order")
    con.execute("DELETE FROM variant")
    con.execute("DELETE FROM product")
