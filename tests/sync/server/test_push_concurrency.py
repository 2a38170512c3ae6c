"""Pushes racing each other (a till resending while its first attempt is still being applied, two
tills with a clash): still exactly one order, one stock movement, one winner. The live server runs
the requests on its worker threads; on PostgreSQL the transactions really overlap."""

from __future__ import annotations

import itertools
import threading
from typing import Any

import pytest
import requests

from tests.fixtures.shop_server import LiveShop
from tests.sync.server.helpers import all_changes, head, movements
from tests.sync.server.push_helpers import (
    ShopCatalog,
    levels,
    make_return,
    make_sale,
    mutation,
    order,
    push_ok,
    row_counts,
)

THREADS = 4
ROUNDS = 6


@pytest.fixture(scope="module")
def catalog(shop: LiveShop) -> ShopCatalog:
    return ShopCatalog.read(shop)


def _race(shop: LiveShop, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Send each body from its own thread and connection, released together; the first result of each."""
    barrier = threading.Barrier(len(bodies))
    out: list[Any] = [None] * len(bodies)

    def send(i: int) -> None:
        with requests.Session() as session:
            barrier.wait()
            response = session.post(
                f"{shop.url}/api/v1/sync/push", json=bodies[i], headers=shop.headers(), timeout=60
            )
            out[i] = (response.status_code, response.json())

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    assert all(status == 200 for status, _ in out), out
    return [body["results"][0] for _, body in out]


def _body(shop: LiveShop, m: dict[str, Any]) -> dict[str, Any]:
    return {"device_id": shop.device_id, "mutations": [m]}


def test_the_same_mutation_pushed_at_once_from_several_threads_is_applied_once(
    shop: LiveShop, catalog: ShopCatalog
) -> None:
    variant = catalog.variants[0]
    location_id = catalog.location_ids[0]
    start = levels(shop, [variant["id"]], location_id)[variant["id"]]
    for _ in range(ROUNDS):
        sale = make_sale(catalog, [(variant, 1), (catalog.variants[1], 2)])
        m = mutation("sale.create", sale)
        results = _race(shop, [_body(shop, m)] * THREADS)
        statuses = sorted(r["status"] for r in results)
        assert statuses == ["applied"] + ["duplicate"] * (THREADS - 1), results
        assert len({r["seq"] for r in results}) == 1
        assert order(shop, sale["id"]).json()["number"] == sale["number"]
        assert len(movements(shop, f"order:{sale['number']}")) == 2
    assert levels(shop, [variant["id"]], location_id)[variant["id"]] == start - ROUNDS


def test_two_sales_racing_for_one_receipt_number_one_wins_the_other_is_rejected(
    shop: LiveShop, catalog: ShopCatalog
) -> None:
    for _ in range(ROUNDS):
        a = make_sale(catalog, [(catalog.variants[2], 1)])
        b = make_sale(catalog, [(catalog.variants[3], 1)], number=a["number"])
        results = _race(shop, [_body(shop, mutation("sale.create", s)) for s in (a, b)])
        assert sorted(r["status"] for r in results) == ["applied", "rejected"], results
        [loser] = [r for r in results if r["status"] == "rejected"]
        assert f"receipt number {a['number']} is already used" in loser["reason"]


def test_returns_racing_on_one_order_never_return_more_than_was_sold(
    shop: LiveShop, catalog: ShopCatalog
) -> None:
    for _ in range(ROUNDS):
        sale = make_sale(catalog, [(catalog.variants[4], 3)])
        push_ok(shop, mutation("sale.create", sale))
        bodies = [_body(shop, mutation("return.create", make_return(sale, {0: 2}))) for _ in range(2)]
        results = _race(shop, bodies)
        assert sorted(r["status"] for r in results) == ["applied", "rejected"], results
        got = order(shop, sale["id"]).json()
        assert [sum(ln["quantity"] for ln in r["lines"]) for r in got["returns"]] == [2]


def test_a_resent_batch_after_a_lost_answer_writes_nothing_new(shop: LiveShop, catalog: ShopCatalog) -> None:
    batch = [mutation("sale.create", make_sale(catalog, [(catalog.variants[5 + i], 1)])) for i in range(5)]
    first = push_ok(shop, *batch)
    counts = row_counts(shop)
    again = push_ok(shop, *batch)
    assert [r["status"] for r in again] == ["duplicate"] * 5
    assert [r["seq"] for r in again] == [r["seq"] for r in first]
    assert row_counts(shop) == counts


def test_batches_and_admin_adjustments_on_the_same_stock_at_once_all_land_and_log_in_order(
    shop: LiveShop, catalog: ShopCatalog
) -> None:
    """Two tills push batches over the same variants in opposite orders while an admin adjusts them:
    a batch holds its write lock from its first sale to its commit, so this is where writers taking
    locks in different orders would deadlock. All must land, and the log must read as one history."""
    for _ in range(3):
        _sell_and_adjust_at_once(shop, catalog, catalog.variants[20:23])


def _sell_and_adjust_at_once(shop: LiveShop, catalog: ShopCatalog, shared: list[dict[str, Any]]) -> None:
    location_id = catalog.location_ids[0]
    ids = [v["id"] for v in shared]
    start = {v: q or 0 for v, q in levels(shop, ids, location_id).items()}
    since = head(shop)
    forward = [make_sale(catalog, [(v, 1) for v in shared]) for _ in range(10)]
    backward = [make_sale(catalog, [(v, 2) for v in reversed(shared)]) for _ in range(10)]
    bodies = [
        _body_of(shop, [mutation("sale.create", s) for s in forward]),
        _body_of(shop, [mutation("sale.create", s) for s in backward]),
    ]
    adjust = [
        {"variant_id": v, "location_id": location_id, "delta": 5, "reason": "count"} for v in reversed(ids)
    ]
    out: list[Any] = []
    barrier = threading.Barrier(3)

    def till(body: dict[str, Any]) -> None:
        with requests.Session() as session:
            barrier.wait()
            resp = session.post(f"{shop.url}/api/v1/sync/push", json=body, headers=shop.headers(), timeout=60)
            out.append((resp.status_code, [r["status"] for r in resp.json()["results"]]))

    def admin() -> None:
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {shop.admin_token}"
            barrier.wait()
            for body in adjust * 2:
                resp = session.post(f"{shop.url}/api/v1/admin/stock/adjust", json=body, timeout=60)
                out.append((resp.status_code, ["adjusted"]))

    threads = [threading.Thread(target=till, args=(b,)) for b in bodies] + [threading.Thread(target=admin)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)

    assert sorted(out) == sorted([(200, ["applied"] * 10)] * 2 + [(201, ["adjusted"])] * 6), out
    after = levels(shop, ids, location_id)
    assert after == {v: start[v] - 10 - 20 + 10 for v in ids}
    changes = all_changes(shop, since)
    assert [c["seq"] for c in changes] == list(range(since + 1, since + 1 + len(changes)))
    for variant_id in ids:
        logged = [
            c for c in changes if c["entity"] == "inventory_level" and c["data"]["variant_id"] == variant_id
        ]
        steps = [b["data"]["quantity"] - a["data"]["quantity"] for a, b in itertools.pairwise(logged)]
        assert sorted([logged[0]["data"]["quantity"] - start[variant_id], *steps]) == sorted(
            [-1] * 10 + [-2] * 10 + [5] * 2
        )
        assert [c["version"] for c in logged] == list(range(logged[0]["version"], logged[0]["version"] + 22))


def _body_of(shop: LiveShop, mutations: list[dict[str, Any]]) -> dict[str, Any]:
    return {"device_id": shop.device_id, "mutations": mutations}
