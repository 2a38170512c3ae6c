"""Search with barcodes outside the index terms (migration 0008) returns exactly what the index
with barcode terms returned: a typed barcode start, alone or beside other words, in title order."""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from pos.services.catalog import CatalogService
from pos.store import ranks, search
from pos.store.database import driver_connection
from pos.store.replica import SqliteReplica
from tests.store import catalog_docs as cd
from tests.store.search_reference import reference_keys


@pytest.fixture
def churned(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> CatalogService:
    """A first sync, then products added, renamed and deleted until some fall out of rank order."""
    monkeypatch.setattr(ranks, "SPACING", 4)
    monkeypatch.setattr(ranks, "RESPREAD_MAX", 0)  # no respreads: strays, the case under test
    replica = SqliteReplica(engine)
    docs = list(cd.products(300, seed=4))
    # Some titles and SKUs with digits, so a typed number also matches words of the index.
    for number, doc in enumerate(docs[:40]):
        doc["title"] += f" {200000 + number * 7}"
        doc["variants"][0]["sku"] = f"SKU-{doc['variants'][0]['barcode'][:6]}"
    cd.load_catalog(replica, copy.deepcopy(docs))
    rng = random.Random(9)
    changes, seq = [], 20
    for number, doc in enumerate(cd.products(200, seed=5, start=1000)):
        if number % 3 == 0:
            doc["title"] = f"Northwind Classic Cotton Mug {rng.choice('ABCDEF')}{number}"
        seq += 1
        changes.append(cd.change(seq, "product", doc))
    for doc in rng.sample(docs, 30):
        seq += 1
        changes.append(cd.change(seq, "product", delete_id=doc["id"]))
    replica.apply_changes(changes, cursor=seq)
    with driver_connection(engine) as con:
        stray_sql = "SELECT count(*) FROM product_order WHERE rank >= ?"
        (strays,) = con.execute(stray_sql, (ranks.OUT_OF_ORDER,)).fetchone()
    assert strays > 10  # the rare out-of-order case really happens
    return CatalogService(engine)


def _queries(engine: Engine) -> Iterator[str]:
    rng = random.Random(17)
    with driver_connection(engine) as con:
        barcodes = [b for (b,) in con.execute("SELECT barcode FROM variant WHERE barcode > '' ORDER BY id")]
        titles = [t for (t,) in con.execute("SELECT title FROM product ORDER BY key")]
    yield from ("2", "20", "200", "2000", "20000", "2000000", "200000", "0000", "99", "2000 ", "sku-20")
    for code in rng.sample(barcodes, 40):
        yield code[: rng.randrange(1, 14)]
    for _ in range(40):  # a barcode start beside a title word, in either order
        word = rng.choice(rng.choice(titles).split())[:4]
        code = rng.choice(barcodes)[: rng.randrange(2, 12)]
        yield f"{word} {code}" if rng.random() < 0.5 else f"{code} {word}"
    yield from ("20000 2000", "2000 sku", "2,000", "(2000)", "2000-1", "20\u0301000", "２０００")


@pytest.mark.parametrize("sparse_below", [1, 50, search.SPARSE_BARCODES])
def test_search_with_barcodes_equals_the_index_with_barcode_terms(
    engine: Engine, churned: CatalogService, monkeypatch: pytest.MonkeyPatch, sparse_below: int
) -> None:
    # Both ways of reading barcodes (dense: in search order; sparse: the barcode index) are exact.
    monkeypatch.setattr(search, "SPARSE_BARCODES", sparse_below)
    for text in _queries(engine):
        with driver_connection(engine) as con:
            expected = reference_keys(con, text)
        assert churned.search_keys(text) == expected, text
        for limit in (1, 7, 50):
            assert [row.key for row in churned.search(text, limit)] == expected[:limit], (text, limit)


def test_a_typed_barcode_start_finds_products_in_title_order(engine: Engine, churned: CatalogService) -> None:
    with driver_connection(engine) as con:
        expected = [
            key for key, _ in con.execute(
                "SELECT p.key, p.title FROM product p WHERE EXISTS (SELECT 1 FROM variant v "
                "WHERE v.product_id = p.id AND v.barcode LIKE '200000001%') ORDER BY p.title, p.key"
            )
        ]
    assert len(expected) > 50  # the case under test really happens
    assert churned.search_keys("200000001") == expected
    assert [row.key for row in churned.search("200000001", 50)] == expected[:50]


def test_barcodes_are_not_index_terms(engine: Engine, churned: CatalogService) -> None:
    with driver_connection(engine) as con:
        terms = {t for (t,) in con.execute("SELECT term FROM product_fts_terms")}
        barcodes = {b for (b,) in con.execute("SELECT barcode FROM variant WHERE barcode > ''")}
    assert barcodes and not terms & barcodes


@pytest.mark.parametrize(
    ("word", "digits"),
    [("2000", "2000"), ("2000,", "2000"), ("(2000)", "2000"), ("20\u0301000", "20000"), ("2000-1", None),
     ("a2000", None), ("２０００", None), ("2000\ue000", None), ("", None), ("--", None)],
)
def test_barcode_words_are_read_as_the_tokenizer_reads_them(word: str, digits: str | None) -> None:
    assert search.barcode_digits(word) == digits
