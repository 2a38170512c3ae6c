"""Cancelling a web order puts its stock back, once; a cancelled order stays cancelled."""

from __future__ import annotations

import threading

import requests

from tests.fixtures.shop_server import API, LiveShop
from tests.sync.server.helpers import all_changes, head, level, movements, product_body


def _order(shop: LiveShop) -> tuple[dict, list[str], str]:
    """A web order for 3 of one new variant and 1 of another, taken from the second location."""
    variants = [v["id"] for v in shop.admin_post("products", json=product_body()).json()["variants"]]
    loc = sorted(shop.admin_get("locations").json(), key=lambda x: x["code"])[1]["id"]
    body = {
        "location_id": loc,
        "lines": [{"variant_id": variants[0], "quantity": 3}, {"variant_id": variants[1], "quantity": 1}],
    }
    resp = shop.admin_post("orders", json=body)
    assert resp.status_code == 201, resp.text
    return resp.json(), variants, loc


def test_cancelling_puts_the_stock_back_where_it_was_taken(shop: LiveShop) -> None:
    order, (a, b), loc = _order(shop)
    assert (level(shop, a, loc), level(shop, b, loc)) == (-3, -1)
    before = head(shop)
    resp = shop.admin_patch(f"orders/{order['id']}", json={"status": "cancelled"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "cancelled" and resp.json()["version"] == 2
    assert (level(shop, a, loc), level(shop, b, loc)) == (0, 0)
    source = f"order:{order['number']}"
    assert sorted(movements(shop, source=source)) == sorted(
        [
            (a, loc, -3, "sale"),
            (b, loc, -1, "sale"),
            (a, loc, 3, "order cancelled"),
            (b, loc, 1, "order cancelled"),
        ]
    )
    tail = all_changes(shop, since=before)
    assert [(c["entity"], c["data"].get("quantity", c["data"].get("status"))) for c in tail] == [
        ("inventory_level", 0),
        ("inventory_level", 0),
        ("order", "cancelled"),
    ]


def test_cancelling_twice_puts_the_stock_back_once_and_logs_nothing_more(shop: LiveShop) -> None:
    order, (a, b), loc = _order(shop)
    assert shop.admin_patch(f"orders/{order['id']}", json={"status": "cancelled"}).status_code == 200
    before = head(shop)
    again = shop.admin_patch(f"orders/{order['id']}", json={"status": "cancelled"})
    assert again.status_code == 200 and again.json()["status"] == "cancelled" and again.json()["version"] == 2
    assert (level(shop, a, loc), level(shop, b, loc)) == (0, 0)
    assert len(movements(shop, source=f"order:{order['number']}")) == 4
    assert head(shop) == before


def test_cancels_arriving_together_put_the_stock_back_once(shop: LiveShop) -> None:
    order, (a, b), loc = _order(shop)
    url = f"{shop.url}{API}/admin/orders/{order['id']}"
    barrier = threading.Barrier(6)
    codes: list[int] = []

    def cancel() -> None:
        with requests.Session() as s:
            barrier.wait(timeout=30)
            r = s.patch(url, json={"status": "cancelled"}, headers=shop.headers(shop.admin_token), timeout=60)
            codes.append(r.status_code)

    threads = [threading.Thread(target=cancel) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert codes == [200] * 6
    assert (level(shop, a, loc), level(shop, b, loc)) == (0, 0)
    back = [m for m in movements(shop, source=f"order:{order['number']}") if m[3] == "order cancelled"]
    assert sorted(m[2] for m in back) == [1, 3]


def test_a_cancelled_order_cannot_be_reopened(shop: LiveShop) -> None:
    order, (a, _), loc = _order(shop)
    shop.admin_patch(f"orders/{order['id']}", json={"status": "cancelled"})
    before = head(shop)
    for status in ("pending", "paid", "refunded"):
        resp = shop.admin_patch(f"orders/{order['id']}", json={"status": status})
        assert resp.status_code == 409, resp.text
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert "cancelled" in resp.json()["detail"] and "new order" in resp.json()["detail"]
    assert shop.admin_get(f"orders/{order['id']}").json()["status"] == "cancelled"
    assert level(shop, a, loc) == 0 and head(shop) == before


def test_paying_does_not_touch_stock_and_unknown_order_is_404(shop: LiveShop) -> None:
    order, (a, _), loc = _order(shop)
    assert shop.admin_patch(f"orders/{order['id']}", json={"status": "paid"}).json()["status"] == "paid"
    assert level(shop, a, loc) == -3
    before = head(shop)
    assert shop.admin_patch("orders/ghost", json={"status": "cancelled"}).status_code == 404
    assert head(shop) == before
