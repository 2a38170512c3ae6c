"""Deleting a web order: tills get a tombstone; an order not cancelled puts its stock back, once."""

from __future__ import annotations

import threading

import pytest
import requests

from tests.fixtures.shop_server import API, LiveShop
from tests.sync.server.helpers import all_changes, head, level, movements, snapshot
from tests.sync.server.test_order_cancel import _order


@pytest.mark.parametrize("status", ["pending", "paid"])
def test_deleting_an_order_puts_its_stock_back_and_logs_a_tombstone(shop: LiveShop, status: str) -> None:
    order, (a, b), loc = _order(shop)
    if status != "pending":
        assert shop.admin_patch(f"orders/{order['id']}", json={"status": status}).status_code == 200
    assert (level(shop, a, loc), level(shop, b, loc)) == (-3, -1)
    before = head(shop)
    resp = shop.admin_delete(f"orders/{order['id']}")
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"id": order["id"], "deleted": True, "seq": before + 3}
    assert (level(shop, a, loc), level(shop, b, loc)) == (0, 0)
    back = [m for m in movements(shop, source=f"order:{order['number']}") if m[2] > 0]
    assert sorted(back) == sorted([(a, loc, 3, "order deleted"), (b, loc, 1, "order deleted")])
    tail = all_changes(shop, since=before)
    assert [(c["entity"], c["op"]) for c in tail] == [
        ("inventory_level", "upsert"),
        ("inventory_level", "upsert"),
        ("order", "delete"),
    ]
    assert (tail[-1]["id"], tail[-1]["data"], tail[-1]["version"]) == (
        order["id"],
        None,
        order["version"] + 1 + (status != "pending"),
    )
    assert shop.admin_get(f"orders/{order['id']}").status_code == 404
    assert order["id"] not in {d["id"] for d in snapshot(shop, "order")[1]}


def test_deleting_a_cancelled_order_leaves_stock_alone(shop: LiveShop) -> None:
    order, (a, b), loc = _order(shop)
    assert shop.admin_patch(f"orders/{order['id']}", json={"status": "cancelled"}).status_code == 200
    moved = movements(shop, source=f"order:{order['number']}")
    before = head(shop)
    assert shop.admin_delete(f"orders/{order['id']}").status_code == 200
    assert (level(shop, a, loc), level(shop, b, loc)) == (0, 0)
    assert movements(shop, source=f"order:{order['number']}") == moved  # nothing put back twice
    assert [(c["entity"], c["op"]) for c in all_changes(shop, since=before)] == [("order", "delete")]


def test_deleting_twice_or_an_unknown_order_is_404_and_changes_nothing(shop: LiveShop) -> None:
    order, (a, _), loc = _order(shop)
    assert shop.admin_delete(f"orders/{order['id']}").status_code == 200
    before = head(shop)
    for target in (order["id"], "ghost"):
        resp = shop.admin_delete(f"orders/{target}")
        assert resp.status_code == 404, resp.text
        assert resp.headers["content-type"].startswith("application/problem+json")
    assert level(shop, a, loc) == 0 and head(shop) == before


def test_deletes_arriving_together_put_the_stock_back_once(shop: LiveShop) -> None:
    order, (a, b), loc = _order(shop)
    url = f"{shop.url}{API}/admin/orders/{order['id']}"
    barrier = threading.Barrier(5)
    codes: list[int] = []

    def remove() -> None:
        with requests.Session() as s:
            barrier.wait(timeout=30)
            codes.append(s.delete(url, headers=shop.headers(shop.admin_token), timeout=60).status_code)

    threads = [threading.Thread(target=remove) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(codes) == [200, 404, 404, 404, 404]
    assert (level(shop, a, loc), level(shop, b, loc)) == (0, 0)
    back = [m for m in movements(shop, source=f"order:{order['number']}") if m[3] == "order deleted"]
    assert sorted(m[2] for m in back) == [1, 3]


def test_a_till_token_cannot_delete_orders(shop: LiveShop) -> None:
    order, _, _ = _order(shop)
    resp = requests.delete(
        f"{shop.url}{API}/admin/orders/{order['id']}", headers=shop.headers(shop.device_token), timeout=10
    )
    assert resp.status_code in (401, 403)
    assert shop.admin_get(f"orders/{order['id']}").status_code == 200
