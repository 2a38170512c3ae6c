"""`countertop-shop seed --products N`: a realistic demo catalog of any size, fast.

Rows, change-log entries and current documents are written with executemany in chunks, all in one
transaction; seqs for a chunk are taken with one counter bump. New records start at version 1.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field
from types import SimpleNamespace

import orjson
from sqlalchemy import Connection, Engine, Table, func, insert, select, text

from sync.pin_hash import hash_pin
from sync.server import changelog, db
from sync.server.barcodes import ean13
from sync.server.docs import location_doc, staff_doc, tax_rate_doc
from sync.server.fastsql import VALUES_PER_QUERY
from sync.server.ids import utc_now, uuid7
from sync.server.seed_titles import product_title
from sync.server.seed_words import CATEGORIES, LOCATIONS, STAFF, TAX_RATES, Category
from sync.server.tables import (
    change_log,
    current_doc,
    inventory_level,
    location,
    nocase,
    nocase_key,
    product,
    staff,
    stock_movement,
    tax_rate,
    variant,
)

logger = logging.getLogger(__name__)

CHUNK = 5000
# 65% one variant, 25% two, 5% three, 5% four: 1.5 on average.
VARIANT_COUNTS = (1,) * 13 + (2,) * 5 + (3,) + (4,)


@dataclass(frozen=True)
class SeedReport:
    products: int
    variants: int
    inventory_levels: int
    seconds: float


@dataclass(frozen=True)
class _Base:
    location_ids: list[str]
    tax_ids: dict[str, str]  # tax kind -> tax_rate id


def seed(engine: Engine, products: int, seed: int | None = None) -> SeedReport:
    started = time.perf_counter()
    rng = random.Random(seed)
    totals = [0, 0, 0]
    with db.write(engine) as conn:
        if db.is_sqlite(conn):
            conn.exec_driver_sql("PRAGMA cache_size=-262144")  # 256 MB: index pages stay in memory
        base = _ensure_base(conn)
        serial = changelog.head(conn)[0]  # unique per run: heads only grow, by more than variants per run
        for start in range(0, products, CHUNK):
            n = min(CHUNK, products - start)
            counts, serial = _seed_chunk(conn, rng, base, n, serial)
            totals = [a + b for a, b in zip(totals, counts, strict=True)]
    report = SeedReport(totals[0], totals[1], totals[2], time.perf_counter() - started)
    logger.info("seeded %s", report)
    return report


def is_empty(engine: Engine) -> bool:
    with engine.connect() as conn:
        return not conn.execute(select(func.count()).select_from(product)).scalar()


def _ensure_base(conn: Connection) -> _Base:
    items: list[changelog.Item] = []
    if not conn.execute(select(location.c.id).limit(1)).first():
        for code, name in LOCATIONS:
            row = {"id": uuid7(), "code": code, "name": name}
            conn.execute(insert(location).values(row))
            items.append(("location", row["id"], location_doc(SimpleNamespace(**row))))
    have_rates = {r.name: r.id for r in conn.execute(select(tax_rate.c.name, tax_rate.c.id))}
    tax_ids: dict[str, str] = {}
    for kind, name, rate in TAX_RATES:
        if name not in have_rates:
            row = {"id": uuid7(), "name": name, "rate": rate}
            conn.execute(insert(tax_rate).values(row))
            items.append(("tax_rate", row["id"], tax_rate_doc(SimpleNamespace(**row))))
            have_rates[name] = row["id"]
        tax_ids[kind] = have_rates[name]
    if not conn.execute(select(staff.c.id).limit(1)).first():
        for name, role, pin in STAFF:
            row = {"id": uuid7(), "name": name, "role": role, "pin_hash": hash_pin(pin), "active": True}
            conn.execute(insert(staff).values(row))
            items.append(("staff", row["id"], staff_doc(SimpleNamespace(**row))))
    changelog.record(conn, items)
    location_ids = list(conn.execute(select(location.c.id).order_by(location.c.code)).scalars())[:2]
    return _Base(location_ids, tax_ids)


def _price(rng: random.Random, cat: Category) -> int:
    low, high = cat.price_range
    return (rng.randint(low, high) // 100) * 100 + rng.choice((99, 49, 95, 0))


@dataclass
class _Chunk:
    """Rows of one chunk as tuples in table column order, ready for executemany."""

    now: str
    products: list[tuple] = field(default_factory=list)
    variants: list[tuple] = field(default_factory=list)
    levels: list[tuple] = field(default_factory=list)
    movements: list[tuple] = field(default_factory=list)
    # (entity, id, document, snapshot order key)
    docs: list[tuple[str, str, bytes, str | None]] = field(default_factory=list)


_COLUMNS = {
    product: ("id", "title", "description", "category", "status", "tax_rate_id", "created_at", "updated_at"),
    variant: ("id", "product_id", "sku", "barcode", "title", "price", "position"),
    inventory_level: ("id", "variant_id", "location_id", "quantity"),
    stock_movement: ("id", "variant_id", "location_id", "delta", "reason", "source", "created_at"),
    change_log: ("seq", "entity", "entity_id", "op", "version", "data", "created_at"),
    current_doc: ("entity", "id", "version", "doc", "sort_key"),
}
STOCK_CHOICES = (0, 1, 2, 3, 5, 8, 12, 20, 40, 100)


def _seed_chunk(
    conn: Connection, rng: random.Random, base: _Base, n: int, serial: int
) -> tuple[tuple[int, int, int], int]:
    """Add `n` products; returns (products, variants, stock levels) and the last serial used.

    A SKU the shop already has in any letter case (an admin may have typed one like ours) is skipped:
    the chunk is made again from the same random state with those serials passed over.
    """
    state = rng.getstate()
    taken: set[str] = set()
    while True:
        chunk = _Chunk(utc_now())
        last = serial
        for _ in range(n):
            last = _add_product(chunk, rng, base, last, taken)
        clashes = _skus_in_use(conn, [row[2] for row in chunk.variants])
        if not clashes:
            break
        taken |= clashes
        rng.setstate(state)
    for table, rows in (
        (product, chunk.products),
        (variant, chunk.variants),
        (inventory_level, chunk.levels),
        (stock_movement, chunk.movements),
    ):
        _bulk_insert(conn, table, rows)
    _log_bulk(conn, chunk.docs, chunk.now)
    return (len(chunk.products), len(chunk.variants), len(chunk.levels)), last


def _skus_in_use(conn: Connection, skus: list[str]) -> set[str]:
    """Those of `skus` the shop has in any letter case, as nocase keys (through its nocase index)."""
    keys = sorted({nocase_key(sku) for sku in skus})
    key = nocase(variant.c.sku)
    found: set[str] = set()
    for i in range(0, len(keys), VALUES_PER_QUERY):  # an expression IN: fastsql.rows_in takes plain SQL
        found.update(conn.execute(select(key).where(key.in_(keys[i : i + VALUES_PER_QUERY]))).scalars())
    return found


def _add_product(chunk: _Chunk, rng: random.Random, base: _Base, serial: int, taken: set[str]) -> int:
    """Append one product with its variants, stock and documents; returns the last serial used."""
    cat = rng.choice(CATEGORIES)
    pid = uuid7()
    title = product_title(rng, cat)
    description = f"{title}, from our {cat.name.lower()} range."
    tax_id = base.tax_ids[cat.tax_kind]
    now = chunk.now
    chunk.products.append((pid, title, description, cat.name, "active", tax_id, now, now))
    k = min(rng.choice(VARIANT_COUNTS), len(cat.options))
    options = rng.sample(cat.options, k) if k > 1 else [""]
    price = _price(rng, cat)
    vdocs = []
    level_docs = []
    for pos, option in enumerate(options):
        serial += 1
        while nocase_key(_sku(cat, serial)) in taken:
            serial += 1
        vid = uuid7()
        sku, barcode, vprice = (
            _sku(cat, serial),
            ean13(serial),
            price + pos * 100 * rng.randint(0, 2),
        )
        chunk.variants.append((vid, pid, sku, barcode, option, vprice, pos))
        vdocs.append(
            {"id": vid, "sku": sku, "barcode": barcode, "title": option, "price": vprice, "position": pos}
        )
        for loc_id in base.location_ids:
            qty = rng.choice(STOCK_CHOICES)
            lid = uuid7()
            chunk.levels.append((lid, vid, loc_id, qty))
            chunk.movements.append((uuid7(), vid, loc_id, qty, "initial", "seed", now))
            doc = {"id": lid, "version": 1, "variant_id": vid, "location_id": loc_id, "quantity": qty}
            level_docs.append(("inventory_level", lid, orjson.dumps(doc), None))
    doc = {
        "id": pid,
        "version": 1,
        "title": title,
        "description": description,
        "category": cat.name,
        "status": "active",
        "tax_rate_id": tax_id,
        "variants": vdocs,
        "updated_at": now,
    }
    chunk.docs.append(("product", pid, orjson.dumps(doc), changelog.sort_key("product", doc)))
    chunk.docs.extend(level_docs)  # after their product, so a replica with foreign keys applies in order
    return serial


def _sku(cat: Category, serial: int) -> str:
    return f"{cat.code}-{serial:07d}"


def _bulk_insert(conn: Connection, table: Table, rows: list[tuple]) -> None:
    # Driver-level executemany with tuples: Core's per-row parameter processing doubled the seed time.
    if not rows:
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    cols = _COLUMNS[table]
    sql = f'INSERT INTO "{table.name}" ({", ".join(cols)}) VALUES ({", ".join([mark] * len(cols))})'
    conn.exec_driver_sql(sql, rows)


def _log_bulk(conn: Connection, docs: list[tuple[str, str, bytes, str | None]], now: str) -> None:
    top = conn.execute(
        text("UPDATE seq_counter SET value = value + :n WHERE id = 1 RETURNING value"), {"n": len(docs)}
    ).scalar_one()
    first = top - len(docs) + 1
    logs, currents = [], []
    for seq, (entity, eid, raw, sort_key) in enumerate(docs, start=first):
        data = raw.decode()
        logs.append((seq, entity, eid, "upsert", 1, data, now))
        currents.append((entity, eid, 1, data, sort_key))
    _bulk_insert(conn, change_log, logs)
    _bulk_insert(conn, current_doc, currents)
