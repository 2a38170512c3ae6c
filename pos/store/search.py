"""Product search over the FTS5 index: safe queries from user text, and a cheap ranking.

Ranking: products whose title holds every word come first, then products that match only through
their category, SKUs or barcodes; each group in title order. We measured bm25() instead: it costs
about 1 µs per matching row, so a one-word query that matches 55,000 of a million products took
~100 ms; these tiers give the same first screen for the queries a cashier types, and cost
about 0.05 µs per match (the FTS doclist scan) plus the ordering below.

Prefixes longer than the prefix indexes ('2 3') make FTS5 merge the doclists of every term that
starts with them before it can intersect anything: 10-17 ms for three such words at 1M products.
A plain-ASCII word of four or more characters is therefore expanded through the term list into
the few whole terms it stands for ("clas" -> "classic" OR "classical"), which FTS5 intersects with
skipping (3-5 ms). Other words, and prefixes of more than MAX_EXPANSION terms, stay prefix queries.

Each group comes out of the index already in title order: product_fts rowids are ranks that follow
title order (pos.store.ranks), FTS5 yields matches in rowid order, and LIMIT stops the scan after
the first `limit` matches. The few products whose rank could not be placed in order (OUT_OF_ORDER
and above) are read apart and merged in at the place their title takes among the ordered ranks.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import orjson

from pos.store import ranks

MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 12
MAX_EXPANSION = 8
_TERMS = "SELECT term FROM product_fts_terms WHERE term >= ? AND term < ? LIMIT ?"

# CROSS JOIN keeps the FTS scan outside, so its rowid order serves ORDER BY and LIMIT ends it early.
_IN_ORDER = (
    "SELECT o.key, o.rank FROM product_fts f CROSS JOIN product_order o ON o.rank = f.rowid "
    "WHERE f.product_fts MATCH ? AND f.rowid < ? ORDER BY f.rowid"
)
_OUT_OF_ORDER = "SELECT rowid FROM product_fts WHERE product_fts MATCH ? AND rowid >= ?"
_TOP_RANK = "SELECT coalesce(max(rank), 0) FROM product_order"
_TITLES = "SELECT key, title FROM product WHERE key IN (SELECT value FROM json_each(?)) ORDER BY title, key"


def query_words(text: str) -> list[str]:
    """The words of user text worth searching: those with a letter or digit."""
    words = [w for w in text[:MAX_QUERY_CHARS].split() if any(ch.isalnum() for ch in w)]
    return words[:MAX_QUERY_WORDS]


def fts_query(
    words: Iterable[str], column: str | None = None, expansions: dict[str, list[str]] | None = None
) -> str:
    """AND of quoted prefix terms: quotes, `*`, `-`, NEAR, AND, `:` in user text stay plain text.

    A word found in `expansions` becomes an OR of those whole terms (already index terms: quoted).
    """
    scope = f"{column} : " if column else ""
    parts = []
    for word in words:
        terms = (expansions or {}).get(word)
        if terms:
            quoted = ('"' + term.replace('"', '""') + '"' for term in terms)
            parts.append(scope + "(" + " OR ".join(quoted) + ")")
        else:
            parts.append(scope + '"' + word.replace('"', '""') + '"*')
    return " AND ".join(parts)


def expand_prefixes(con: sqlite3.Connection, words: Iterable[str]) -> dict[str, list[str]] | None:
    """Whole index terms for each expandable word; None when some word matches no term at all."""
    expansions: dict[str, list[str]] = {}
    for word in words:
        if len(word) < 4 or not (word.isascii() and word.isalnum()):
            continue  # the tokenizer would fold or split it: leave it to FTS5
        low = word.lower()
        high = low[:-1] + chr(ord(low[-1]) + 1)
        terms = [term for (term,) in con.execute(_TERMS, (low, high, MAX_EXPANSION + 1))]
        if not terms:
            return None
        if len(terms) <= MAX_EXPANSION:
            expansions[word] = terms
    return expansions


def ranked_keys(
    con: sqlite3.Connection, text: str, limit: int | None, first: Iterable[int] = ()
) -> list[int]:
    """Keys matching every word of `text` as a prefix, after the keys in `first`, best first."""
    found = list(dict.fromkeys(first))
    words = query_words(text)
    if not words:
        return found[:limit] if limit is not None else found
    expansions = expand_prefixes(con, words)
    if expansions is None:
        return found[:limit] if limit is not None else found
    in_title, anywhere = fts_query(words, "title", expansions), fts_query(words, None, expansions)
    for query in (in_title, anywhere):
        if limit is not None and len(found) >= limit:
            break
        _extend(found, ordered_keys(con, query, None if limit is None else limit + len(found)), limit)
    return found


def ordered_keys(con: sqlite3.Connection, query: str, limit: int | None) -> list[int]:
    """Keys of the products matching an FTS5 query, in (title, key) order; the first `limit`."""
    sql, args = _IN_ORDER, (query, ranks.OUT_OF_ORDER)
    if limit is not None:
        sql, args = sql + " LIMIT ?", (*args, limit)
    in_order = con.execute(sql, args).fetchall()
    base = ranks.OUT_OF_ORDER
    strays: list[int] = []
    # Usually there are none: skip a second pass over the index (the top rank is one B-tree seek).
    if con.execute(_TOP_RANK).fetchone()[0] >= base:
        strays = [rank - base for (rank,) in con.execute(_OUT_OF_ORDER, (query, base))]
    if not strays:
        return [key for key, _ in in_order]
    return _merge(con, in_order, strays)[:limit]


def _merge(con: sqlite3.Connection, in_order: list[tuple[int, int]], strays: list[int]) -> list[int]:
    """Put each out-of-order product right after the ordered product its title follows."""
    titled = con.execute(_TITLES, (orjson.dumps(strays).decode(),)).fetchall()
    # In title order, so the ranks they follow never decrease and one pass merges both lists.
    after = [(ranks.rank_before(con, title, key), key) for key, title in titled]
    merged: list[int] = []
    position = 0
    for key, rank in in_order:
        while position < len(after) and after[position][0] < rank:
            merged.append(after[position][1])
            position += 1
        merged.append(key)
    merged.extend(key for _, key in after[position:])
    return merged


def _extend(found: list[int], keys: list[int], limit: int | None) -> None:
    taken = set(found)
    for key in keys:
        if limit is not None and len(found) >= limit:
            return
        if key not in taken:
            found.append(key)
            taken.add(key)
