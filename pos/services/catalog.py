"""CatalogService: the one query API of the catalog screen (and of benchmarks/lookup.py). No Qt.

The screen holds a list of product keys (search_keys) and fetches rows for the visible window
(rows), so 100,000 products scroll without loading them. Queries run on the sqlite3 driver
connection: a barcode lookup must take well under a millisecond, and SQLAlchemy's statement layer
would cost more than the lookup itself.

Search text is user input: pos.store.search turns each word into a quoted FTS5 prefix term, so
quotes, `*`, `-`, `NEAR`, `AND` or parentheses are searched for as text, never parsed as syntax.
Results: exact barcode/SKU hits first, then title matches, then category/code matches, by title.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from decimal import Decimal

import orjson
from sqlalchemy import Engine

from pos.store import search
from pos.store.database import read_transaction
from pos.store.outbox import UNREFLECTED_DELTAS

log = logging.getLogger(__name__)

MAX_CODE_CHARS = 64


@dataclass(frozen=True)
class ProductRow:
    key: int
    id: str
    title: str
    category: str
    sku_summary: str  # the first variant's SKU, with "+N" when there are more variants
    price_min: int | None  # minor units; None for a product without variants
    price_max: int | None
    stock_total: int  # every variant at every location
    variant_count: int
    status: str


@dataclass(frozen=True)
class StockAtLocation:
    location_code: str
    location_name: str
    quantity: int


@dataclass(frozen=True)
class VariantDetail:
    id: str
    sku: str
    barcode: str | None
    title: str
    price: int
    stock: tuple[StockAtLocation, ...]


@dataclass(frozen=True)
class ProductDetail:
    id: str
    title: str
    description: str
    category: str
    status: str
    tax_rate_name: str | None
    tax_rate: Decimal | None  # percent, e.g. Decimal("20")
    variants: tuple[VariantDetail, ...]


@dataclass(frozen=True)
class CodeHit:
    product_key: int
    product_id: str
    variant_id: str
    sku: str
    barcode: str | None
    title: str  # "Product title" or "Product title — M / Blue"
    price: int


@dataclass(frozen=True)
class ShopSummary:
    name: str | None  # None until the first connection to a shop
    currency: str | None
    prices_include_tax: bool | None
    product_count: int


_ROWS_SQL = f"""
SELECT p.key, p.id, p.title, p.category, p.status,
       (SELECT v.sku FROM variant v WHERE v.product_id = p.id ORDER BY v.position LIMIT 1),
       (SELECT count(*) FROM variant v WHERE v.product_id = p.id),
       (SELECT min(v.price) FROM variant v WHERE v.product_id = p.id),
       (SELECT max(v.price) FROM variant v WHERE v.product_id = p.id),
       (SELECT coalesce(sum(l.quantity), 0) FROM variant v JOIN inventory_level l ON l.variant_id = v.id
         WHERE v.product_id = p.id)
       + (SELECT coalesce(sum(d.delta), 0) FROM variant v JOIN {UNREFLECTED_DELTAS} d ON d.variant_id = v.id
         WHERE v.product_id = p.id)
FROM product p WHERE p.key IN (SELECT value FROM json_each(?))
"""
_CODE_SQL = """
SELECT p.key, p.id, v.id, v.sku, v.barcode, p.title, v.title, v.price
FROM variant v JOIN product p ON p.id = v.product_id
WHERE v.{column} = :code
ORDER BY {exact_first}p.status = 'active' DESC, v.rowid LIMIT {limit}
"""
# A SKU typed in its exact case before those that differ only in case (as scanning.by_sku).
_EXACT_SKU_FIRST = "v.sku = :code COLLATE BINARY DESC, "
_ORDERED_KEYS_SQL = "SELECT key FROM product ORDER BY title, key"


class CatalogService:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._terms = search.TermCache()  # typed words' index terms, while the index is unchanged

    def _read(self) -> AbstractContextManager[sqlite3.Connection]:
        """One read transaction per call: every query of the call sees the same committed state."""
        return read_transaction(self._engine)

    # --- lists -----------------------------------------------------------------------------------

    def search_keys(self, text: str = "") -> list[int]:
        """Every matching product key, best first; every product by title for empty text."""
        text = text.strip()
        with self._read() as con:
            if not text:
                return [key for (key,) in con.execute(_ORDERED_KEYS_SQL)]
            return self._matching_keys(con, text, limit=None)

    def search(self, text: str, limit: int = 50) -> list[ProductRow]:
        text = text.strip()
        with self._read() as con:
            if text:
                keys = self._matching_keys(con, text, limit=limit)
            else:
                keys = [key for (key,) in con.execute(_ORDERED_KEYS_SQL + " LIMIT ?", (limit,))]
            found = self._rows(con, keys)
        return [found[key] for key in keys if key in found]

    def _matching_keys(self, con: sqlite3.Connection, text: str, limit: int | None) -> list[int]:
        codes = [hit.product_key for hit in self._code_hits(con, text, limit=100)]
        try:
            return search.ranked_keys(con, text, limit, first=codes, cache=self._terms)
        except sqlite3.OperationalError:
            # The query is built so that this cannot happen; should a tokenizer corner case still
            # trip FTS5, show the exact-code hits rather than an error while the user types.
            log.warning("product search failed for %r", text, exc_info=True)
            return codes[:limit] if limit is not None else codes

    def rows(self, keys: Sequence[int]) -> dict[int, ProductRow]:
        """Rows for a window of keys (one query); keys of products deleted meanwhile are absent."""
        if not keys:
            return {}
        with self._read() as con:
            return self._rows(con, keys)

    @staticmethod
    def _rows(con: sqlite3.Connection, keys: Sequence[int]) -> dict[int, ProductRow]:
        if not keys:
            return {}
        found: dict[int, ProductRow] = {}
        for key, pid, title, category, status, first_sku, count, low, high, stock in con.execute(
            _ROWS_SQL, (orjson.dumps(list(keys)).decode(),)
        ):
            summary = first_sku or ""
            if count > 1:
                summary = f"{summary} +{count - 1}"
            found[key] = ProductRow(key, pid, title, category, summary, low, high, stock, count, status)
        return found

    # --- lookups ---------------------------------------------------------------------------------

    def find_by_code(self, code: str) -> CodeHit | None:
        """A scanned or typed code: exact barcode first, else exact SKU (any letter case)."""
        with self._read() as con:
            hits = self._code_hits(con, code, limit=1)
        return hits[0] if hits else None

    @staticmethod
    def _code_hits(con: sqlite3.Connection, code: str, limit: int) -> list[CodeHit]:
        code = code.strip()
        if not code or len(code) > MAX_CODE_CHARS:
            return []
        rows: list[tuple] = []
        if code.isdigit():
            sql = _CODE_SQL.format(column="barcode", exact_first="", limit=limit)
            rows = con.execute(sql, {"code": code}).fetchall()
        if not rows:
            sql = _CODE_SQL.format(column="sku", exact_first=_EXACT_SKU_FIRST, limit=limit)
            rows = con.execute(sql, {"code": code}).fetchall()
        return [
            CodeHit(key, pid, vid, sku, barcode, f"{title} — {vtitle}" if vtitle else title, price)
            for key, pid, vid, sku, barcode, title, vtitle, price in rows
        ]

    def detail(self, product_id: str) -> ProductDetail | None:
        with self._read() as con:
            row = con.execute(
                "SELECT p.id, p.title, p.description, p.category, p.status, t.name, t.rate "
                "FROM product p LEFT JOIN tax_rate t ON t.id = p.tax_rate_id WHERE p.id = ?",
                (product_id,),
            ).fetchone()
            if row is None:
                return None
            locations = con.execute("SELECT id, code, name FROM location ORDER BY code").fetchall()
            variants = con.execute(
                "SELECT id, sku, barcode, title, price FROM variant WHERE product_id = ? "
                "ORDER BY position, id",
                (product_id,),
            ).fetchall()
            levels: dict[str, dict[str, int]] = {}
            for variant_id, location_id, quantity in con.execute(
                "SELECT l.variant_id, l.location_id, l.quantity FROM inventory_level l "
                "JOIN variant v ON v.id = l.variant_id WHERE v.product_id = ?",
                (product_id,),
            ):
                levels.setdefault(variant_id, {})[location_id] = quantity
            # Shown stock: this till's sales and returns the pulled levels do not include yet.
            for variant_id, location_id, delta in con.execute(
                f"SELECT d.variant_id, d.location_id, sum(d.delta) FROM {UNREFLECTED_DELTAS} d "
                "JOIN variant v ON v.id = d.variant_id WHERE v.product_id = ? "
                "GROUP BY d.variant_id, d.location_id",
                (product_id,),
            ):
                at = levels.setdefault(variant_id, {})
                at[location_id] = at.get(location_id, 0) + delta
        pid, title, description, category, status, tax_name, tax_rate = row
        return ProductDetail(
            pid, title, description, category, status, tax_name,
            Decimal(tax_rate) if tax_rate is not None else None,
            tuple(
                VariantDetail(vid, sku, barcode, vtitle, price, _stock(locations, levels.get(vid, {})))
                for vid, sku, barcode, vtitle, price in variants
            ),
        )

    def shop(self) -> ShopSummary:
        with self._read() as con:
            row = con.execute("SELECT name, currency, prices_include_tax FROM shop WHERE id = 1").fetchone()
            (count,) = con.execute("SELECT count(*) FROM product").fetchone()
        name, currency, include = row if row is not None else (None, None, None)
        return ShopSummary(name, currency, bool(include) if include is not None else None, count)


def _stock(locations: list[tuple[str, str, str]], quantities: dict[str, int]) -> tuple[StockAtLocation, ...]:
    """Every known location (0 where the shop has no level), then levels at locations not yet synced."""
    known = {location_id for location_id, _, _ in locations}
    listed = [StockAtLocation(code, name, quantities.get(lid, 0)) for lid, code, name in locations]
    listed += [
        StockAtLocation("?", "Unknown location", q) for lid, q in quantities.items() if lid not in known
    ]
    return tuple(listed)
