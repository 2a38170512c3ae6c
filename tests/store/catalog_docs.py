"""Realistic replica documents (sync.protocol shapes) for tests and benchmarks/lookup.py.

Deterministic for a given seed, generated lazily so a million products never sit in memory at once.
Ids look like UUIDv7 strings and are unique per entity kind; barcodes are valid EAN-13.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

Doc = dict[str, Any]

BRANDS = (
    "Northwind", "Alder", "Bramble", "Corvid", "Dunmore", "Elmwood", "Fenwick", "Greyhaven", "Halcyon",
    "Ironbark", "Juniper", "Kestrel", "Larkspur", "Marlow", "Nettle", "Oakridge", "Pemberton", "Quillon",
    "Rowan", "Saltmarsh", "Thistle", "Umber", "Vantage", "Wexford", "Yarrow", "Zephyr",
)
ADJECTIVES = (
    "Classic", "Everyday", "Heritage", "Lightweight", "Organic", "Premium", "Rugged", "Slim", "Soft",
    "Sturdy", "Vintage", "Waterproof", "Compact", "Deluxe", "Essential", "Insulated", "Recycled", "Travel",
)
MATERIALS = (
    "Cotton", "Linen", "Merino", "Leather", "Canvas", "Bamboo", "Steel", "Oak", "Ceramic", "Wool",
    "Denim", "Cork", "Copper", "Glass", "Walnut", "Silk", "Hemp", "Suede",
)
# (noun, category, variant kind)
NOUNS = (
    ("T-Shirt", "Apparel", "size"), ("Hoodie", "Apparel", "size"), ("Jacket", "Apparel", "size"),
    ("Socks", "Apparel", "size"), ("Scarf", "Accessories", "colour"), ("Beanie", "Accessories", "colour"),
    ("Backpack", "Bags", "colour"), ("Tote Bag", "Bags", "colour"), ("Wallet", "Accessories", "colour"),
    ("Mug", "Kitchen", None), ("Teapot", "Kitchen", None), ("Cutting Board", "Kitchen", None),
    ("Water Bottle", "Outdoor", "colour"), ("Notebook", "Stationery", None), ("Pen Set", "Stationery", None),
    ("Candle", "Home", None), ("Cushion", "Home", "colour"), ("Throw Blanket", "Home", "colour"),
    ("Plant Pot", "Garden", None), ("Trowel", "Garden", None), ("Sunglasses", "Accessories", None),
    ("Belt", "Accessories", "size"), ("Apron", "Kitchen", "colour"), ("Lamp", "Home", None),
)
SIZES = ("S", "M", "L", "XL")
COLOURS = ("Black", "Navy", "Olive", "Sand", "Rust", "Grey")

LOCATION_IDS = ("01900000-0000-7000-8000-00000000a001", "01900000-0000-7000-8000-00000000a002")
TAX_RATE_IDS = ("01900000-0000-7000-8000-00000000b001", "01900000-0000-7000-8000-00000000b002")


def uid(kind: int, number: int) -> str:
    """A UUID-shaped id, unique per (kind, number) and ordered by number like a UUIDv7."""
    high, middle, low = (number >> 48) & 0xFFFF, (number >> 36) & 0xFFF, number & 0xFFFFFFFFFFFF
    return f"0190{kind:04x}-{high:04x}-7{middle:03x}-8000-{low:012x}"


def ean13(number: int) -> str:
    body = f"20{number:010d}"  # "20"-"29": in-store numbers, never a real manufacturer's
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def locations() -> list[Doc]:
    return [
        {"id": LOCATION_IDS[0], "version": 1, "code": "SHOP", "name": "Shop floor"},
        {"id": LOCATION_IDS[1], "version": 1, "code": "WH", "name": "Warehouse"},
    ]


def tax_rates() -> list[Doc]:
    return [
        {"id": TAX_RATE_IDS[0], "version": 1, "name": "Standard", "rate": "20"},
        {"id": TAX_RATE_IDS[1], "version": 1, "name": "Reduced", "rate": "5"},
    ]


def product(number: int, rng: random.Random, version: int = 1) -> Doc:
    """Product `number` (0-based) with 1 to 4 variants; about 1.5 variants per product on average."""
    noun, category, kind = NOUNS[rng.randrange(len(NOUNS))]
    title = f"{rng.choice(BRANDS)} {rng.choice(ADJECTIVES)} {rng.choice(MATERIALS)} {noun}"
    base = f"{noun[:3].upper()}-{number:07d}"
    price = rng.randrange(199, 25_000, 50)
    options: tuple[str, ...] = ("",)
    if kind is not None and rng.random() < 0.25:
        choices = SIZES if kind == "size" else COLOURS
        options = choices[: rng.randrange(2, len(choices) + 1)]
    variants = [
        {
            "id": uid(2, number * 8 + position),
            "sku": f"{base}-{option[:3].upper()}" if option else base,
            "barcode": ean13(number * 8 + position),
            "title": option,
            "price": price,
            "position": position,
        }
        for position, option in enumerate(options)
    ]
    return {
        "id": uid(1, number),
        "version": version,
        "title": title,
        "description": f"{title}. Made with care.",
        "category": category,
        "status": "archived" if number % 50 == 49 else "active",
        "tax_rate_id": TAX_RATE_IDS[1] if category == "Kitchen" else TAX_RATE_IDS[0],
        "variants": variants,
        "updated_at": "2026-05-01T09:00:00Z",
    }


def products(count: int, seed: int = 1, start: int = 0) -> Iterator[Doc]:
    rng = random.Random(seed)
    for number in range(start, start + count):
        yield product(number, rng)


def levels_for(doc: Doc, rng: random.Random) -> list[Doc]:
    """One stock level per variant at each of the two locations."""
    return [
        {
            "id": f"lvl{index}-{variant['id']}",
            "version": 1,
            "variant_id": variant["id"],
            "location_id": location_id,
            "quantity": rng.randrange(0, 40),
        }
        for variant in doc["variants"]
        for index, location_id in enumerate(LOCATION_IDS)
    ]


def batched(docs: Iterator[Doc], size: int = 5000) -> Iterator[list[Doc]]:
    batch: list[Doc] = []
    for doc in docs:
        batch.append(doc)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def load_catalog(replica: Any, docs: list[Doc], *, cursor: int = 10, seed: int = 7) -> list[Doc]:
    """Run a whole first sync of `docs` (with two locations, two tax rates, stock) into `replica`.

    Returns the inventory level documents it loaded.
    """
    rng = random.Random(seed)
    levels = [level for doc in docs for level in levels_for(doc, rng)]
    replica.begin_snapshot()
    replica.load_snapshot("location", cursor, [locations()])
    replica.load_snapshot("tax_rate", cursor, [tax_rates()])
    replica.load_snapshot("product", cursor, batched(iter(docs), 100))
    replica.load_snapshot("inventory_level", cursor, batched(iter(levels), 100))
    replica.finish_snapshot()
    return levels


def change(seq: int, entity: str, doc: Doc | None = None, *, delete_id: str | None = None) -> dict[str, Any]:
    """A sync.protocol Change: an upsert of `doc`, or a tombstone for `delete_id`."""
    if doc is None:
        return {"seq": seq, "entity": entity, "id": delete_id, "op": "delete", "version": 0, "data": None}
    version = doc["version"]
    return {"seq": seq, "entity": entity, "id": doc["id"], "op": "upsert", "version": version, "data": doc}
