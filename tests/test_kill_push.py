"""Kill -9 the till at random points of checkout and push, over and over, against the real shop.

A child app process sells and pushes without pause (1-3 sales, then a push, again and again) and
prints each receipt number the moment checkout returned: that is the cashier seeing "paid". The
test SIGKILLs it after a random delay, so the kill lands inside a checkout's transaction, between a
commit and the push, inside a push the shop is applying, or between the shop's answer and the
outbox settling it; then starts the next one on the same till. After the rounds one clean
`countertop sync --once` must leave the shop with every sale the till committed exactly once
(every receipt the cashier saw among them), the stock down by exactly those sales, and the till's
outbox empty.

    COUNTERTOP_KILL_ROUNDS=200 COUNTERTOP_KILL_SEED=7 .venv/bin/python -m pytest tests/test_kill_push.py
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e_support import (
    connect_till,
    local_sales,
    outbox_size,
    pos_orders,
    rows,
    sell_command,
    sellable,
    selling_location,
    shop_levels,
    shown_stock,
    sold_quantities,
    spawn,
    sync_once,
)
from tests.fixtures.shop_server import LiveShop

ROUNDS = int(os.environ.get("COUNTERTOP_KILL_ROUNDS", "12"))
SEED = int(os.environ.get("COUNTERTOP_KILL_SEED", str(random.randrange(1_000_000))))
MAX_DELAY_S = 0.6  # a round sells and pushes for up to this long before the kill
PRODUCTS = 12
ORDER_FIELDS = ("id", "currency", "location_id", "total", "tax", "lines", "payments")


def _kill_round(data: Path, token: str, codes: list[str], seed: int, delay: float) -> list[str]:
    """One app process, killed `delay` s after it is ready; every line it printed."""
    log = data.parent / f"child-{seed}.log"  # a file, not a pipe: a child is never held up writing it
    with open(log, "w") as err:
        child = spawn(
            "sell-and-push", data, "--seed", str(seed), "--codes", ",".join(codes), token=token,
            stdout=subprocess.PIPE, stderr=err,
        )  # fmt: skip
    try:
        assert child.stdout is not None
        ready = child.stdout.readline()
        assert ready == "ready\n", f"the child did not start: {ready!r}\n{log.read_text()}"
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL, (
        f"the child died by itself ({child.returncode}):\n{log.read_text()}"
    )
    return out.splitlines()


@pytest.mark.timeout(120 + 4 * ROUNDS)  # a round costs about a second; room for a busy machine
def test_kill_9_at_random_points_of_checkout_and_push_loses_and_doubles_nothing(
    shop_factory: Callable[..., LiveShop], tmp_path: Path
) -> None:
    shop = shop_factory(products=PRODUCTS)
    data, token = tmp_path / "till", shop.device_token
    replica = connect_till(data, shop, token)
    location = selling_location(replica)
    items = sellable(replica, 4)
    codes = [items[0][1], items[1][1], items[2][2], items[3][2]]  # two barcodes, two SKUs
    variant_ids = [variant for variant, _, _ in items]
    initial = shop_levels(shop, variant_ids, location)
    rng = random.Random(SEED)
    context = f"COUNTERTOP_KILL_SEED={SEED} COUNTERTOP_KILL_ROUNDS={ROUNDS}"

    paid = [sell_command(data, "--item", codes[0], "--cash", "100000")]
    killed_after: Counter[str] = Counter()
    resent = 0  # mutations a push found already applied: a kill lost the shop's answer
    for round_ in range(ROUNDS):
        lines = _kill_round(data, token, codes, SEED + round_, rng.uniform(0.0, MAX_DELAY_S))
        paid += [line.split()[1] for line in lines if line.startswith("paid ")]
        resent += sum(int(line.split()[2]) for line in lines if line.startswith("pushed "))
        killed_after[(lines or ["ready"])[-1].split()[0]] += 1

    final = sync_once(data, token).stdout
    sent = next((line for line in final.splitlines() if line.startswith("Sent to the shop")), "")
    # Where the kills landed, by the child's last line: "pushing" = inside a push, "paid" = inside
    # or right before a checkout, "pushed" = inside a checkout after a push (shown with -s).
    print(f"{len(paid)} sales shown as paid; killed after: {dict(killed_after)}; {resent} resent and")
    print(f"found applied; the final sync: {sent!r}; {context}")

    sales = local_sales(replica)
    numbers = [sale["number"] for sale in sales]
    assert len(paid) == len(set(paid)), context  # no receipt number was shown twice
    assert set(paid) <= set(numbers), f"sales the cashier saw as paid are gone: {context}"
    orders = pos_orders(shop)
    by_number = {order["number"]: order for order in orders}
    assert len(by_number) == len(orders) == len(sales), f"{killed_after} {context}"  # none doubled
    assert set(by_number) == set(numbers), context  # none lost
    for sale in sales:
        order = by_number[sale["number"]]
        assert {k: order[k] for k in ORDER_FIELDS} == {k: sale[k] for k in ORDER_FIELDS}, context
    sold = sold_quantities(sales)
    expected = {v: initial[v] - sold[v] for v in variant_ids}
    assert shop_levels(shop, variant_ids, location) == expected, context
    assert outbox_size(replica) == 0, context
    assert {v: shown_stock(replica, v, location) for v in variant_ids} == expected, context
    assert rows(replica, "SELECT count(*) FROM pending_stock") == [(0,)], context
