"""CatalogService: what the catalog screen shows, over a real replica file."""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from pos.services.catalog import CatalogService, StockAtLocation
from pos.store.database import driver_connection, open_replica
from pos.store.outbox import SqliteOutbox, enqueue
from pos.store.replica import SqliteReplica
from pos.store.till_file import till_engine
from sync.protocol import MutationResult, ShopInfo
from tests.store import catalog_docs as cd
from tests.store.catalog_docs import change


def _product(
    number: int,
    title: str,
    category: str,
    variants: list[tuple[str, str, str | None, int]],
    status: str = "active",
    tax: int = 0,
) -> dict:
    """A product with variants given as (title, sku, barcode, price)."""
    return {
        "id": f"p{number}",
        "version": 1,
        "title": title,
        "description": f"About {title}",
        "category": category,
        "status": status,
        "tax_rate_id": cd.TAX_RATE_IDS[tax],
        "updated_at": "2026-05-01T09:00:00Z",
        "variants": [
            {
                "id": f"p{number}v{i}",
                "sku": sku,
                "barcode": barcode,
                "title": vtitle,
                "price": price,
                "position": i,
            }
            for i, (vtitle, sku, barcode, price) in enumerate(variants)
        ],
    }


CATALOG = [
    _product(1, "Kitchen Knife", "Tools", [("", "KNF-1", "4006381333931", 2999)]),
    _product(2, "Olive Spoon", "Kitchen", [("", "SPN-1", "4006381333948", 450)], tax=1),
    _product(
        3,
        "Merino Hoodie",
        "Apparel",
        [
            ("S", "HOOD-S", "2000000000017", 5900),
            ("M", "HOOD-M", "2000000000024", 5900),
            ("XL", "HOOD-XL", None, 6400),
        ],
    ),
    _product(4, "café Crème Mug", "Kitchen", [("", "MUG-7", "2000000000031", 1250)]),
    _product(5, "Archived Lamp", "Home", [("", "LMP-1", "2000000000048", 8000)], status="archived"),
    _product(6, "Zebra Notebook", "Stationery", [("", "4006381333931X", None, 300)]),
]


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_replica(tmp_path / "replica.sqlite3")
    yield engine
    engine.dispose()


@pytest.fixture
def replica(engine: Engine) -> SqliteReplica:
    replica = SqliteReplica(engine)
    cd.load_catalog(replica, copy.deepcopy(CATALOG), seed=3)
    return replica


@pytest.fixture
def catalog(engine: Engine, replica: SqliteReplica) -> CatalogService:
    return CatalogService(engine)


@pytest.fixture(scope="module")
def shared_catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CatalogService]:
    """One read-only catalog for the many hostile-input cases."""
    engine = open_replica(tmp_path_factory.mktemp("hostile") / "replica.sqlite3")
    cd.load_catalog(SqliteReplica(engine), copy.deepcopy(CATALOG))
    yield CatalogService(engine)
    engine.dispose()


def _titles(catalog: CatalogService, text: str) -> list[str]:
    return [row.title for row in catalog.search(text)]


def test_empty_search_lists_every_product_by_title_ignoring_case(catalog) -> None:
    keys = catalog.search_keys("")
    rows = catalog.rows(keys)
    assert [rows[k].title for k in keys] == [
        "Archived Lamp",
        "café Crème Mug",
        "Kitchen Knife",
        "Merino Hoodie",
        "Olive Spoon",
        "Zebra Notebook",
    ]
    assert _titles(catalog, "   ")[:2] == ["Archived Lamp", "café Crème Mug"]


def test_words_are_prefixes_and_all_must_match(catalog) -> None:
    assert _titles(catalog, "mer") == ["Merino Hoodie"]
    assert _titles(catalog, "oli spo") == ["Olive Spoon"]
    assert _titles(catalog, "olive hoodie") == []
    assert _titles(catalog, "cafe creme") == ["café Crème Mug"]  # accents do not matter
    assert _titles(catalog, "archived") == ["Archived Lamp"]  # archived products are still found


def test_title_matches_rank_above_category_matches(catalog) -> None:
    assert _titles(catalog, "kitch") == ["Kitchen Knife", "café Crème Mug", "Olive Spoon"]
    assert catalog.search("kitch", limit=2)[1].title == "café Crème Mug"
    keys = catalog.search_keys("kitch")
    assert [catalog.rows(keys)[k].title for k in keys] == ["Kitchen Knife", "café Crème Mug", "Olive Spoon"]


def test_sku_and_barcode_find_their_product(catalog) -> None:
    assert _titles(catalog, "hood-xl") == ["Merino Hoodie"]
    assert _titles(catalog, "2000000000024") == ["Merino Hoodie"]
    assert _titles(catalog, "20000000000") != []  # a barcode prefix, typed by hand


def test_an_exact_code_comes_first(catalog) -> None:
    # "4006381333931" is the knife's barcode and a prefix of the notebook's SKU.
    assert _titles(catalog, "4006381333931") == ["Kitchen Knife", "Zebra Notebook"]
    assert _titles(catalog, "4006381333931x") == ["Zebra Notebook"]


def test_search_keys_and_rows_agree_with_search(catalog) -> None:
    keys = catalog.search_keys("kitch")
    rows = catalog.rows(keys)
    assert [rows[k] for k in keys] == catalog.search("kitch")
    assert catalog.rows([]) == {}
    assert catalog.rows([999_999]) == {}


def test_a_row_summarises_variants_prices_and_stock(catalog, engine) -> None:
    (row,) = catalog.search("merino")
    assert (row.sku_summary, row.variant_count, row.price_min, row.price_max, row.status) == (
        "HOOD-S +2",
        3,
        5900,
        6400,
        "active",
    )
    detail = catalog.detail(row.id)
    assert row.stock_total == sum(s.quantity for v in detail.variants for s in v.stock)
    (single,) = catalog.search("spoon")
    summary = (single.sku_summary, single.variant_count, single.price_min, single.price_max)
    assert summary == ("SPN-1", 1, 450, 450)


@pytest.mark.parametrize(
    "text",
    [
        '"',
        '""',
        "*",
        "-",
        "- -",
        "NEAR",
        "NEAR(",
        "NEAR(a b)",
        "a AND",
        "AND",
        "OR NOT",
        "(",
        ")",
        "'",
        "a OR b",
        "^",
        ":",
        "title:",
        "codes:kn*",
        "{title}",
        "\\",
        "\x00",
        "%",
        "_",
        "🙂",
        "mer*",
        "-mer",
        '"mer',
        'mer"',
        "x" * 5000,
        "a " * 400,
        "…",
        "ß",
        "\u200b",
        "\t\n",
    ],
)
def test_hostile_search_text_never_raises(shared_catalog, text: str, caplog) -> None:
    assert isinstance(shared_catalog.search(text), list)
    assert isinstance(shared_catalog.search_keys(text), list)
    assert shared_catalog.find_by_code(text) is None
    assert "search failed" not in caplog.text  # the FTS query was well-formed, not rescued


def test_punctuation_around_words_is_searched_as_text(catalog) -> None:
    assert _titles(catalog, '"merino"') == ["Merino Hoodie"]
    assert _titles(catalog, "-mer") == ["Merino Hoodie"]
    assert _titles(catalog, "NEAR") == []


def test_find_by_code_takes_barcode_then_sku_in_any_case(catalog) -> None:
    hit = catalog.find_by_code("2000000000024")
    assert (hit.sku, hit.title, hit.price) == ("HOOD-M", "Merino Hoodie — M", 5900)
    assert hit.barcode == "2000000000024"
    assert catalog.rows([hit.product_key])[hit.product_key].id == hit.product_id == "p3"
    assert catalog.find_by_code(" hood-xl ").variant_id == "p3v2"
    assert catalog.find_by_code("SPN-1").title == "Olive Spoon"
    assert catalog.find_by_code("4006381333931").sku == "KNF-1"
    assert catalog.find_by_code("4006381333931x").sku == "4006381333931X"
    assert catalog.find_by_code("HOOD") is None  # exact codes only
    assert catalog.find_by_code("") is None
    assert catalog.find_by_code("9999999999999") is None


def test_a_sku_typed_in_its_exact_case_finds_its_variant_before_one_differing_in_case(engine) -> None:
    # A shop may hold SKUs that differ only in letter case; the search is case-insensitive.
    tote = _product(7, "Tote Bag", "Bags", [("Small", "tote-1", None, 500), ("Large", "TOTE-1", None, 900)])
    cd.load_catalog(SqliteReplica(engine), [tote])
    catalog = CatalogService(engine)
    assert [catalog.find_by_code(sku).variant_id for sku in ("TOTE-1", "tote-1")] == ["p7v1", "p7v0"]
    assert catalog.find_by_code("Tote-1").variant_id == "p7v0"  # neither exactly: the first


def test_detail_shows_variants_prices_tax_and_stock_per_location(catalog, replica) -> None:
    detail = catalog.detail("p3")
    assert (detail.title, detail.category, detail.status) == ("Merino Hoodie", "Apparel", "active")
    assert (detail.tax_rate_name, detail.tax_rate) == ("Standard", Decimal("20"))
    assert [(v.title, v.sku, v.price) for v in detail.variants] == [
        ("S", "HOOD-S", 5900),
        ("M", "HOOD-M", 5900),
        ("XL", "HOOD-XL", 6400),
    ]
    level = {
        "id": "lvl0-p3v1",
        "version": 2,
        "variant_id": "p3v1",
        "location_id": cd.LOCATION_IDS[0],
        "quantity": 11,
    }
    replica.apply_changes([change(11, "inventory_level", level)], cursor=11)
    medium = catalog.detail("p3").variants[1]
    assert medium.stock[0] == StockAtLocation("SHOP", "Shop floor", 11)
    assert [s.location_code for s in medium.stock] == ["SHOP", "WH"]
    assert catalog.detail("p2").tax_rate == Decimal("5")
    assert catalog.detail("nope") is None


def test_stock_shown_includes_this_tills_sales_until_the_shop_sends_them_back(
    catalog, replica, engine
) -> None:
    shop = cd.LOCATION_IDS[0]
    level = {"id": "lvl0-p3v1", "version": 2, "variant_id": "p3v1", "location_id": shop, "quantity": 11}
    replica.apply_changes([change(11, "inventory_level", level)], cursor=11)
    before = catalog.rows([catalog.find_by_code("HOOD-M").product_key])
    with driver_connection(till_engine(engine)) as con:
        con.execute("BEGIN IMMEDIATE")
        enqueue(con, mutation_id="m1", type="sale.create", payload={}, stock=[("p3v1", shop, -3)])
        con.execute("COMMIT")
    assert catalog.detail("p3").variants[1].stock[0].quantity == 8
    key, total = next(iter(before)), next(iter(before.values())).stock_total
    assert catalog.rows([key])[key].stock_total == total - 3

    # The shop applied the sale at seq 12; once the till has pulled it, the level says 8 itself.
    SqliteOutbox(engine).settle([MutationResult(id="m1", status="applied", seq=12)])
    assert catalog.detail("p3").variants[1].stock[0].quantity == 8
    level = {**level, "version": 3, "quantity": 8}
    replica.apply_changes([change(12, "inventory_level", level)], cursor=12)
    assert catalog.detail("p3").variants[1].stock[0].quantity == 8
    assert catalog.rows([key])[key].stock_total == total - 3


def test_a_location_without_a_level_shows_zero(catalog, replica) -> None:
    replica.apply_changes([change(11, "inventory_level", delete_id="lvl1-p1v0")], cursor=11)
    stock = catalog.detail("p1").variants[0].stock
    assert stock[1] == StockAtLocation("WH", "Warehouse", 0)


def test_search_follows_changes(catalog, replica) -> None:
    renamed = copy.deepcopy(CATALOG[1])
    renamed.update(version=2, title="Walnut Ladle")
    renamed["variants"][0]["sku"] = "LDL-1"
    replica.apply_changes([change(11, "product", renamed), change(12, "product", delete_id="p4")], cursor=12)
    assert _titles(catalog, "olive") == []
    assert _titles(catalog, "walnut") == ["Walnut Ladle"]
    assert _titles(catalog, "spn-1") == []
    assert catalog.find_by_code("ldl-1").title == "Walnut Ladle"
    assert _titles(catalog, "mug") == []
    added = _product(7, "Olive Oil Can", "Kitchen", [("", "OIL-1", None, 1999)])
    replica.apply_changes([change(13, "product", added)], cursor=13)
    assert _titles(catalog, "olive") == ["Olive Oil Can"]
    assert catalog.shop().product_count == 6


def test_shop_summary_before_and_after_the_first_connection(catalog, replica) -> None:
    assert catalog.shop().name is None
    assert catalog.shop().product_count == 6
    replica.record_shop(
        ShopInfo(
            shop_name="Corner",
            currency="GBP",
            prices_include_tax=False,
            device_id="d",
            device_name="Till",
            head=1,
        )
    )
    shop = catalog.shop()
    assert (shop.name, shop.currency, shop.prices_include_tax) == ("Corner", "GBP", False)
    assert shop.product_count == 6


def test_long_prefixes_match_exactly_what_a_prefix_query_would(engine) -> None:
    titles = ["Classic Mug", "Classical Vase", "Clasp Belt", "Clay Pot", "Glass Classics"]
    titles += [f"Tokens{i} Box" for i in range(12)]  # one prefix standing for more terms than expanded
    replica = SqliteReplica(engine)
    docs = [_product(i, title, "Misc", [("", f"SKU-{i}", None, 100)]) for i, title in enumerate(titles)]
    cd.load_catalog(replica, docs)
    catalog = CatalogService(engine)
    assert _titles(catalog, "clas") == ["Clasp Belt", "Classic Mug", "Classical Vase", "Glass Classics"]
    assert _titles(catalog, "classi") == ["Classic Mug", "Classical Vase", "Glass Classics"]
    assert _titles(catalog, "CLASSICA") == ["Classical Vase"]
    assert _titles(catalog, "glass class") == ["Glass Classics"]
    assert _titles(catalog, "clazz") == []
    assert _titles(catalog, "class nothing") == []
    assert len(_titles(catalog, "tokens")) == 12
    assert _titles(catalog, "tokens1 box") == ["Tokens1 Box", "Tokens10 Box", "Tokens11 Box"]


# --- title-ordered search ranks (pos.store.ranks): fast paths against a plain sort ----------------

def _reference_keys(engine: Engine, text: str) -> list[int]:
    """What search must return, computed the slow way: every match looked up and sorted by title."""
    from tests.store.search_reference import reference_keys

    with engine.connect() as connection:
        return reference_keys(connection.connection.driver_connection, text)


@pytest.fixture(params=["strays", "respread"])
def churned(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> tuple[CatalogService, list[str]]:
    """A snapshot, then many products added, renamed and deleted, with ranks this close together
    that gaps run out. "strays": products fall out of order (the rare case the search must merge),
    respreads being off; "respread": the products around a full gap are spread out again instead."""
    from pos.store import ranks

    monkeypatch.setattr(ranks, "SPACING", 4)
    if request.param == "strays":
        monkeypatch.setattr(ranks, "RESPREAD_MAX", 0)
    replica = SqliteReplica(engine)
    docs = list(cd.products(300, seed=4))
    cd.load_catalog(replica, copy.deepcopy(docs))
    rng = random.Random(9)
    changes, seq = [], 20
    for number, doc in enumerate(cd.products(200, seed=5, start=1000)):
        if number % 3 == 0:  # many new products crowd between the same two neighbours
            doc["title"] = f"Northwind Classic Cotton Mug {rng.choice('ABCDEF')}{number}"
        seq += 1
        changes.append(cd.change(seq, "product", doc))
    for doc in rng.sample(docs, 60):
        renamed = copy.deepcopy(doc)
        renamed.update(version=2, title=f"{rng.choice(cd.BRANDS)} Renamed {doc['title'].split()[-1]}")
        seq += 1
        changes.append(cd.change(seq, "product", renamed))
    for doc in rng.sample(docs, 30):
        seq += 1
        changes.append(cd.change(seq, "product", delete_id=doc["id"]))
    replica.apply_changes(changes, cursor=seq)
    with engine.connect() as connection:
        strays = connection.exec_driver_sql(
            "SELECT count(*) FROM product_order WHERE rank >= ?", (ranks.OUT_OF_ORDER,)
        ).scalar()
        titles = [t for (t,) in connection.exec_driver_sql("SELECT title FROM product")]
    # The case under test really happens: with the same changes, strays only without respreads.
    assert strays > 10 if request.param == "strays" else strays == 0
    return CatalogService(engine), titles


def test_ordered_ranks_follow_title_order_after_changes(engine, churned) -> None:
    from pos.store import ranks

    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT o.rank FROM product p JOIN product_order o ON o.key = p.key ORDER BY p.title, p.key"
        ).all()
        counts = connection.exec_driver_sql(
            "SELECT (SELECT count(*) FROM product), (SELECT count(*) FROM product_order), "
            "(SELECT count(*) FROM product_fts)"
        ).one()
    ordered = [rank for (rank,) in rows if rank < ranks.OUT_OF_ORDER]
    assert ordered == sorted(ordered) and len(set(ordered)) == len(ordered)
    assert counts[0] == counts[1] == counts[2] == 300 + 200 - 30


def test_fast_search_equals_a_full_sort_on_random_queries(engine, churned) -> None:
    catalog, titles = churned
    rng = random.Random(13)
    queries = ["northwind", "north", "nor cot", "mug", "renamed", "kitchen", "apparel", "m", "zz"]
    for _ in range(120):
        words = rng.sample(rng.choice(titles).replace("-", " ").split(), rng.randrange(1, 3))
        queries.append(" ".join(w[: rng.randrange(1, len(w) + 1)] for w in words))
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT barcode FROM variant WHERE barcode > ''")
        barcodes = [barcode for (barcode,) in rows]
    # A cashier typing the start of a barcode: prefixes standing for many index terms.
    queries += [code[: rng.randrange(2, 9)] for code in rng.sample(barcodes, 30)]
    for text in queries:
        expected = _reference_keys(engine, text)
        assert catalog.search_keys(text) == expected, text
        for limit in (1, 7, 50):
            assert [row.key for row in catalog.search(text, limit)] == expected[:limit], (text, limit)


@pytest.mark.parametrize(
    "spot, names, tight",
    [
        ("between two products", lambda n: f"Acme Widget {n:03d}", False),
        ("right after the first product", lambda n: f"0 Anchor Line {n:03d}", False),
        ("before the first product, each before the last", lambda n: f"0 Start {1000 - n:03d}", False),
        ("after the last product", lambda n: f"zzz End {n:03d}", False),
        # Ranks 4 apart and respreads of 16 products a side at most: before the first product and
        # after the last there is always room, however crowded (ranks below the first go negative).
        ("before the first product, each before the last", lambda n: f"0 Start {1000 - n:03d}", True),
        ("after the last product", lambda n: f"zzz End {n:03d}", True),
    ],
)
def test_a_product_line_added_one_after_another_stays_in_title_order(
    engine, monkeypatch, spot, names, tight: bool
) -> None:
    """A warehouse adds a product line one product after another: each lands next to the one
    before, in the same gap every time, which runs out of ranks after a dozen between two
    products; the products around it are spread out again, so none falls out of order."""
    from pos.store import ranks

    if tight:
        monkeypatch.setattr(ranks, "SPACING", 4)
        monkeypatch.setattr(ranks, "RESPREAD_MAX", 16)
    replica = SqliteReplica(engine)
    docs = list(cd.products(300, seed=4))
    docs[0]["title"] = "0 Anchor"  # the first product of the title order
    cd.load_catalog(replica, copy.deepcopy(docs))
    line = []
    for number, doc in enumerate(cd.products(60, seed=6, start=2000), start=1):
        doc["title"] = names(number)
        doc["variants"][0]["sku"] = f"LINE-{number:03d}"
        line.append(doc)
        replica.apply_changes([cd.change(100 + number, "product", doc)], cursor=100 + number)
    with driver_connection(engine) as con:
        con.execute("INSERT INTO product_fts (product_fts) VALUES ('integrity-check')")
        rows = con.execute(
            "SELECT o.rank FROM product p JOIN product_order o ON o.key = p.key ORDER BY p.title, p.key"
        ).fetchall()
        (search_rows,) = con.execute("SELECT count(*) FROM product_fts").fetchone()
    in_title_order = [rank for (rank,) in rows]
    assert in_title_order == sorted(set(in_title_order)) and in_title_order[-1] < ranks.OUT_OF_ORDER
    assert len(rows) == search_rows == 360
    catalog = CatalogService(engine)
    query = " ".join(line[0]["title"].split()[:-1])
    assert [row.title for row in catalog.search(query, 100)] == sorted(doc["title"] for doc in line), spot
    for doc in line[::7]:  # moved products are still found by their codes
        assert _titles(catalog, doc["variants"][0]["sku"]) == [doc["title"]]
    for doc in docs[::50]:
        assert doc["title"] in _titles(catalog, doc["variants"][0]["sku"])


@pytest.mark.parametrize("renamed", [5, 120])
def test_search_equals_a_full_sort_after_a_resnapshot(
    engine, churned, renamed: int, request: pytest.FixtureRequest
) -> None:
    """A staged re-snapshot over out-of-order ranks: a few renames are placed one by one, many
    renumber every rank; either way search matches the slow reference."""
    from pos.store import ranks

    catalog, _ = churned
    replica = SqliteReplica(engine, chunk_docs=40)
    from tests.store.test_replica_snapshot import _products_in

    snapshot = list(_products_in(Path(engine.url.database)).values())[25:]  # 25 deleted meanwhile
    rng = random.Random(21)
    for doc in rng.sample(snapshot, renamed):
        doc.update(version=9, title=f"{rng.choice(cd.BRANDS)} Resnapped {doc['title'].split()[-1]}")
    replica.begin_snapshot()
    replica.load_snapshot("product", 500, cd.batched(iter(snapshot), 30))
    with engine.connect() as connection:
        titles = [t for (t,) in connection.exec_driver_sql("SELECT title FROM product")]
        strays = connection.exec_driver_sql(
            "SELECT count(*) FROM product_order WHERE rank >= ?", (ranks.OUT_OF_ORDER,)
        ).scalar()
    assert len(titles) == len(snapshot)
    # Renumbering puts every product back in order; a few renames leave the strays there were.
    assert (strays == 0) == (renamed > 100 or request.node.callspec.params["churned"] == "respread")
    rng = random.Random(5)
    queries = ["resnapped", "res", "northwind", "mug", "renamed"]
    queries += [" ".join(w[:3] for w in rng.choice(titles).split()[:2]) for _ in range(60)]
    for text in queries:
        expected = _reference_keys(engine, text)
        assert catalog.search_keys(text) == expected, text
        assert [row.key for row in catalog.search(text, 7)] == expected[:7], text
