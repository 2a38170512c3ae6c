"""Snapshots: header, documents, trailer; pinned to a cursor that agrees with the change log; gzip."""

from __future__ import annotations

import gzip

import orjson
import pytest

from sync.protocol import DOC_VALIDATORS, ENTITIES, PROBLEM_MEDIA_TYPE, title_order_key
from tests.fixtures.shop_server import LiveShop
from tests.sync.server.helpers import all_changes, head, product_body, snapshot


@pytest.mark.parametrize("entity", ENTITIES)
def test_snapshot_has_header_valid_documents_and_trailer(shop: LiveShop, entity: str) -> None:
    header, docs, trailer = snapshot(shop, entity)
    assert header["type"] == "header" and header["entity"] == entity
    assert header["count"] == len(docs) == trailer["count"]
    assert trailer == {"type": "end", "count": len(docs)}
    for doc in docs:
        DOC_VALIDATORS[entity].validate_python(doc)
    assert len({d["id"] for d in docs}) == len(docs)


def test_seeded_shop_has_products_stock_at_two_locations_tax_rates_and_staff(shop: LiveShop) -> None:
    _, products, _ = snapshot(shop, "product")
    _, levels, _ = snapshot(shop, "inventory_level")
    _, locations, _ = snapshot(shop, "location")
    variant_ids = {v["id"] for p in products for v in p["variants"]}
    assert len(products) >= 20 and len(locations) == 2
    assert {(lv["variant_id"], lv["location_id"]) for lv in levels} >= {
        (v, loc["id"]) for v in variant_ids for loc in locations
    }
    assert len(snapshot(shop, "tax_rate")[1]) == 3
    assert {s["role"] for s in snapshot(shop, "staff")[1]} == {"cashier", "warehouse", "manager"}


def test_snapshot_equals_the_replayed_change_log_at_its_cursor(shop: LiveShop) -> None:
    shop.admin_post("products", json=product_body()).raise_for_status()
    for entity in ("product", "inventory_level"):
        header, docs, _ = snapshot(shop, entity)
        replayed: dict[str, dict] = {}
        for change in all_changes(shop):
            if change["entity"] != entity or change["seq"] > header["cursor"]:
                continue
            if change["op"] == "delete":
                replayed.pop(change["id"], None)
            else:
                replayed[change["id"]] = change["data"]
        assert {d["id"]: d for d in docs} == replayed


def test_snapshot_cursor_moves_with_writes_and_includes_them(shop: LiveShop) -> None:
    before, _, _ = snapshot(shop, "product")
    assert before["cursor"] == head(shop)
    created = shop.admin_post("products", json=product_body(title="Cursor Check Mug")).json()
    after, docs, _ = snapshot(shop, "product")
    assert after["cursor"] > before["cursor"]
    assert created in docs
    assert after["count"] == before["count"] + 1


def test_snapshot_gzip_is_the_same_stream_compressed(shop: LiveShop) -> None:
    plain = shop.sync_get("snapshot", params={"entity": "product"}, headers={"Accept-Encoding": "identity"})
    packed = shop.sync_get(
        "snapshot", params={"entity": "product"}, headers={"Accept-Encoding": "gzip"}, stream=True
    )
    raw = packed.raw.read(decode_content=False)
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in plain.headers
    assert len(raw) < len(plain.content) / 2
    assert gzip.decompress(raw) == plain.content
    assert orjson.loads(plain.content.splitlines()[-1])["type"] == "end"


def test_unknown_entity_is_a_422_problem(shop: LiveShop) -> None:
    resp = shop.sync_get("snapshot", params={"entity": "spaceship"})
    assert resp.status_code == 422
    assert resp.headers["Content-Type"] == PROBLEM_MEDIA_TYPE
    assert "entity" in resp.json()["detail"]


def test_products_come_in_title_order_and_keep_it_through_renames(shop: LiveShop) -> None:
    # Titles only case or non-ASCII letters tell apart, created out of order; then one renamed.
    made = [
        shop.admin_post("products", json=product_body(title=title)).json()
        for title in ("zz Order Check", "ÉÉ Order Check", "AA order check", "aa Order Check")
    ]
    renamed = shop.admin_patch(f"products/{made[0]['id']}", json={"title": "AB Order Check"})
    assert renamed.status_code == 200
    _, docs, _ = snapshot(shop, "product")
    keys = [(title_order_key(doc["title"]), doc["id"]) for doc in docs]
    assert keys == sorted(keys)  # the whole stream, seeded products included
    mine = [doc["title"] for doc in docs if doc["title"].lower().endswith("order check")]
    # Equal keys in id order (ids follow creation); "É" sorts after every ASCII letter.
    assert mine == ["AA order check", "aa Order Check", "AB Order Check", "ÉÉ Order Check"]
