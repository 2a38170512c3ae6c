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

Ordering a group by title takes one of three paths: when few products match (<= SMALL_MATCH), look
each up and sort; when many match, walk the start of the title index and keep the products that
match, which stops after `limit` hits; when that walk finds too few (the matches cluster later in
title order), look up and sort every match.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import orjson

MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 12
SMALL_MATCH = 5000
MAX_EXPANSION = 8
_TERMS = "SELECT term FROM product_fts_terms WHERE term >= ? AND term < ? LIMIT ?"

_MATCHES = "SELECT rowid FROM product_fts WHERE product_fts MATCH ?"
_PROBE = _MATCHES + " LIMIT ?"
_SORT_FEW = (
    "SELECT p.key FROM json_each(?) j CROSS JOIN product p ON p.key = j.value ORDER BY p.title, p.key"
)
# The walk reads at most WALK_BUDGET title-index entries: matches that cluster in title order
# (every "Northwind ..." product for "nor") would otherwise make it read half the index.
WALK_BUDGET = 20_000
_WALK_TITLES = (
    "SELECT key FROM (SELECT key FROM product INDEXED BY ix_product_title ORDER BY title, key LIMIT ?) "
    f"WHERE key IN ({_MATCHES}) LIMIT ?"
)
_SORT_ALL = (
    f"SELECT p.key FROM ({_MATCHES}) m CROSS JOIN product p ON p.key = m.rowid "
    "ORDER BY p.title, p.key LIMIT ?"
)
_ALL_SORTED = f"SELECT key FROM product WHERE key IN ({_MATCHES}) ORDER BY title, key"
_ALL_SORTED_EXCEPT = (
    f"SELECT key FROM product WHERE key IN ({_MATCHES}) AND key NOT IN ({_MATCHES}) ORDER BY title, key"
)


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
    if limit is None:
        taken = set(found)
        for sql, args in ((_ALL_SORTED, (in_title,)), (_ALL_SORTED_EXCEPT, (anywhere, in_title))):
            found.extend(key for (key,) in con.execute(sql, args) if key not in taken)
        return found
    for query in (in_title, anywhere):
        if len(found) >= limit:
            break
        _extend(found, _ordered(con, query, limit + len(found)), limit)
    return found


def _ordered(con: sqlite3.Connection, query: str, limit: int) -> list[int]:
    probe = [key for (key,) in con.execute(_PROBE, (query, SMALL_MATCH + 1))]
    if len(probe) <= SMALL_MATCH:
        keys = orjson.dumps(probe).decode()
        return [key for (key,) in con.execute(_SORT_FEW + " LIMIT ?", (keys, limit))]
    walked = [key for (key,) in con.execute(_WALK_TITLES, (WALK_BUDGET, query, limit))]
    if len(walked) >= limit:
        return walked
    return [key for (key,) in con.execute(_SORT_ALL, (query, limit))]


def _extend(found: list[int], keys: list[int], limit: int) -> None:
    taken = set(found)
    for key in keys:
        if len(found) >= limit:
            return
        if key not in taken:
            found.append(key)
            taken.add(key)
