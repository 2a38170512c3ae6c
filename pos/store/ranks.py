"""Search ranks: the product_fts rowid of each product, increasing with (title, key).

FTS5 yields matches in rowid order and stops at LIMIT, so when rowids follow title order the first
50 matches of a word that matches 40,000 products are read already sorted (no sort, no scan).

A snapshot into an empty replica numbers every product SPACING apart in title order. A product
added or renamed later takes the midpoint between its neighbours' ranks, so it stays in order.
When two neighbours have no rank left between them (SPACING's bits of insertions at one spot, as
when a shop adds "Widget 01" to "Widget 40" one after another), the products around the spot are
spread out again over the ranks around them (`_respread`; pos.store.products moves their search
rows), the window growing until it has room. Before the first product and after the last every
rank is free (those below the first may be negative), so only a gap between products can run out.
Only when even RESPREAD_MAX products either side of it leave no room does a product get
OUT_OF_ORDER + key instead, and search merges those few rows into the ordered ones exactly
(pos.store.search). The next snapshot into an empty replica numbers everything afresh.
"""

from __future__ import annotations

import sqlite3

# FTS5 stores each posting's rowid as a varint of its distance from the previous one, so the
# spacing sets the index's size: at 100k products 25.7 MB of index data at 1 << 32, 16.8 MB at
# 1 << 12, 13.2 MB dense. A first sync builds and copies that index under the replica's write lock
# (1 << 12 against 1 << 32: client CPU -0.21 to +0.04 s, interleaved in benchmarks/first_sync.py),
# and every search reads it (name searches 5-26 % faster at p95, benchmarks/lookup.py). 12
# insertions fit at one spot before a respread.
SPACING = 1 << 12
# Above every ordered rank (1e9 products * SPACING < 2**62) and below 2**63.
OUT_OF_ORDER = 1 << 62
# Below every ordered rank: the rank "before" the first product (rank_before).
NONE_BEFORE = -OUT_OF_ORDER

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
# Products around a spot whose ranks a respread may move: first RESPREAD_FIRST on each side, the
# window doubling while it has no room, up to RESPREAD_MAX on each side (tests set it to 0).
RESPREAD_FIRST = 8
RESPREAD_MAX = 4096
# A respread leaves at least this many ranks per product, so the next insertions there fit.
_ROOM = 4
_WINDOW_BEFORE = _BEFORE.replace("LIMIT 1", "LIMIT ?").replace("SELECT o.rank", "SELECT o.rank, o.key")
_WINDOW_AFTER = _AFTER.replace("LIMIT 1", "LIMIT ?").replace("SELECT o.rank", "SELECT o.rank, o.key")


def rank_before(con: sqlite3.Connection, title: str, key: int) -> int:
    """The ordered rank of the nearest product before (title, key); NONE_BEFORE if there is none."""
    row = con.execute(_BEFORE, (title, title, key, OUT_OF_ORDER)).fetchone()
    return row[0] if row else NONE_BEFORE


# A product's new rank: (old rank, key, new rank).
Move = tuple[int, int, int]


def place(con: sqlite3.Connection, title: str, key: int) -> tuple[int, list[Move]]:
    """A free rank for product `key` (already written, without a rank) that keeps title order, and
    the products that must move first to make room (none unless the gap ran out: `_respread`).

    Before the first product and after the last, every rank is free (below the first, ranks may
    be negative): only a gap between two products can run out. The caller moves the products'
    search rows (FTS5 rowids cannot change in place), in its transaction.
    """
    before = con.execute(_BEFORE, (title, title, key, OUT_OF_ORDER)).fetchone()
    after = con.execute(_AFTER, (title, title, key, OUT_OF_ORDER)).fetchone()
    if before is None and after is None:
        return SPACING, []
    low = before[0] if before else after[0] - 2 * SPACING
    high = after[0] if after else low + 2 * SPACING
    middle = (low + high) // 2
    if low < middle < high:
        return middle, []
    return _respread(con, title, key)


def _respread(con: sqlite3.Connection, title: str, key: int) -> tuple[int, list[Move]]:
    """Spread the products around (title, key) evenly over the ranks between their outer
    neighbours, leaving one free for product `key`; OUT_OF_ORDER + key if even the widest window
    has no room."""
    window = RESPREAD_FIRST
    while 0 < window <= RESPREAD_MAX:
        before = con.execute(_WINDOW_BEFORE, (title, title, key, OUT_OF_ORDER, window + 1)).fetchall()
        after = con.execute(_WINDOW_AFTER, (title, title, key, OUT_OF_ORDER, window + 1)).fetchall()
        low = before.pop()[0] if len(before) > window else None
        high = after.pop()[0] if len(after) > window else None
        spread = [*reversed(before), (None, key), *after]
        # The first or last products of the order: every rank beyond them is free.
        spare = (len(spread) + 1) * _ROOM + SPACING
        ranked = [rank for rank, _ in spread if rank is not None]
        if low is None:
            low = min([*ranked, *([high] if high is not None else [])]) - spare
        if high is None:
            high = max([*ranked, low]) + spare
        parts = len(spread) + 1
        if (high - low) // parts >= _ROOM:
            new_ranks = [low + (high - low) * (i + 1) // parts for i in range(len(spread))]
            placed = new_ranks[len(before)]  # `key` comes right after the products before it
            pairs = zip(spread, new_ranks, strict=True)
            moves = [(rank, moved, new) for (rank, moved), new in pairs if rank is not None]
            return placed, moves
        window *= 2
    return OUT_OF_ORDER + key, []


def rank_of(con: sqlite3.Connection, key: int) -> int | None:
    row = con.execute("SELECT rank FROM product_order WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None
