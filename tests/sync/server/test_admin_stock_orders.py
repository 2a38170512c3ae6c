"""Admin API: stock ledger, customers, web orders, staff."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from tests.fixtures.shop_server import LiveShop
from tests.sync.server.helpers import all_changes, head, product_body


def _level(shop: LiveShop, variant_id: str, location_id: str) -> int:
    levels = shop.admin_get(f"stock/levels?variant_id={variant_id}").json()
    return next((lv["quantity"] for lv in levels if lv["location_id"] == location_id), 0)


def test_stock_adjust_adds_the_delta_and_logs_the_level(shop: LiveShop) -> None:
    product = shop.admin_get("products?limit=1").json()[0]
    variant_id = product["variants"][0]["id"]
    loc = shop.admin_get("locations").json()[1]["id"]
    start = _level(shop, variant_id, loc)
    before = head(shop)
    for delta in (7, -3):
        body = {"variant_id": variant_id, "location_id": loc, "delta": delta, "reason": "count"}
        assert shop.admin_post("stock/adjust", json=body).status_code == 201
    assert _level(shop, variant_id, loc) == start + 4
    tail = all_changes(shop, since=before)
    assert [c["data"]["quantity"] for c in tail] == [start + 7, start + 4]
    assert tail[1]["version"] == tail[0]["version"] + 1
    # The admin API tells the same version as the changes feed the tills read.
    [listed] = [lv for lv in shop.admin_get(f"stock/levels?variant_id={variant_id}").json()
                if lv["location_id"] == loc]  # fmt: skip
    assert listed["version"] == tail[1]["version"]


def test_stock_adjust_refuses_unknown_ids_and_bad_bodies(shop: LiveShop) -> None:
    loc = shop.admin_get("locations").json()[0]["id"]
    variant_id = shop.admin_get("products?limit=1").json()[0]["variants"][0]["id"]
    before = head(shop)
    unknown_variant = {"variant_id": "nope", "location_id": loc, "delta": 1, "reason": "x"}
    assert shop.admin_post("stock/adjust", json=unknown_variant).status_code == 404
    unknown_location = {"variant_id": variant_id, "location_id": "nope", "delta": 1, "reason": "x"}
    assert shop.admin_post("stock/adjust", json=unknown_location).status_code == 404
    no_reason = {"variant_id": variant_id, "location_id": loc, "delta": 1}
    assert shop.admin_post("stock/adjust", json=no_reason).status_code == 422
    text_delta = {"variant_id": variant_id, "location_id": loc, "delta": "many", "reason": "x"}
    assert shop.admin_post("stock/adjust", json=text_delta).status_code == 422
    assert head(shop) == before


def test_customers_crud(shop: LiveShop) -> None:
    before = head(shop)
    made = shop.admin_post("customers", json={"name": "Ada Lovelace", "email": "ada@example.org"}).json()
    changed = shop.admin_patch(
        f"customers/{made['id']}", json={"phone": "+44 20 7946 0000", "email": None}
    ).json()
    assert changed["phone"] == "+44 20 7946 0000" and changed["email"] is None and changed["version"] == 2
    assert shop.admin_patch(f"customers/{made['id']}", json={"name": None}).status_code == 422
    assert shop.admin_delete(f"customers/{made['id']}").status_code == 200
    assert [(c["op"], c["version"]) for c in all_changes(shop, since=before)] == [
        ("upsert", 1),
        ("upsert", 2),
        ("delete", 3),
    ]


def _expected_tax(gross: int, rate: str) -> int:
    r = Decimal(rate)
    return int((Decimal(gross) * r / (100 + r)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def test_web_order_is_priced_from_the_catalog_with_tax_per_line_and_takes_stock(shop: LiveShop) -> None:
    rates = {r["id"]: r["rate"] for r in shop.admin_get("tax-rates").json()}
    standard = next(i for i, r in rates.items() if r == "20")
    reduced = next(i for i, r in rates.items() if r == "5.5")
    a = shop.admin_post("products", json=product_body(tax_rate_id=standard)).json()["variants"][0]
    b = shop.admin_post("products", json=product_body(tax_rate_id=reduced)).json()["variants"][1]
    loc = min(shop.admin_get("locations").json(), key=lambda x: x["code"])["id"]  # the default: first by code
    customer = shop.admin_post("customers", json={"name": "Web Buyer"}).json()
    body = {
        "customer_id": customer["id"],
        "lines": [{"variant_id": a["id"], "quantity": 3}, {"variant_id": b["id"], "quantity": 1}],
    }
    order = shop.admin_post("orders", json=body)
    assert order.status_code == 201, order.text
    doc = order.json()
    # 3 x 8.99 at 20% incl.: 26.97 gross, tax 4.495 -> 4.50; 29.99 at 5.5% incl.: tax 1.5634 -> 1.56
    assert (
        [ln["tax"] for ln in doc["lines"]]
        == [_expected_tax(2697, "20"), _expected_tax(2999, "5.5")]
        == [450, 156]
    )
    assert doc["total"] == 2697 + 2999 and doc["tax"] == 606 and doc["subtotal"] == doc["total"] - doc["tax"]
    assert doc["source"] == "web" and doc["status"] == "pending" and doc["currency"] == "EUR"
    assert _level(shop, a["id"], loc) == -3 and _level(shop, b["id"], loc) == -1
    paid = shop.admin_patch(f"orders/{doc['id']}", json={"status": "paid"}).json()
    assert paid["status"] == "paid" and paid["version"] == 2
    assert shop.admin_patch(f"orders/{doc['id']}", json={"status": "lost"}).status_code == 422


def test_order_with_unknown_variant_changes_nothing(shop: LiveShop) -> None:
    variant_id = shop.admin_get("products?limit=1").json()[0]["variants"][0]["id"]
    before = head(shop)
    body = {"lines": [{"variant_id": variant_id, "quantity": 1}, {"variant_id": "ghost", "quantity": 1}]}
    resp = shop.admin_post("orders", json=body)
    assert resp.status_code == 404 and "ghost" in resp.json()["detail"]
    assert (
        shop.admin_post("orders", json={"lines": [{"variant_id": variant_id, "quantity": 0}]}).status_code
        == 422
    )
    assert head(shop) == before


def test_staff_pin_is_stored_only_as_a_salted_scrypt_hash(shop: LiveShop) -> None:
    from sync.pin_hash import verify_pin

    made = shop.admin_post("staff", json={"name": "Pat", "role": "cashier", "pin": "4829"}).json()
    # scrypt$N$r$p$salt$hash: the PIN itself is none of the fields (a hex field may contain the
    # digits 4829 by chance, so no substring check).
    fields = made["pin_hash"].split("$")
    assert fields[0] == "scrypt" and len(fields) == 6 and "4829" not in fields
    assert all(len(part) >= 32 for part in fields[4:])
    assert verify_pin("4829", made["pin_hash"]) and not verify_pin("4828", made["pin_hash"])
    again = shop.admin_post("staff", json={"name": "Pat 2", "role": "cashier", "pin": "4829"}).json()
    assert again["pin_hash"] != made["pin_hash"]  # salted
    assert shop.admin_post("staff", json={"name": "Bad", "role": "cashier", "pin": "12"}).status_code == 422
    assert shop.admin_post("staff", json={"name": "Bad", "role": "boss"}).status_code == 422
    off = shop.admin_patch(f"staff/{made['id']}", json={"active": False}).json()
    assert off["active"] is False and off["pin_hash"] == made["pin_hash"]


def _dear_variant(shop: LiveShop, **product: object) -> str:
    body = product_body(**product)
    body["variants"][0]["price"] = 10**12  # the most a price can be
    return shop.admin_post("products", json=body).json()["variants"][0]["id"]


def test_an_order_over_the_protocols_money_cap_is_refused_and_changes_nothing(shop: LiveShop) -> None:
    from sync.protocol import PROBLEM_MEDIA_TYPE

    variant_id = _dear_variant(shop)
    before = head(shop)
    # 10 lines came to 10**18 (over the 10**15 tills accept); 100 lines overflowed SQLite's integer
    for lines in (10, 100):
        body = {"lines": [{"variant_id": variant_id, "quantity": 100_000}] * lines}
        resp = shop.admin_post("orders", json=body)
        assert resp.status_code == 422, resp.text
        assert resp.headers["content-type"] == PROBLEM_MEDIA_TYPE
        assert "more than the 1000000000000000 an order can carry" in resp.json()["detail"]
    assert head(shop) == before
    # Right at the cap is still an order, and every till can read it
    placed = shop.admin_post("orders", json={"lines": [{"variant_id": variant_id, "quantity": 1000}]})
    assert placed.status_code == 201 and placed.json()["total"] <= 10**15


def test_a_long_product_and_variant_title_make_a_line_title_tills_accept(shop: LiveShop) -> None:
    from sync.protocol import DOC_VALIDATORS

    body = product_body(title="P" * 500)
    body["variants"][0]["title"] = "V" * 2000
    variant_id = shop.admin_post("products", json=body).json()["variants"][0]["id"]
    since = head(shop)

    placed = shop.admin_post("orders", json={"lines": [{"variant_id": variant_id, "quantity": 1}]})

    assert placed.status_code == 201, placed.text
    title = placed.json()["lines"][0]["title"]
    assert len(title) == 2000 and title.startswith("P" * 500 + " - VVV") and title.endswith("V\u2026")
    logged = next(c for c in all_changes(shop, since) if c["entity"] == "order")
    DOC_VALIDATORS["order"].validate_python(logged["data"])


def test_a_customer_with_orders_cannot_be_deleted_and_stays_as_it_was(shop: LiveShop) -> None:
    from sync.protocol import PROBLEM_MEDIA_TYPE

    buyer = shop.admin_post("customers", json={"name": "Grace Hopper"}).json()
    variant_id = shop.admin_get("products?limit=1").json()[0]["variants"][0]["id"]
    body = {"lines": [{"variant_id": variant_id, "quantity": 1}], "customer_id": buyer["id"]}
    placed = shop.admin_post("orders", json=body).json()
    before = head(shop)

    refused = shop.admin_delete(f"customers/{buyer['id']}")

    assert refused.status_code == 409 and refused.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert "has 1 order, which keep" in refused.json()["detail"]
    assert shop.admin_get(f"customers/{buyer['id']}").json() == buyer
    assert shop.admin_get(f"orders/{placed['id']}").json()["customer_id"] == buyer["id"]
    assert head(shop) == before
    # Once its orders are gone it can go
    assert shop.admin_delete(f"orders/{placed['id']}").status_code == 200
    assert shop.admin_delete(f"customers/{buyer['id']}").status_code == 200
