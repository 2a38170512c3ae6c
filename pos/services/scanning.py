"""Finding what was scanned: variants by barcode, SKU, id or product, and their shown stock.

Queries run on the sqlite3 driver connection inside the caller's read transaction (a scan must
take well under a millisecond on a 100,000-product replica; see pos.services.catalog).

Barcode forms: a scanner may send a UPC-A (12 digits) for an item the shop lists as the EAN-13
with a leading zero, or the other way round, or a GTIN-14 with leading zeros; every form of the
same GTIN is looked up at once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from pos.domain.errors import DomainError
from pos.domain.tax import TaxRate
from pos.store.outbox import UNREFLECTED_DELTAS
from sync.protocol import fit_text

MAX_HITS = 50

_VARIANT_SQL = """
SELECT v.id, v.product_id, v.sku, v.barcode, v.title, v.price,
       p.title, p.status, p.tax_rate_id, t.name, t.rate
FROM variant v JOIN product p ON p.id = v.product_id LEFT JOIN tax_rate t ON t.id = p.tax_rate_id
WHERE {where}
ORDER BY p.status = 'active' DESC, v.position, v.id LIMIT {limit}
"""
_STOCK_SQL = f"""
SELECT v.value,
       coalesce((SELECT l.quantity FROM inventory_level l
                 WHERE l.variant_id = v.value AND l.location_id = ?), 0)
       + coalesce((SELECT sum(s.delta) FROM {UNREFLECTED_DELTAS} s
                   WHERE s.variant_id = v.value AND s.location_id = ?), 0)
FROM json_each(?) v
"""


@dataclass(frozen=True)
class VariantRow:
    """A sellable variant with what a cart line needs."""

    variant_id: str
    product_id: str
    sku: str
    barcode: str | None
    option: str  # the variant's own title ("M / Blue"), "" for a product's only variant
    price: int  # minor units
    product_title: str
    status: str
    tax_rate_id: str | None
    tax_rate: TaxRate | None

    @property
    def title(self) -> str:
        """As the receipt prints it: "Product" or "Product / M / Blue"."""
        # Cut to the protocol's cap: a long product title and a long option together would make a
        # sale the till's own check refuses at the counter.
        return fit_text(f"{self.product_title} / {self.option}" if self.option else self.product_title)

    def checked_tax_rate(self) -> TaxRate | None:
        """The tax rate; DomainError if the product names a rate this till has not synced."""
        if self.tax_rate_id is not None and self.tax_rate is None:
            raise DomainError(
                f"the tax rate of “{self.title}” is not known on this till yet: sync with "
                "the shop, then scan again",
                field="tax_rate",
            )
        return self.tax_rate


def _rows(
    con: sqlite3.Connection, where: str, params: Sequence[object], limit: int = MAX_HITS
) -> list[VariantRow]:
    found = []
    for vid, pid, sku, barcode, option, price, ptitle, status, rate_id, rate_name, rate in con.execute(
        _VARIANT_SQL.format(where=where, limit=int(limit)), tuple(params)
    ):
        tax = TaxRate(rate_id, rate_name, rate) if rate_id is not None and rate is not None else None
        found.append(VariantRow(vid, pid, sku, barcode, option, price, ptitle, status, rate_id, tax))
    return found


def barcode_forms(code: str) -> list[str]:
    """`code` and the other digit strings that write the same GTIN-12/13/14 (leading zeros).

    An EAN-8 is a code space of its own, so 8 digits are looked up as they are.
    """
    if len(code) == 8:
        return [code]
    core = code.lstrip("0")
    forms = {code} | {core.rjust(length, "0") for length in (12, 13, 14) if len(core) <= length}
    return sorted(forms)


def by_barcode(con: sqlite3.Connection, code: str) -> list[VariantRow]:
    forms = barcode_forms(code)
    marks = ", ".join("?" * len(forms))
    return _rows(con, f"v.barcode IN ({marks})", forms)


def by_sku(con: sqlite3.Connection, sku: str) -> list[VariantRow]:
    rows = _rows(con, "v.sku = ?", (sku,))  # the column's NOCASE collation: any letter case
    # SKUs that differ only in letter case (a shop may hold "acc-1" and "ACC-1"): typed exactly, a
    # SKU names its own variant, or the person would be asked to choose for ever. The same rule
    # orders pos.services.catalog's code lookup (_CODE_SQL).
    return [row for row in rows if row.sku == sku] or rows


def by_id(con: sqlite3.Connection, variant_id: str) -> VariantRow | None:
    found = _rows(con, "v.id = ?", (variant_id,), limit=1)
    return found[0] if found else None


def by_product(con: sqlite3.Connection, product_id: str) -> list[VariantRow]:
    return _rows(con, "v.product_id = ?", (product_id,), limit=1000)


def by_products(con: sqlite3.Connection, product_ids: Sequence[str]) -> list[VariantRow]:
    return _rows(
        con,
        "v.product_id IN (SELECT value FROM json_each(?))",
        (orjson.dumps(list(product_ids)).decode(),),
        limit=100_000,
    )


def shown_stock(
    con: sqlite3.Connection, variant_ids: Sequence[str], location_id: str | None
) -> dict[str, int]:
    """Stock as the till shows it: the shop's level (0 if none) plus this till's pending deltas."""
    if location_id is None or not variant_ids:
        return dict.fromkeys(variant_ids, 0)
    return {
        vid: int(qty)
        for vid, qty in con.execute(
            _STOCK_SQL, (location_id, location_id, orjson.dumps(list(variant_ids)).decode())
        )
    }
