"""Shared by the push tests: one reference shop per module behind a fault proxy, tills with unique
receipt numbers, and what the shop holds (orders, stock) read through its admin API.

A module declares the fixtures it wants as thin wrappers (`yield from shared_shop(...)`), so that
pytest sees them defined there.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.fixtures.fault_proxy import FaultProxy
from tests.fixtures.sales import Till
from tests.fixtures.shop_server import LiveShop, make_live_shop

PUSH = "/sync/push"


def shared_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveShop]:
    """One shop for a module (seeding one costs seconds); each test has its own till and proxy
    and looks only at the orders of its own sales."""
    one = make_live_shop(tmp_path_factory.mktemp("shop"), products=50)
    yield one
    one.stop()


def fault_proxy(shop: LiveShop) -> Iterator[FaultProxy]:
    one = FaultProxy(shop.url).start()
    yield one
    one.stop()


def receipt_blocks() -> Iterator[int]:
    """Where each till of a module starts numbering its receipts: unique in the shared shop."""
    return itertools.count(0, 10_000)


def make_till(
    shop: LiveShop, proxy: FaultProxy, path: Path, blocks: Iterator[int], **options: object
) -> Till:
    options.setdefault("timeout", (1.0, 0.5))  # a stalled answer costs half a second
    one = Till(path, proxy.url, shop.device_token, **options)  # type: ignore[arg-type]
    one.sold = next(blocks)
    one.first_pull()
    return one


def orders_of(shop: LiveShop, *sales: dict) -> list[str]:
    """Ids of the shop's orders for these sales (by id or receipt number), sorted."""
    ids, numbers = {s["id"] for s in sales}, {s["number"] for s in sales}
    every = shop.admin_get("orders", params={"limit": 1000}).json()
    return sorted(o["id"] for o in every if o["id"] in ids or o["number"] in numbers)


def pos_orders(shop: LiveShop) -> list[dict]:
    return [o for o in shop.admin_get("orders", params={"limit": 1000}).json() if o["source"] == "pos"]


def server_stock(shop: LiveShop, variant_id: str, location_id: str) -> int:
    levels = shop.admin_get("stock/levels", params={"variant_id": variant_id}).json()
    return sum(level["quantity"] for level in levels if level["location_id"] == location_id)


class RecordingSleep:
    """Stands in for the loop's waits: records each one, runs `step(n)` during the nth, and stops
    the loop after `last`."""

    def __init__(self, stop: threading.Event, last: int, step: Callable[[int], None] | None = None) -> None:
        self.delays: list[float] = []
        self.stop = stop
        self.last = last
        self.step = step

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        if self.step is not None:
            self.step(len(self.delays))
        if len(self.delays) >= self.last:
            self.stop.set()
