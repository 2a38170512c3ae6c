"""A small replica for the checkout tests: codes of every kind a counter meets, stock at two locations.

Loaded through the real SqliteReplica (a whole first sync), with the shop row and the till row as
the sync writes them.
"""

from __future__ import annotations

import copy
from pathlib import Path

from sqlalchemy import Engine

from pos.domain.barcode import gtin_check_digit
from pos.domain.money import Money
from pos.store import till
from pos.store.database import driver_connection, open_replica
from pos.store.replica import SqliteReplica
from pos.store.till_file import till_engine
from sync.protocol import ShopInfo
from tests.staffing import open_shift
from tests.store import catalog_docs as cd

DEVICE_ID = "01936f2a-7b5c-7def-8abc-0123456789ab"
SHOP, WAREHOUSE = cd.LOCATION_IDS  # codes "SHOP" and "WH": SHOP is the default selling location
STANDARD, REDUCED = cd.TAX_RATE_IDS  # 20 % and 5 %


def gtin(body: str) -> str:
    return body + str(gtin_check_digit(body))


SHARED = gtin("501234567890")  # printed on every size of the hoodie
UPC_AS_EAN13 = gtin("001234567890")  # the shop lists the UPC-A 012345678905 as EAN-13
EAN8 = gtin("9638507")
HAM_ITEM = gtin("210001000000")  # deli: prefix 21, item 00010, price digits zeroed
PRICE_SCAN = gtin("210001001234")  # 12.34 of ham
WEIGHT_SCAN = gtin("250002000532")  # 0.532 kg of cheese (item 00020 found by its SKU)


def _product(
    number: int,
    title: str,
    variants: list[tuple[str, str, str | None, int]],
    *,
    tax: str | None = STANDARD,
    status: str = "active",
) -> dict:
    return {
        "id": f"p{number}", "version": 1, "title": title, "description": "", "category": "Test",
        "status": status, "tax_rate_id": tax, "updated_at": "2026-05-01T09:00:00Z",
        "variants": [
            {"id": f"p{number}v{i}", "sku": sku, "barcode": barcode, "title": option, "price": price,
             "position": i}
            for i, (option, sku, barcode, price) in enumerate(variants)
        ],
    }  # fmt: skip


CATALOG = [
    _product(1, "Kitchen Knife", [("", "KNF-1", "4006381333931", 2999)]),
    _product(2, "Olive Spoon", [("", "SPN-1", "4006381333948", 450)], tax=REDUCED),
    _product(3, "Merino Hoodie", [("S", "HOOD-S", SHARED, 5900), ("M", "HOOD-M", SHARED, 5900),
                                  ("XL", "HOOD-XL", SHARED, 6400)]),
    _product(4, "Pencil", [("", "PEN-1", UPC_AS_EAN13, 99)]),
    _product(5, "Eraser", [("", "ERA-1", EAN8, 75)], tax=None),
    _product(6, "Smoked Ham", [("", "HAM-1", HAM_ITEM, 0)]),
    _product(7, "Comté", [("", "00020", None, 1599)], tax=REDUCED),  # price per kg
    _product(8, "Old Lamp", [("", "LMP-1", "4006381333955", 8000)], status="archived"),
    # SKUs that differ only in letter case, as a shop may hold them.
    _product(9, "Tote Bag", [("Small", "tote-1", None, 500), ("Large", "TOTE-1", None, 900)]),
]  # fmt: skip
LEVELS = [
    {"id": "l1", "version": 1, "variant_id": "p1v0", "location_id": SHOP, "quantity": 10},
    {"id": "l2", "version": 1, "variant_id": "p1v0", "location_id": WAREHOUSE, "quantity": 100},
    {"id": "l3", "version": 1, "variant_id": "p3v0", "location_id": SHOP, "quantity": 4},
    {"id": "l4", "version": 1, "variant_id": "p3v1", "location_id": SHOP, "quantity": 0},
]


def shop_info(*, prices_include_tax: bool = True, till_code: str | None = "T1") -> ShopInfo:
    return ShopInfo(shop_name="Test shop", currency="EUR", prices_include_tax=prices_include_tax,
                    device_id=DEVICE_ID, device_name="till", head=10, till_code=till_code)  # fmt: skip


def load_shop(
    engine: Engine, *, prices_include_tax: bool = True, till_code: str | None = "T1", shift: bool = True
) -> None:
    """A first sync of CATALOG, then the shop row and (unless `till_code` is "") the till row and,
    with `shift`, an open shift to sell in (tests.staffing)."""
    replica = SqliteReplica(engine)
    replica.begin_snapshot()
    replica.load_snapshot("location", 10, [cd.locations()])
    replica.load_snapshot("tax_rate", 10, [cd.tax_rates()])
    replica.load_snapshot("product", 10, [copy.deepcopy(CATALOG)])
    replica.load_snapshot("inventory_level", 10, [copy.deepcopy(LEVELS)])
    replica.finish_snapshot()
    replica.record_shop(shop_info(prices_include_tax=prices_include_tax, till_code=till_code or None))
    with driver_connection(till_engine(engine)) as con:
        con.execute("BEGIN IMMEDIATE")
        if till_code == "":  # a till that never heard its code (record_shop may have made a row)
            con.execute("DELETE FROM till")
        else:
            till.record_till(con, DEVICE_ID, till_code)
        con.execute("COMMIT")
    if shift and till_code != "":
        open_shift(engine)


def eur(minor: int) -> Money:
    return Money(minor, "EUR")


def open_shop(path: Path, **kwargs) -> Engine:
    engine = open_replica(path)
    load_shop(engine, **kwargs)
    return engine


def counts(engine: Engine) -> dict[str, object]:
    """Everything a checkout writes: a failed one must leave all of it as it was."""
    with driver_connection(engine) as con:
        found: dict[str, object] = {
            table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("sale", "sale_line", "sale_payment", "outbox", "pending_stock")
        }
        found["till"] = con.execute("SELECT till_code, location_id, next_sale FROM till").fetchall()
    return found
