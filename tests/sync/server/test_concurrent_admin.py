"""Admin writes arriving at the same moment: none fails, none is lost, the log stays gapless.

Each thread has its own HTTP session and all wait on a barrier, so the requests reach the shop
together; on PostgreSQL they then run in parallel transactions (READ COMMITTED).
"""

from __future__ import annotations

import itertools
import random
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import requests

from tests.fixtures.shop_server import API, LiveShop
from tests.sync.server.helpers import all_changes, head, level, movements, product_body

THREADS = 12


def _together(shop: LiveShop, jobs: list[list[tuple[str, dict[str, Any]]]]) -> list[requests.Response]:
    """Run each job (a list of (path, json) admin POSTs) in its own thread, all starting at once."""
    barrier = threading.Barrier(len(jobs))
    results: list[requests.Response] = []
    lock = threading.Lock()

    def run(job: list[tuple[str, dict[str, Any]]]) -> None:
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {shop.admin_token}"
            barrier.wait(timeout=30)
            for path, body in job:
                resp = session.post(f"{shop.url}{API}/admin/{path}", json=body, timeout=60)
                with lock:
                    results.append(resp)

    _run_threads([lambda job=job: run(job) for job in jobs])
    return results


def _run_threads(targets: list[Callable[[], None]]) -> None:
    errors: list[BaseException] = []

    def guarded(target: Callable[[], None]) -> None:
        try:
            target()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors


def test_web_orders_placed_at_the_same_moment_all_succeed_with_unique_numbers(shop: LiveShop) -> None:
    # A new product: its first orders also race to create the stock level row.
    variant = shop.admin_post("products", json=product_body()).json()["variants"][0]
    loc = min(shop.admin_get("locations").json(), key=lambda x: x["code"])["id"]
    body = {"lines": [{"variant_id": variant["id"], "quantity": 2}]}
    before = head(shop)
    results = _together(shop, [[("orders", body)] for _ in range(THREADS)])
    assert [r.status_code for r in results] == [201] * THREADS, [
        r.text for r in results if r.status_code != 201
    ]
    numbers = sorted(r.json()["number"] for r in results)
    assert len(set(numbers)) == THREADS and all(n.startswith("W-") for n in numbers)
    # Numbers are handed out in the writers' transactions: consecutive, none skipped.
    values = [int(n[2:]) for n in numbers]
    assert values == list(range(values[0], values[0] + THREADS))
    assert level(shop, variant["id"], loc) == -2 * THREADS
    orders_logged = [c for c in all_changes(shop, since=before) if c["entity"] == "order"]
    assert sorted(c["data"]["number"] for c in orders_logged) == numbers


def test_stock_adjustments_at_the_same_moment_add_up_exactly(shop: LiveShop) -> None:
    variants = [v["id"] for v in shop.admin_post("products", json=product_body()).json()["variants"]]
    locations = [x["id"] for x in shop.admin_get("locations").json()][:2]
    pairs = [(v, loc) for v in variants for loc in locations]  # none has a level row yet
    rng = random.Random(11)
    jobs = []
    for i in range(THREADS):
        # Every thread first hits the same level (the insert race), then random ones.
        chosen = [pairs[0]] + [rng.choice(pairs) for _ in range(4)]
        deltas = [rng.choice([-3, -1, 1, 2, 5, 10]) for _ in chosen]
        jobs.append(
            [
                ("stock/adjust", {"variant_id": v, "location_id": loc, "delta": d, "reason": f"t{i}"})
                for (v, loc), d in zip(chosen, deltas, strict=True)
            ]
        )
    before = head(shop)
    results = _together(shop, jobs)
    assert all(r.status_code == 201 for r in results), [r.text for r in results if r.status_code != 201]
    sent: dict[tuple[str, str], list[int]] = defaultdict(list)
    for job in jobs:
        for _, body in job:
            sent[(body["variant_id"], body["location_id"])].append(body["delta"])
    for (v, loc), deltas in sent.items():
        assert level(shop, v, loc) == sum(deltas)
    ledger: dict[tuple[str, str], list[int]] = defaultdict(list)
    for v, loc, delta, _ in movements(shop, variant_ids=variants):
        ledger[(v, loc)].append(delta)
    assert {k: Counter(d) for k, d in ledger.items()} == {k: Counter(d) for k, d in sent.items()}
    _assert_log_replays_the_deltas(shop, before, sent, len(results))


def _assert_log_replays_the_deltas(
    shop: LiveShop, before: int, sent: dict[tuple[str, str], list[int]], writes: int
) -> None:
    """One log entry per write, gapless; per level the logged quantities step by the deltas sent."""
    tail = all_changes(shop, since=before)
    assert [c["seq"] for c in tail] == list(range(before + 1, before + 1 + writes))
    per_level: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for c in tail:
        assert c["entity"] == "inventory_level" and c["op"] == "upsert"
        per_level[(c["data"]["variant_id"], c["data"]["location_id"])].append(c)
    for key, changes in per_level.items():
        assert [c["version"] for c in changes] == list(range(1, len(changes) + 1))
        quantities = [0] + [c["data"]["quantity"] for c in changes]
        steps = [b - a for a, b in itertools.pairwise(quantities)]
        assert Counter(steps) == Counter(sent[key])
