"""SKUs that differ only in letter case: tills find SKUs ignoring case (SQLite NOCASE, ASCII letters),
so the admin API refuses a new or changed SKU equal to another variant's ignoring case, with a 409
that names the variant and product holding it, and changes nothing."""

from __future__ import annotations

import uuid

from sync.protocol import PROBLEM_MEDIA_TYPE
from tests.fixtures.shop_server import LiveShop
from tests.sync.server.helpers import head, product_body, unique_sku


def _upper_sku() -> str:
    return f"ACC-{uuid.uuid4().hex[:10].upper()}"


def _product(shop: LiveShop, *skus: str) -> dict:
    variants = [{"sku": sku, "title": str(n), "price": 100} for n, sku in enumerate(skus)]
    resp = shop.admin_post("products", json=product_body(variants=variants))
    assert resp.status_code == 201, resp.text
    return resp.json()


def _refused(shop: LiveShop, resp, *words: str) -> str:  # type: ignore[no-untyped-def]
    assert resp.status_code == 409, resp.text
    assert resp.headers["Content-Type"] == PROBLEM_MEDIA_TYPE
    detail = resp.json()["detail"]
    assert all(w in detail for w in words), detail
    return detail


def test_a_new_product_with_another_products_sku_in_other_case_is_a_409_naming_it(shop: LiveShop) -> None:
    sku = _upper_sku()
    held = _product(shop, sku)
    before, count = head(shop), len(shop.admin_get("products", params={"limit": 1000}).json())
    resp = shop.admin_post("products", json=product_body(variants=[{"sku": sku.lower(), "price": 100}]))
    _refused(shop, resp, sku, sku.lower(), held["id"], held["variants"][0]["id"], "letter case")
    assert head(shop) == before
    assert len(shop.admin_get("products", params={"limit": 1000}).json()) == count


def test_changing_a_sku_to_another_products_in_other_case_is_a_409_and_changes_nothing(
    shop: LiveShop,
) -> None:
    sku = _upper_sku()
    held = _product(shop, sku)
    doc = _product(shop, unique_sku())
    before = head(shop)
    body = {"variants": [{"id": doc["variants"][0]["id"], "sku": sku.lower().capitalize()}]}
    _refused(shop, shop.admin_patch(f"products/{doc['id']}", json=body), held["id"])
    assert head(shop) == before and shop.admin_get(f"products/{doc['id']}").json() == doc


def test_two_variants_of_one_request_differing_only_in_case_are_a_409(shop: LiveShop) -> None:
    sku = _upper_sku()
    before = head(shop)
    twins = [{"sku": sku, "price": 100}, {"sku": sku.lower(), "price": 200}]
    resp = shop.admin_post("products", json=product_body(variants=twins))
    _refused(shop, resp, sku, sku.lower(), "letter case")
    doc = _product(shop, unique_sku(), sku)
    keep, other = doc["variants"]
    # the first variant keeps its SKU while the second asks for it in lower case
    body = {"variants": [{"id": keep["id"]}, {"id": other["id"]}, {"sku": sku.lower(), "price": 5}]}
    _refused(shop, shop.admin_patch(f"products/{doc['id']}", json=body), sku.lower(), "letter case")
    assert head(shop) == before + 1 and shop.admin_get(f"products/{doc['id']}").json() == doc


def test_a_variant_may_change_the_case_of_its_own_sku_or_take_a_dropped_variants(shop: LiveShop) -> None:
    first, second = _upper_sku(), _upper_sku()
    doc = _product(shop, first, second)
    a = doc["variants"][0]
    body = {"variants": [{"id": a["id"], "sku": first.lower()}]}
    resp = shop.admin_patch(f"products/{doc['id']}", json=body)
    assert resp.status_code == 200, resp.text
    assert [v["sku"] for v in resp.json()["variants"]] == [first.lower()]  # b dropped, a in lower case
    resp = shop.admin_post("products", json=product_body(variants=[{"sku": second.lower(), "price": 1}]))
    assert resp.status_code == 201, resp.text  # b's SKU left with b


def test_skus_differing_in_a_non_ascii_letter_are_distinct_as_on_the_tills(shop: LiveShop) -> None:
    # SQLite's NOCASE folds ASCII letters only: a till tells "É" from "é", so the shop does too.
    tail = uuid.uuid4().hex[:8].upper()
    _product(shop, f"CAFÉ-{tail}")
    resp = shop.admin_post("products", json=product_body(variants=[{"sku": f"CAFé-{tail}", "price": 1}]))
    assert resp.status_code == 201, resp.text


def test_a_new_products_variant_sent_with_an_id_is_checked_as_new(shop: LiveShop) -> None:
    sku = _upper_sku()
    _product(shop, sku)
    variants = [{"id": "whatever", "sku": sku.lower(), "price": 1}]
    _refused(shop, shop.admin_post("products", json=product_body(variants=variants)), "letter case")
    variants = [{"id": "whatever", "sku": unique_sku(), "price": 1}]
    created = shop.admin_post("products", json=product_body(variants=variants))
    assert created.status_code == 201 and created.json()["variants"][0]["id"] != "whatever"
