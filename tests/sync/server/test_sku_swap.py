"""SKUs moving between the variants of one product in a single PATCH."""

from __future__ import annotations

from sync.protocol import PROBLEM_MEDIA_TYPE
from tests.fixtures.shop_server import LiveShop
from tests.sync.server.helpers import all_changes, head, product_body, unique_sku


def _skus(doc: dict) -> dict[str, str]:
    return {v["id"]: v["sku"] for v in doc["variants"]}


def test_two_variants_swap_their_skus_in_one_patch(shop: LiveShop) -> None:
    doc = shop.admin_post("products", json=product_body()).json()
    a, b = doc["variants"]
    before = head(shop)
    body = {"variants": [{"id": a["id"], "sku": b["sku"]}, {"id": b["id"], "sku": a["sku"]}]}
    resp = shop.admin_patch(f"products/{doc['id']}", json=body)
    assert resp.status_code == 200, resp.text
    assert _skus(resp.json()) == {a["id"]: b["sku"], b["id"]: a["sku"]}
    assert [v["barcode"] for v in resp.json()["variants"]] == [a["barcode"], b["barcode"]]
    [change] = all_changes(shop, since=before)
    assert change["data"] == resp.json() == shop.admin_get(f"products/{doc['id']}").json()


def test_skus_rotate_and_a_new_variant_takes_a_freed_sku(shop: LiveShop) -> None:
    doc = shop.admin_post("products", json=product_body()).json()
    a, b = doc["variants"]
    fresh = unique_sku()
    # a takes b's SKU, b takes a brand-new one, and a new variant takes a's old SKU.
    body = {
        "variants": [
            {"id": a["id"], "sku": b["sku"]},
            {"id": b["id"], "sku": fresh},
            {"sku": a["sku"], "title": "2 kg", "price": 5499},
        ]
    }
    resp = shop.admin_patch(f"products/{doc['id']}", json=body)
    assert resp.status_code == 200, resp.text
    assert [v["sku"] for v in resp.json()["variants"]] == [b["sku"], fresh, a["sku"]]


def test_dropped_variant_sku_can_be_taken_by_a_kept_one(shop: LiveShop) -> None:
    doc = shop.admin_post("products", json=product_body()).json()
    a, b = doc["variants"]
    resp = shop.admin_patch(f"products/{doc['id']}", json={"variants": [{"id": a["id"], "sku": b["sku"]}]})
    assert resp.status_code == 200, resp.text
    assert _skus(resp.json()) == {a["id"]: b["sku"]}


def test_sku_kept_by_one_variant_and_claimed_by_another_is_a_clear_409(shop: LiveShop) -> None:
    doc = shop.admin_post("products", json=product_body()).json()
    a, b = doc["variants"]
    before = head(shop)
    # a keeps its SKU (not sent) while b asks for it.
    body = {"variants": [{"id": a["id"], "price": 1}, {"id": b["id"], "sku": a["sku"]}]}
    resp = shop.admin_patch(f"products/{doc['id']}", json=body)
    assert resp.status_code == 409 and resp.headers["Content-Type"] == PROBLEM_MEDIA_TYPE
    assert a["sku"] in resp.json()["detail"] and "twice" in resp.json()["detail"]
    assert head(shop) == before and shop.admin_get(f"products/{doc['id']}").json() == doc
