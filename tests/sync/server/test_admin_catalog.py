"""Admin API for the catalog: every write lands in the change log as the document GET returns."""

from __future__ import annotations

from sync.protocol import DOC_VALIDATORS, PROBLEM_MEDIA_TYPE
from tests.fixtures.shop_server import LiveShop
from tests.sync.server.helpers import all_changes, head, new_barcode, product_body, unique_sku


def _last_change(shop: LiveShop, since: int) -> dict:
    return all_changes(shop, since=since)[-1]


def test_created_product_is_logged_once_as_the_document_get_returns(shop: LiveShop) -> None:
    before = head(shop)
    created = shop.admin_post("products", json=product_body())
    assert created.status_code == 201
    doc = created.json()
    DOC_VALIDATORS["product"].validate_python(doc)
    assert doc["version"] == 1 and [v["price"] for v in doc["variants"]] == [899, 2999]
    [change] = all_changes(shop, since=before)
    assert change == {
        "seq": before + 1,
        "entity": "product",
        "id": doc["id"],
        "op": "upsert",
        "version": 1,
        "data": doc,
    }
    assert shop.admin_get(f"products/{doc['id']}").json() == doc


def test_patch_changes_only_given_fields_and_bumps_the_version(shop: LiveShop) -> None:
    doc = shop.admin_post("products", json=product_body()).json()
    before = head(shop)
    changed = shop.admin_patch(f"products/{doc['id']}", json={"title": "Decaf Espresso Beans"}).json()
    assert changed["title"] == "Decaf Espresso Beans" and changed["version"] == 2
    assert changed["variants"] == doc["variants"] and changed["category"] == doc["category"]
    assert _last_change(shop, before)["data"] == changed


def test_variants_list_in_patch_replaces_the_set_keeping_given_ids(shop: LiveShop) -> None:
    doc = shop.admin_post("products", json=product_body()).json()
    keep, drop = doc["variants"]
    loc = shop.admin_get("locations").json()[0]["id"]
    stock = {"variant_id": drop["id"], "location_id": loc, "delta": 5, "reason": "received"}
    level = shop.admin_post("stock/adjust", json=stock).json()["level"]
    before = head(shop)
    body = {
        "variants": [{"id": keep["id"], "price": 949}, {"sku": unique_sku(), "title": "500 g", "price": 1599}]
    }
    changed = shop.admin_patch(f"products/{doc['id']}", json=body).json()
    ids = [v["id"] for v in changed["variants"]]
    assert ids[0] == keep["id"] and drop["id"] not in ids and len(ids) == 2
    assert changed["variants"][0]["price"] == 949 and changed["variants"][0]["sku"] == keep["sku"]
    tail = all_changes(shop, since=before)
    assert [(c["entity"], c["op"], c["id"]) for c in tail] == [
        ("inventory_level", "delete", level["id"]),
        ("product", "upsert", doc["id"]),
    ]


def test_bad_product_input_is_refused_with_a_clear_problem_and_changes_nothing(shop: LiveShop) -> None:
    taken = shop.admin_post("products", json=product_body()).json()["variants"][0]["sku"]
    good_variant = {"sku": unique_sku(), "price": 100}
    cases = {
        "negative price": (
            {"title": "X", "variants": [{"sku": unique_sku(), "price": -1}]},
            422,
            "greater than",
        ),
        "bad check digit": (
            {"title": "X", "variants": [{**good_variant, "barcode": "4006381333932"}]},
            422,
            "check digit",
        ),
        "letters in barcode": (
            {"title": "X", "variants": [{**good_variant, "barcode": "40063813339AB"}]},
            422,
            "8 to 14 digits",
        ),
        "duplicate SKU": ({"title": "X", "variants": [{"sku": taken, "price": 100}]}, 409, taken),
        "SKU twice": (
            {"title": "X", "variants": [{"sku": "DUP-1", "price": 1}, {"sku": "DUP-1", "price": 2}]},
            409,
            "twice",
        ),
        "unknown tax rate": (
            {"title": "X", "tax_rate_id": "nope", "variants": [good_variant]},
            404,
            "tax rate",
        ),
        "unknown field": ({"title": "X", "colour": "red", "variants": [good_variant]}, 422, "colour"),
        "no variants": ({"title": "X", "variants": []}, 422, "variants"),
        "no title": ({"variants": [good_variant]}, 422, "title"),
        "new variant without price": ({"title": "X", "variants": [{"sku": unique_sku()}]}, 422, "price"),
    }
    before = head(shop)
    for name, (body, status, words) in cases.items():
        resp = shop.admin_post("products", json=body)
        assert resp.status_code == status, (name, resp.text)
        assert resp.headers["Content-Type"] == PROBLEM_MEDIA_TYPE, name
        assert words in resp.json()["detail"], (name, resp.json())
    assert head(shop) == before


def test_bad_patches_are_refused(shop: LiveShop) -> None:
    doc = shop.admin_post("products", json=product_body()).json()
    before = head(shop)
    url = f"products/{doc['id']}"
    assert shop.admin_patch(url, json={"title": None}).status_code == 422
    assert shop.admin_patch(url, json={"variants": [{"id": "not-mine", "price": 1}]}).status_code == 404
    assert shop.admin_patch("products/missing", json={"title": "Y"}).status_code == 404
    assert shop.admin_patch(url, json={"status": "deleted"}).status_code == 422
    assert shop.admin_delete("products/missing").status_code == 404
    assert head(shop) == before
    assert shop.admin_get(url).json() == doc


def test_valid_gs1_barcodes_of_every_length_are_accepted(shop: LiveShop) -> None:
    codes = ["96385074", "036000291452", "4006381333931", "10012345678902", new_barcode()]
    variants = [
        {"sku": unique_sku(), "price": 100, "barcode": c, "title": str(i)} for i, c in enumerate(codes)
    ]
    resp = shop.admin_post("products", json={"title": "Barcode Sampler", "variants": variants})
    assert resp.status_code == 201, resp.text
    assert [v["barcode"] for v in resp.json()["variants"]] == codes


def test_locations_and_tax_rates_crud(shop: LiveShop) -> None:
    before = head(shop)
    loc = shop.admin_post("locations", json={"code": "POPUP", "name": "Pop-up Stand"}).json()
    assert shop.admin_post("locations", json={"code": "POPUP", "name": "Again"}).status_code == 409
    renamed = shop.admin_patch(f"locations/{loc['id']}", json={"name": "Summer Pop-up"}).json()
    assert renamed == {**loc, "name": "Summer Pop-up", "version": 2}
    rate = shop.admin_post("tax-rates", json={"name": "Super reduced", "rate": "2.1"}).json()
    assert rate["rate"] == "2.1"
    assert shop.admin_post("tax-rates", json={"name": "Bad", "rate": "-3"}).status_code == 422
    # Arabic-Indic "20": a tax rate is ASCII digits, as every till and report reads it
    assert shop.admin_post("tax-rates", json={"name": "Bad", "rate": "\u0662\u0660"}).status_code == 422
    assert shop.admin_delete(f"tax-rates/{rate['id']}").status_code == 200
    assert shop.admin_delete(f"locations/{loc['id']}").status_code == 200
    ops = [(c["entity"], c["op"]) for c in all_changes(shop, since=before)]
    assert ops == [
        ("location", "upsert"),
        ("location", "upsert"),
        ("tax_rate", "upsert"),
        ("tax_rate", "delete"),
        ("location", "delete"),
    ]


def test_location_with_stock_and_tax_rate_in_use_cannot_be_deleted(shop: LiveShop) -> None:
    loc = shop.admin_get("locations").json()[0]
    product = shop.admin_get("products?limit=1").json()[0]
    assert shop.admin_delete(f"locations/{loc['id']}").status_code == 409
    resp = shop.admin_delete(f"tax-rates/{product['tax_rate_id']}")
    assert resp.status_code == 409 and "used by" in resp.json()["detail"]


def test_list_pages_with_limit_and_offset(shop: LiveShop) -> None:
    first = shop.admin_get("products?limit=5").json()
    second = shop.admin_get("products?limit=5&offset=5").json()
    assert len(first) == 5 and len(second) == 5 and not {p["id"] for p in first} & {p["id"] for p in second}
    assert shop.admin_get("products?limit=0").status_code == 422
