"""What product search must return, computed the slow way (for tests of pos.store.search).

The reference is the search index as it was before migration 0008, with every barcode an index
term: a temporary FTS5 table of the replica's products under their ranks, queried with plain
prefix terms (no expansion through the term list), every match sorted by title.
"""

from __future__ import annotations

import sqlite3

from pos.store import search

_CODES = """
SELECT p.key FROM variant v JOIN product p ON p.id = v.product_id WHERE v.{column} = ?
ORDER BY p.status = 'active' DESC, v.rowid LIMIT 100
"""
_FILL = """
INSERT INTO temp.reference_fts (rowid, title, category, codes)
SELECT o.rank, p.title, p.category,
       (SELECT group_concat(v.sku || ' ' || coalesce(v.barcode, ''), ' ') FROM variant v
        WHERE v.product_id = p.id)
FROM product p JOIN product_order o ON o.key = p.key
"""
_TIER = (
    "SELECT key FROM product WHERE key IN (SELECT o.key FROM temp.reference_fts f JOIN product_order o "
    "ON o.rank = f.rowid WHERE f.reference_fts MATCH ?) ORDER BY title, key"
)


def reference_keys(con: sqlite3.Connection, text: str) -> list[int]:
    """Exact code hits, then title matches, then matches anywhere (barcodes as terms), by title."""
    con.execute("DROP TABLE IF EXISTS temp.reference_fts")
    con.execute(
        "CREATE VIRTUAL TABLE temp.reference_fts USING fts5(title, category, codes, "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    con.execute(_FILL)
    code = text.strip()
    hits: list[int] = []
    if code.isdigit():
        hits = [key for (key,) in con.execute(_CODES.format(column="barcode"), (code,))]
    if not hits and code:
        hits = [key for (key,) in con.execute(_CODES.format(column="sku"), (code,))]
    found = list(dict.fromkeys(hits))
    words = search.query_words(text)
    if not words:
        return found
    for query in (search.fts_query(words, "title"), search.fts_query(words)):
        found += [key for (key,) in con.execute(_TIER, (query,)) if key not in found]
    return found
