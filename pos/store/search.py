"""Product search over the FTS5 index: safe queries from user text, and a cheap ranking.

Ranking: products whose title holds every word come first, then products that match only through
their category, SKUs or barcodes; each group in title order. We measured bm25() instead: it costs
about 1 µs per matching row, so a one-word query that matches 55,000 of a million products took
~100 ms; these tiers give the same first screen for the queries a cashier types, and cost
about 0.05 µs per match (the FTS doclist scan) plus the ordering below.

Prefixes longer than the prefix indexes ('1 2 3', migration 0008) make FTS5 merge the doclists of
every term that starts with them before it can intersect anything: 10-17 ms for three such words
at 1M products. A plain-ASCII word of four or more characters is therefore expanded through the
term list into the few whole terms it stands for ("clas" -> "classic" OR "classical"), which FTS5
intersects with skipping. Other words, and prefixes of more than MAX_EXPANSION terms, stay prefix
queries. The term list counts every document of a term it returns (1-2 ms for a common word at
1M products), so expansions are cached while the index is unchanged (TermCache).

Barcodes are not index terms (migration 0008): a prefix of barcodes walked all of them (41 ms).
They are kept in the unindexed column `barcodes` (" 2000000000017 2000000000024"), and a word that
can only be the start of a barcode (one token of ASCII digits) matches a product through its
SKUs, title or category in the index OR through a barcode starting with it: read in search order
from that column (cheap while matches are dense), or, when few barcodes start with the word, from
the barcode index and sorted (cheap while they are few). Results are exactly those of the old
index, where barcodes were terms.

Each group comes out of the index already in title order: product_fts rowids are ranks that follow
title order (pos.store.ranks), FTS5 yields matches in rowid order, and LIMIT stops the scan after
the first `limit` matches. The few products whose rank could not be placed in order (OUT_OF_ORDER
and above) are read apart and merged in at the place their title takes among the ordered ranks.
"""

from __future__ import annotations

import sqlite3
import threading
import unicodedata
from collections.abc import Iterable, Sequence

import orjson

from pos.store import ranks

MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 12
MAX_EXPANSION = 8
# A barcode word matched by fewer barcodes than this is looked up through the barcode index and
# sorted (about 1 µs a barcode); with more, matches are dense enough to read in search order.
SPARSE_BARCODES = 4000
_TERMS = "SELECT term FROM product_fts_terms WHERE term >= ? AND term < ? LIMIT ?"
# FTS5's structure record (segments, write counter) and averages record (rows, tokens per column):
# a commit that changes the index changes them.
_INDEX_VERSION = "SELECT group_concat(hex(block), ',') FROM product_fts_data WHERE id IN (1, 10)"

# CROSS JOIN keeps the FTS scan outside, so its rowid order serves ORDER BY and LIMIT ends it early.
_IN_ORDER = (
    "SELECT o.key, o.rank FROM product_fts f CROSS JOIN product_order o ON o.rank = f.rowid "
    "WHERE {match}f.rowid < ?{conditions} ORDER BY f.rowid"
)
_OUT_OF_ORDER = "SELECT f.rowid FROM product_fts f WHERE {match}f.rowid >= ?{conditions}"
_HAS_BARCODE = "instr(f.barcodes, ?) > 0"
_FTS_ROWS = "f.rowid IN (SELECT rowid FROM product_fts WHERE product_fts MATCH ?)"
_COUNT_BARCODES = "SELECT count(*) FROM (SELECT 1 FROM variant WHERE barcode >= ? AND barcode < ? LIMIT ?)"
_BARCODE_KEYS = (
    "SELECT DISTINCT o.key FROM variant v JOIN product p ON p.id = v.product_id "
    "JOIN product_order o ON o.key = p.key WHERE v.barcode >= ? AND v.barcode < ?"
)
_TOP_RANK = "SELECT coalesce(max(rank), 0) FROM product_order"
_TITLES = "SELECT key, title FROM product WHERE key IN (SELECT value FROM json_each(?)) ORDER BY title, key"


def query_words(text: str) -> list[str]:
    """The words of user text worth searching: those with a letter or digit."""
    words = [w for w in text[:MAX_QUERY_CHARS].split() if any(ch.isalnum() for ch in w)]
    return words[:MAX_QUERY_WORDS]


def barcode_digits(word: str) -> str | None:
    """The digits `word` stands for if the index's tokenizer reads it as one token of ASCII digits.

    unicode61 keeps letters, numbers, private-use characters and combining marks (the marks are
    removed) and splits on everything else; a barcode is one token of digits (sync.protocol).
    """
    tokens: list[str] = []
    current = ""
    for ch in word:
        category = unicodedata.category(ch)
        if category == "Mn":
            continue
        if category[0] in "LN" or category == "Co":
            current += ch
        elif current:
            tokens.append(current)
            current = ""
    if current:
        tokens.append(current)
    if len(tokens) == 1 and tokens[0].isascii() and tokens[0].isdigit():
        return tokens[0]
    return None


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


class TermCache:
    """Typed prefixes' expansions into index terms, kept while the index is unchanged.

    The term list (fts5vocab) counts every document of each term it returns: 1-2 ms for a word
    like "cott" at 1M products, half the time of a search. The same words come back keystroke
    after keystroke, so their terms are kept, and all forgotten when the index changes (its
    structure and averages records, one B-tree read per search).
    """

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._version: str | None = None
        self._terms: dict[str, list[str]] = {}

    def terms(self, con: sqlite3.Connection, low: str, version: str) -> list[str]:
        with self._lock:
            if version != self._version:
                self._version, self._terms = version, {}
            found = self._terms.get(low)
        if found is None:
            found = _terms(con, low)
            with self._lock:
                if version == self._version:
                    if len(self._terms) >= self._size:
                        self._terms.clear()
                    self._terms[low] = found
        return found


def index_version(con: sqlite3.Connection) -> str:
    return str(con.execute(_INDEX_VERSION).fetchone()[0])


def _terms(con: sqlite3.Connection, low: str) -> list[str]:
    high = low[:-1] + chr(ord(low[-1]) + 1)
    return [term for (term,) in con.execute(_TERMS, (low, high, MAX_EXPANSION + 1))]


def expand_prefixes(
    con: sqlite3.Connection,
    words: Iterable[str],
    optional: Iterable[str] = (),
    cache: TermCache | None = None,
) -> dict[str, list[str]] | None:
    """Whole index terms for each expandable word; None when some word matches no term at all.

    A word in `optional` (a barcode word: it may match a barcode instead) that matches no term gets
    an empty list rather than None. `cache`: terms found before, while the index is unchanged
    (the caller's read transaction must span this call and the search).
    """
    optional = set(optional)
    expansions: dict[str, list[str]] = {}
    version: str | None = None
    for word in words:
        if len(word) < 4 or not (word.isascii() and word.isalnum()):
            continue  # the tokenizer would fold or split it: leave it to FTS5
        low = word.lower()
        if cache is None:
            terms = _terms(con, low)
        else:
            version = version or index_version(con)
            terms = cache.terms(con, low, version)
        if not terms and word not in optional:
            return None
        if len(terms) <= MAX_EXPANSION:
            expansions[word] = terms
    return expansions


def ranked_keys(
    con: sqlite3.Connection,
    text: str,
    limit: int | None,
    first: Iterable[int] = (),
    cache: TermCache | None = None,
) -> list[int]:
    """Keys matching every word of `text` as a prefix, after the keys in `first`, best first."""
    found = list(dict.fromkeys(first))
    words = query_words(text)
    if not words:
        return found[:limit] if limit is not None else found
    digits = {word: d for word in words if (d := barcode_digits(word)) is not None}
    expansions = expand_prefixes(con, words, optional=digits, cache=cache)
    if expansions is None:
        return found[:limit] if limit is not None else found
    # A barcode word without any index term matches no title, only barcodes.
    termless = [word for word in digits if expansions.get(word) == []]
    tiers: list[Tier] = []
    if not termless:
        tiers.append((fts_query(words, "title", expansions), (), ()))
    if not digits:
        tiers.append((fts_query(words, None, expansions), (), ()))
    for match, conditions, args in tiers:
        if limit is not None and len(found) >= limit:
            return found
        wanted = None if limit is None else limit + len(found)
        _extend(found, ordered_keys(con, match, wanted, conditions, args), limit)
    if digits and (limit is None or len(found) < limit):
        wanted = None if limit is None else limit + len(found)
        _extend(found, _with_barcodes(con, words, digits, expansions, wanted), limit)
    return found


# An FTS5 query (None: every row), then extra SQL conditions on `f` and their arguments.
Tier = tuple[str | None, Sequence[str], Sequence[object]]


def _with_barcodes(
    con: sqlite3.Connection,
    words: list[str],
    digits: dict[str, str],
    expansions: dict[str, list[str]],
    limit: int | None,
) -> list[int]:
    """Keys matching every word anywhere, a barcode word also through a barcode, in title order."""
    plain = [word for word in words if word not in digits]
    match = fts_query(plain, None, expansions) if plain else None
    if match is None and len(digits) == 1:
        keys = _few_barcode_matches(con, next(iter(digits)), digits, expansions, limit)
        if keys is not None:
            return keys
    conditions, args = [], []
    for word, number in digits.items():
        if expansions.get(word) == []:
            conditions.append(_HAS_BARCODE)
            args.append(" " + number)
        else:
            conditions.append(f"({_HAS_BARCODE} OR {_FTS_ROWS})")
            args += [" " + number, fts_query([word], None, expansions)]
    return ordered_keys(con, match, limit, conditions, args)


def _few_barcode_matches(
    con: sqlite3.Connection,
    word: str,
    digits: dict[str, str],
    expansions: dict[str, list[str]],
    limit: int | None,
) -> list[int] | None:
    """The one barcode word's matches when few barcodes start with it (else None): the products of
    those barcodes from the barcode index, with its first index matches, sorted by title."""
    number = digits[word]
    bounds = (number, number[:-1] + chr(ord(number[-1]) + 1))
    (count,) = con.execute(_COUNT_BARCODES, (*bounds, SPARSE_BARCODES)).fetchone()
    if count >= SPARSE_BARCODES:
        return None
    keys = {key for (key,) in con.execute(_BARCODE_KEYS, bounds)}
    if expansions.get(word) != []:
        keys.update(ordered_keys(con, fts_query([word], None, expansions), limit))
    ordered = [key for key, _ in con.execute(_TITLES, (orjson.dumps(sorted(keys)).decode(),))]
    return ordered[:limit] if limit is not None else ordered


def ordered_keys(
    con: sqlite3.Connection,
    query: str | None,
    limit: int | None,
    conditions: Sequence[str] = (),
    args: Sequence[object] = (),
) -> list[int]:
    """Keys of the products matching an FTS5 query (None: all) and `conditions`, in (title, key)
    order; the first `limit`."""
    match = "f.product_fts MATCH ? AND " if query is not None else ""
    more = "".join(f" AND {condition}" for condition in conditions)
    head = (query,) if query is not None else ()
    sql, params = _IN_ORDER.format(match=match, conditions=more), (*head, ranks.OUT_OF_ORDER, *args)
    if limit is not None:
        sql, params = sql + " LIMIT ?", (*params, limit)
    in_order = con.execute(sql, params).fetchall()
    base = ranks.OUT_OF_ORDER
    strays: list[int] = []
    # Usually there are none: skip a second pass over the index (the top rank is one B-tree seek).
    if con.execute(_TOP_RANK).fetchone()[0] >= base:
        stray_sql = _OUT_OF_ORDER.format(match=match, conditions=more)
        strays = [rank - base for (rank,) in con.execute(stray_sql, (*head, base, *args))]
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
