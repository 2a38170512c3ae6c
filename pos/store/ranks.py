"""Search ranks: the product_fts rowid of each product, increasing with (title, key).

FTS5 yields matches in rowid order and stops at LIMIT, so when rowids follow title order the first
50 matches of a word that matches 40,000 products are read already sorted (no sort, no scan).

A snapshot into an empty replica numbers every product SPACING apart in title order. A product
added or renamed later takes the midpoint between its neighbours' ranks, so it stays in order;
when two neighbours have no rank left between them (32 insertions at one spot) it gets
OUT_OF_ORDER + key instead, and search merges those few rows into the ordered ones exactly
(pos.store.search). The next snapshot into an empty replica numbers everything afresh.
"""

from __future__ import annotations

import sqlite3

SPACING = 1 << 32
# Above every ordered rank (1e9 products * SPACING < 2**62) and below 2**63.
OUT_OF_ORDER = 1 << 62

# Index-ordered walks over ix_product_title (its entries are (title, key)) to the nearest product
# before / after a title that holds an ordered rank.
_BEFORE = (
    "SELECT o.rank FROM product p INDEXED BY ix_product_title CROSS JOIN product_order o ON o.key = p.key "
    "WHERE p.title <= ? AND (p.title < ? OR p.key < ?) AND o.rank < ? "
    "ORDER BY p.title DESC, p.key DESC LIMIT 1"
)
_AFTER = (
    "SELECT o.rank FROM product p INDEXED BY ix_product_title CROSS JOIN product_order o ON o.key = p.key "
    "WHERE p.title >= ? AND (p.title > ? OR p.key > ?) AND o.rank < ? "
    "ORDER BY p.title, p.key LIMIT 1"
)


def rank_before(con: sqlite3.Connection, title: str, key: int) -> int:
    """The ordered rank of the nearest product before (title, key); 0 if there is none."""
    row = con.execute(_BEFORE, (title, title, key, OUT_OF_ORDER)).fetchone()
    return row[0] if row else 0


def place(con: sqlite3.Connection, title: str, key: int) -> int:
    """A free rank for product `key` (already written, without a rank) that keeps title order."""
    low = rank_before(con, title, key)
    row = con.execute(_AFTER, (title, title, key, OUT_OF_ORDER)).fetchone()
    high = row[0] if row else low + 2 * SPACING
    middle = (low + high) // 2
    return middle if low < middle < high else OUT_OF_ORDER + key


def rank_of(con: sqlite3.Connection, key: int) -> int | None:
    row = con.execute("SELECT rank FROM product_order WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None
