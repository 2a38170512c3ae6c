"""apply_changes: version-guarded upserts, deletes, and a page applied whole with its cursor or not at all."""

from __future__ import annotations

import copy
import random
import sqlite3
from pathlib import Path

import pytest

from pos.services.catalog import CatalogService
from sync.ports import ProtocolError
from tests.store import catalog_docs as cd
from tests.store.catalog_docs import change


@pytest.fixture
def docs(replica) -> list[dict]:
    docs = list(cd.products(30))
    cd.load_catalog(replica, docs, cursor=100)
    return docs


def _price(path: Path, variant_id: str) -> int | None:
    con = sqlite3.connect(path)
    row = con.execute("SELECT price FROM variant WHERE id = ?", (variant_id,)).fetchone()
    con.close()
    return row[0] if row else None


def _count(path: Path, sql: str, *args) -> int:
    con = sqlite3.connect(path)
    (n,) = con.execute(sql, args).fetchone()
    con.close()
    return n


def _variant_twice(doc: dict) -> dict:
    """`doc` listing its first variant a second time, at another position."""
    doc["variants"].append({**doc["variants"][0], "position": len(doc["variants"])})
    return doc


def _repriced(doc: dict, price: int, version: int) -> dict:
    doc = copy.deepcopy(doc)
    doc["version"] = version
    for variant in doc["variants"]:
        variant["price"] = price
    return doc


def test_newer_version_applies_and_a_replayed_older_one_is_ignored(replica, replica_path, docs) -> None:
    target = docs[4]
    variant_id = target["variants"][0]["id"]
    applied = replica.apply_changes([change(101, "product", _repriced(target, 1234, 2))], cursor=101)
    assert applied.upserted == {"product": {target["id"]}}
    assert _price(replica_path, variant_id) == 1234

    stale = replica.apply_changes([change(90, "product", _repriced(target, 999, 1))], cursor=102)
    assert stale.upserted == {} and stale.deleted == {}
    assert _price(replica_path, variant_id) == 1234
    assert replica.sync_state().cursor == 102


def test_other_entities_are_version_guarded_too(replica, replica_path, docs) -> None:
    level = {"id": cd.uid(9, 1), "version": 3, "variant_id": docs[0]["variants"][0]["id"],
             "location_id": cd.LOCATION_IDS[0], "quantity": 7}
    replica.apply_changes([change(101, "inventory_level", level)], cursor=101)
    older = {**level, "version": 2, "quantity": 1}
    applied = replica.apply_changes([change(102, "inventory_level", older)], cursor=102)
    assert applied.upserted == {}
    assert _count(replica_path, "SELECT quantity FROM inventory_level WHERE id = ?", level["id"]) == 7


def test_deleting_a_product_removes_its_variants_stock_and_search_entry(replica, replica_path, docs) -> None:
    gone = docs[7]
    sku = gone["variants"][0]["sku"]
    catalog = CatalogService(replica._engine)
    assert catalog.find_by_code(sku) is not None
    applied = replica.apply_changes([change(101, "product", delete_id=gone["id"])], cursor=101)
    assert applied.deleted == {"product": {gone["id"]}}
    assert _count(replica_path, "SELECT count(*) FROM variant WHERE product_id = ?", gone["id"]) == 0
    variant_ids = [v["id"] for v in gone["variants"]]
    for variant_id in variant_ids:
        levels = "SELECT count(*) FROM inventory_level WHERE variant_id = ?"
        assert _count(replica_path, levels, variant_id) == 0
    assert catalog.find_by_code(sku) is None
    assert gone["id"] not in {row.id for row in catalog.search(sku)}
    assert _count(replica_path, "SELECT count(*) FROM product") == 29


def test_dropping_a_variant_drops_its_stock_and_its_codes(replica, replica_path) -> None:
    doc = cd.product(1, random.Random(1))
    doc["variants"] = [
        {"id": f"v{i}", "sku": f"TEE-{i}", "barcode": cd.ean13(500 + i), "title": size, "price": 1500,
         "position": i}
        for i, size in enumerate(("S", "M", "L"))
    ]
    cd.load_catalog(replica, [doc])
    catalog = CatalogService(replica._engine)
    assert [row.key for row in catalog.search("TEE-2")] == [row.key for row in catalog.search(cd.ean13(502))]
    assert len(catalog.search("TEE-2")) == 1
    smaller = copy.deepcopy(doc)
    smaller["version"] = 2
    smaller["variants"] = smaller["variants"][:2]
    replica.apply_changes([change(11, "product", smaller)], cursor=11)
    assert _count(replica_path, "SELECT count(*) FROM variant") == 2
    assert _count(replica_path, "SELECT count(*) FROM inventory_level WHERE variant_id = 'v2'") == 0
    assert _count(replica_path, "SELECT count(*) FROM inventory_level") == 4
    assert catalog.find_by_code("TEE-2") is None
    assert catalog.search("TEE-2") == []
    assert catalog.search("TEE-1")[0].variant_count == 2
    assert catalog.search(cd.ean13(502)) == []


@pytest.mark.parametrize("how", ["dropped first", "product deleted first", "added first"])
def test_a_variant_moved_to_another_product_in_one_page_keeps_its_stock(
    replica, replica_path, docs, how
) -> None:
    # Another shop's connector may move a variant between products: the page lists the product
    # that lost it and the one that gained it, in either order. Its stock did not move.
    first = next(i for i, doc in enumerate(docs) if len(doc["variants"]) > 1)
    source, target = copy.deepcopy(docs[first]), copy.deepcopy(docs[first + 1])
    moved = source["variants"][0]
    levels = "SELECT count(*) FROM inventory_level WHERE variant_id = ?"
    before = _count(replica_path, levels, moved["id"])
    assert before > 0
    source["variants"] = source["variants"][1:]
    target["variants"] = [*target["variants"], {**moved, "position": len(target["variants"])}]
    for doc in (source, target):
        doc["version"] += 1
    losing = change(101, "product", source)
    if how == "product deleted first":
        losing = change(101, "product", delete_id=source["id"])
    gaining = change(102, "product", target)
    page = [gaining, losing] if how == "added first" else [losing, gaining]
    replica.apply_changes(page, cursor=102)
    assert _count(replica_path, "SELECT count(*) FROM variant WHERE id = ? AND product_id = ?",
                  moved["id"], target["id"]) == 1  # fmt: skip
    assert _count(replica_path, levels, moved["id"]) == before
    left = source["variants"][0]["id"]  # left behind: gone with its product when that is deleted
    assert _count(replica_path, levels, left) == (0 if how == "product deleted first" else before)


def test_a_bad_change_refuses_the_whole_page_and_keeps_the_cursor(replica, replica_path, docs) -> None:
    repriced = _repriced(docs[0], 777, 2)
    new_product = cd.product(5000, random.Random(3))
    broken = _repriced(docs[1], -1, 2)  # a negative price breaks the replica's CHECK constraint
    page = [change(101, "product", repriced), change(102, "product", new_product),
            change(103, "product", broken)]
    with pytest.raises(ProtocolError, match=r"#103 \(product .*\).*Nothing was applied"):
        replica.apply_changes(page, cursor=103)
    assert _price(replica_path, docs[0]["variants"][0]["id"]) == docs[0]["variants"][0]["price"]
    assert _count(replica_path, "SELECT count(*) FROM product WHERE id = ?", new_product["id"]) == 0
    assert replica.sync_state().cursor == 100
    assert CatalogService(replica._engine).find_by_code(new_product["variants"][0]["sku"]) is None


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param({"seq": 101, "entity": "product", "id": "x", "op": "upsert", "version": 2, "data": None},
                     id="upsert-without-data"),
        pytest.param({"seq": 101, "entity": "product", "id": "other", "op": "upsert", "version": 1,
                      "data": cd.product(6000, random.Random(1))}, id="id-mismatch"),
        pytest.param({"seq": 101, "entity": "location", "id": "l9", "op": "upsert", "version": 1,
                      "data": {"id": "l9", "version": 1, "code": "X"}}, id="missing-field"),
        pytest.param({"seq": 101, "entity": "coupon", "id": "c", "op": "delete", "version": 1, "data": None},
                     id="unknown-entity"),
        pytest.param({"seq": 101, "entity": "location", "id": "c", "op": "merge", "version": 1, "data": None},
                     id="unknown-op"),
        pytest.param({"seq": 101, "entity": "location", "id": "l9", "op": "upsert", "version": 2**64,
                      "data": {"id": "l9", "version": 2**64, "code": "X", "name": "Far"}},
                     id="integer-beyond-64-bits"),
        pytest.param(change(101, "product", _variant_twice(cd.product(6000, random.Random(1)))),
                     id="variant-listed-twice"),
    ],
)
def test_malformed_changes_are_refused_and_nothing_moves(replica, replica_path, docs, bad) -> None:
    good = change(100, "product", _repriced(docs[2], 4321, 2))
    with pytest.raises(ProtocolError):
        replica.apply_changes([good, bad], cursor=101)
    assert _price(replica_path, docs[2]["variants"][0]["id"]) == docs[2]["variants"][0]["price"]
    assert replica.sync_state().cursor == 100


def test_customers_orders_and_deletes_of_plain_entities(replica, replica_path, docs) -> None:
    customer = {"id": "c1", "version": 1, "name": "Ada", "email": "ada@example.org", "phone": None,
                "loyalty_code": "L-1", "updated_at": "2026-05-01T10:00:00Z"}
    order = {
        "id": "o1", "version": 1, "number": "W-1001", "source": "web", "status": "paid", "customer_id": "c1",
        "currency": "EUR", "subtotal": 2000, "tax": 400, "total": 2400,
        "lines": [{"id": "l1", "variant_id": docs[0]["variants"][0]["id"], "sku": "X", "title": "Mug",
                   "quantity": 2, "unit_price": 1000, "discount": 0, "tax_rate": "20", "tax": 400,
                   "total": 2400}],
        "payments": [{"id": "pay1", "method": "card", "amount": 2400, "reference": None}],
        "fulfilments": [], "created_at": "2026-05-01T10:00:00Z", "updated_at": "2026-05-01T10:00:00Z",
    }
    applied = replica.apply_changes([change(101, "customer", customer), change(102, "order", order)], 102)
    assert applied.upserted == {"customer": {"c1"}, "order": {"o1"}}
    con = sqlite3.connect(replica_path)
    number, total, doc = con.execute("SELECT number, total, json_extract(doc, '$.lines[0].quantity') "
                                     "FROM orders").fetchone()
    con.close()
    assert (number, total, doc) == ("W-1001", 2400, 2)

    applied = replica.apply_changes(
        [change(103, "customer", delete_id="c1"), change(104, "order", delete_id="o1"),
         change(105, "order", delete_id="never-seen")],
        cursor=105,
    )
    assert applied.deleted == {"customer": {"c1"}, "order": {"o1"}}
    assert _count(replica_path, "SELECT count(*) FROM customer") == 0
    assert _count(replica_path, "SELECT count(*) FROM orders") == 0
    assert replica.sync_state().cursor == 105


def test_an_empty_page_only_moves_the_cursor(replica, docs) -> None:
    applied = replica.apply_changes([], cursor=150)
    assert applied.entities() == set()
    assert replica.sync_state().cursor == 150
