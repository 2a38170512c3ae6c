"""The sync loop with an outbox, against the real reference shop: a checkout's nudge sends the sale
at once, an offline till sends its sales as soon as the shop is back, and stopping stays prompt."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sync.events import CaughtUp, ChangesApplied, OutboxChanged
from sync.ports import OutboxCounts
from tests.fixtures.fault_proxy import FaultProxy, Refuse
from tests.fixtures.shop_server import LiveShop
from tests.sync import push_support
from tests.sync.push_support import PUSH, RecordingSleep, make_till, orders_of


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveShop]:
    yield from push_support.shared_shop(tmp_path_factory)


@pytest.fixture(scope="module")
def receipt_blocks() -> Iterator[int]:
    return push_support.receipt_blocks()


@pytest.fixture
def proxy(shop: LiveShop) -> Iterator[FaultProxy]:
    yield from push_support.fault_proxy(shop)


def wait_for(condition: Callable[[], bool], seconds: float = 10) -> float:
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < seconds, "timed out"
        time.sleep(0.01)
    return time.monotonic() - start


def test_a_nudge_sends_the_sale_at_once_and_pulls_it_back(
    shop: LiveShop, proxy: FaultProxy, tmp_path: Path, receipt_blocks: Iterator[int]
) -> None:
    till = make_till(shop, proxy, tmp_path / "till.sqlite3", receipt_blocks)
    stop = threading.Event()
    worker = threading.Thread(target=till.sync.run, args=(stop, 60.0))
    try:
        worker.start()
        wait_for(lambda: any(isinstance(e, CaughtUp) for e in till.events))
        shirt = till.variants[0]
        level = till.level(shirt.id)
        _, sale = till.sell((shirt, 1))
        pushes = proxy.count(PUSH)

        till.sync.nudge()  # the loop is in its 60 s wait

        wait_for(lambda: till.outbox.counts() == OutboxCounts(0, 0))
        assert orders_of(shop, sale) == [sale["id"]] and proxy.count(PUSH) == pushes + 1
        # The push was followed by a pull that brought the movement back and dropped the delta.
        wait_for(lambda: till.pending() == [])
        assert till.level(shirt.id) == level - 1 == till.shown(shirt.id)

        def last_two() -> list[str]:
            kinds = [type(e).__name__ for e in till.events if isinstance(e, OutboxChanged | ChangesApplied)]
            return kinds[-2:]

        # The pull's event follows its commit (which cleared the pending delta): wait for it.
        wait_for(lambda: last_two() == ["OutboxChanged", "ChangesApplied"])
    finally:
        stop.set()
        worker.join(2)
        till.close()
    assert not worker.is_alive()


def test_stop_ends_the_loop_promptly_with_an_outbox(
    shop: LiveShop, proxy: FaultProxy, tmp_path: Path, receipt_blocks: Iterator[int]
) -> None:
    till = make_till(shop, proxy, tmp_path / "till.sqlite3", receipt_blocks)
    stop = threading.Event()
    worker = threading.Thread(target=till.sync.run, args=(stop, 60.0))
    try:
        worker.start()
        wait_for(lambda: any(isinstance(e, CaughtUp) for e in till.events))
        stop.set()
        worker.join(2)
        assert not worker.is_alive()
    finally:
        stop.set()
        till.close()


def test_an_offline_till_sends_its_sales_as_soon_as_the_shop_is_back(
    shop: LiveShop, proxy: FaultProxy, tmp_path: Path, receipt_blocks: Iterator[int]
) -> None:
    """Both lanes fail while the network is down, each on its own backoff. When the pull gets
    through, the push does not sit out the rest of its longer backoff: it goes at once."""
    stop = threading.Event()
    jitter = iter([0.25, 1.0, 1.0, 0.5, 0.5, 0.5])

    def network(sleep_number: int) -> None:
        if sleep_number == 2:
            proxy.always("", None)  # the network is back

    sleep = RecordingSleep(stop, last=3, step=network)
    options = {"sleep": sleep, "random": lambda: next(jitter)}
    till = make_till(shop, proxy, tmp_path / "till.sqlite3", receipt_blocks, engine_options=options)
    try:
        sales = [till.sell((till.variants[n], 1))[1] for n in range(3)]
        proxy.always("", Refuse())

        till.sync.run(stop, interval=2.0)

        # push fails at 0 (next in 0.25) and 0.25 (next in 2.0); the pull fails at 0 (next in 1.0);
        # at 1.0 the pull gets through, and the push goes at once instead of at 2.25.
        assert sleep.delays == [0.25, 0.75, 2.0]
        assert orders_of(shop, *sales) == sorted(s["id"] for s in sales)
        assert till.outbox.counts() == OutboxCounts(0, 0)
        assert [s.fault for s in proxy.seen if s.path.endswith(PUSH)] == ["Refuse", "Refuse", "Forward"]
    finally:
        till.close()
