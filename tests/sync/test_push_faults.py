"""Push through a fault-injecting proxy in front of the real reference shop: lost answers, 503s,
stalls and broken answers. Whatever the network does, every sale reaches the shop exactly once and
the till's outbox only changes on an answer it could check."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from pos.store.database import read_transaction
from sync.events import Disconnected, ProblemReported
from sync.ports import AuthError, OutboxCounts, ProtocolError, TransientError
from tests.fixtures.fault_proxy import Cut, DropAnswer, Fail, FaultProxy, Forward, Replace, Rewrite, Stall
from tests.fixtures.sales import Till
from tests.fixtures.shop_server import LiveShop
from tests.sync import push_support
from tests.sync.push_support import PUSH, RecordingSleep, make_till, orders_of, server_stock


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveShop]:
    yield from push_support.shared_shop(tmp_path_factory)


@pytest.fixture(scope="module")
def receipt_blocks() -> Iterator[int]:
    return push_support.receipt_blocks()


@pytest.fixture
def proxy(shop: LiveShop) -> Iterator[FaultProxy]:
    yield from push_support.fault_proxy(shop)


@pytest.fixture
def till(shop: LiveShop, proxy: FaultProxy, tmp_path: Path, receipt_blocks: Iterator[int]) -> Iterator[Till]:
    one = make_till(shop, proxy, tmp_path / "till.sqlite3", receipt_blocks)
    yield one
    one.close()


def outbox_rows(till: Till) -> list[tuple]:
    with read_transaction(till.db) as con:
        return [
            *con.execute("SELECT * FROM outbox ORDER BY position").fetchall(),
            *con.execute("SELECT * FROM pending_stock ORDER BY id").fetchall(),
        ]


# --- lost acknowledgements ------------------------------------------------------------------------


@pytest.mark.parametrize("fault", [DropAnswer(), Cut(keep=7), Stall(seconds=5, forward=True)], ids=repr)
def test_a_lost_answer_is_resent_and_the_shop_keeps_one_order(
    till: Till, shop: LiveShop, proxy: FaultProxy, fault: object
) -> None:
    shirt = till.variants[0]
    before = server_stock(shop, shirt.id, till.location)
    mutation_id, sale = till.sell((shirt, 2))
    proxy.plan(PUSH, fault)  # type: ignore[arg-type]

    with pytest.raises(TransientError, match="Shop unreachable"):
        till.sync.push_once()
    # The shop applied it; the till cannot know and keeps it, counting the attempt.
    assert orders_of(shop, sale) == [sale["id"]]
    [item] = till.outbox.next_batch(10)
    assert (item.mutation.id, item.attempts) == (mutation_id, 1)
    assert till.shown(shirt.id) == till.level(shirt.id) - 2

    report = till.sync.push_once()  # the proxy forwards this time

    assert (report.applied, report.duplicate) == (1, 1)
    assert orders_of(shop, sale) == [sale["id"]]
    assert server_stock(shop, shirt.id, till.location) == before - 2
    till.sync.pull_once()
    assert till.pending() == []
    assert till.shown(shirt.id) == till.level(shirt.id) == before - 2


def test_a_pull_between_the_lost_answer_and_the_resend_settles_right(
    till: Till, shop: LiveShop, proxy: FaultProxy
) -> None:
    """The pull brings the shop's movement before the resend tells the till its seq: for that short
    while the sale counts twice (the shown stock is too low, never too high), and the resend's
    `duplicate` drops the delta at once because the cursor has already passed its seq."""
    shirt = till.variants[0]
    before = till.level(shirt.id)
    till.sell((shirt, 1))
    proxy.plan(PUSH, DropAnswer())
    with pytest.raises(TransientError):
        till.sync.push_once()
    till.sync.pull_once()
    assert till.level(shirt.id) == before - 1 and till.shown(shirt.id) == before - 2

    till.sync.push_once()

    assert till.pending() == [] and till.shown(shirt.id) == before - 1


# --- transient faults, retried with backoff -------------------------------------------------------


def test_503s_and_a_stall_are_retried_with_backoff_while_pulls_go_on(
    shop: LiveShop, proxy: FaultProxy, tmp_path: Path, receipt_blocks: Iterator[int]
) -> None:
    stop = threading.Event()
    sleep = RecordingSleep(stop, last=5)
    options = {"sleep": sleep, "random": lambda: 0.5}
    till = make_till(shop, proxy, tmp_path / "till.sqlite3", receipt_blocks, engine_options=options)
    try:
        _, sale = till.sell((till.variants[0], 1))
        proxy.plan(PUSH, Fail(503), Fail(500), Stall(seconds=5))

        till.sync.run(stop, interval=2.0)

        # Push waits 0.5, 1, 2 (ceilings 1, 2, 4 times the jitter) while the pull keeps its 2 s:
        # push fails at 0, 0.5 and 1.5; the pull runs at 0 and 2; the push gets through at 3.5.
        assert sleep.delays == [0.5, 1.0, 0.5, 1.5, 2.0]
        assert [s.fault for s in proxy.seen if s.path.endswith(PUSH)] == ["Fail", "Fail", "Stall", "Forward"]
        assert orders_of(shop, sale) == [sale["id"]]
        assert till.outbox.counts() == OutboxCounts(0, 0)
        assert proxy.count("/sync/changes") >= 3  # pulls went on while pushes failed
        reasons = [e.reason for e in till.events if isinstance(e, Disconnected)]
        assert len(reasons) == 3 and "HTTP 503" in reasons[0] and "HTTP 500" in reasons[1]
        assert "no answer in time" in reasons[2] or "stalled" in reasons[2]
    finally:
        till.close()


def test_a_refused_changes_page_does_not_stop_sales_from_going_out(
    shop: LiveShop, proxy: FaultProxy, tmp_path: Path, receipt_blocks: Iterator[int]
) -> None:
    stop = threading.Event()
    sleep = RecordingSleep(stop, last=3)
    options = {"sleep": sleep, "random": lambda: 0.5}
    till = make_till(shop, proxy, tmp_path / "till.sqlite3", receipt_blocks, engine_options=options)
    try:
        _, first = till.sell((till.variants[0], 1))
        _, second = till.sell((till.variants[1], 1))
        proxy.always("/sync/changes", Replace(b'{"changes": "not a list"}', forward=False))

        till.sync.run(stop, interval=2.0)

        assert orders_of(shop, first, second) == sorted([first["id"], second["id"]])
        assert till.outbox.counts() == OutboxCounts(0, 0)
        assert any(isinstance(e, ProblemReported) and e.kind == "protocol" for e in till.events)
    finally:
        till.close()


# --- broken answers: refused whole, the outbox exactly as it was ----------------------------------


def _drop_last(body: bytes) -> bytes:
    answer = orjson.loads(body)
    answer["results"] = answer["results"][:-1]
    return orjson.dumps(answer)


def _swap_first_two(body: bytes) -> bytes:
    answer = orjson.loads(body)
    answer["results"][:2] = answer["results"][1::-1]
    return orjson.dumps(answer)


def _other_id(body: bytes) -> bytes:
    answer = orjson.loads(body)
    answer["results"][0]["id"] = "01234567-0000-7000-8000-000000000000"
    return orjson.dumps(answer)


def _unknown_status(body: bytes) -> bytes:
    answer = orjson.loads(body)
    answer["results"][0]["status"] = "maybe"
    return orjson.dumps(answer)


BROKEN = {
    "not JSON": (Replace(b"<html>oops</html>"), "malformed"),
    "truncated JSON": (Replace(b'{"results": [{"id": '), "malformed"),
    "HTML content type": (Replace(b"<html></html>", content_type="text/html"), "not application/json"),
    "not applied, garbage": (Replace(b"[]", forward=False), "malformed"),
    "one result missing": (Rewrite(_drop_last), "2 results to a push of 3"),
    "results out of order": (Rewrite(_swap_first_two), "result 1 .* is for mutation"),
    "a result for another id": (Rewrite(_other_id), "result 1 .* is for mutation '01234567"),
    "an unknown status": (Rewrite(_unknown_status), "malformed"),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_a_broken_answer_to_a_push_changes_nothing_and_the_resend_settles(
    till: Till, shop: LiveShop, proxy: FaultProxy, name: str
) -> None:
    fault, message = BROKEN[name]
    sales = [till.sell((till.variants[n], 1))[1] for n in range(3)]
    before = outbox_rows(till)
    proxy.plan(PUSH, fault)

    with pytest.raises(ProtocolError, match=message):
        till.sync.push_once()

    assert outbox_rows(till) == before
    problems = [e for e in till.events if isinstance(e, ProblemReported)]
    assert problems[-1].kind == "protocol" and "will be sent again" in problems[-1].message
    report = till.sync.push_once()
    assert report.applied == 3
    assert orders_of(shop, *sales) == sorted(s["id"] for s in sales)
    assert till.outbox.counts() == OutboxCounts(0, 0)


def test_a_revoked_token_keeps_the_outbox_as_it_was(live_shop: LiveShop, tmp_path: Path) -> None:
    till = Till(tmp_path / "till.sqlite3", live_shop.url, live_shop.device_token)
    try:
        till.first_pull()
        _, sale = till.sell((till.variants[0], 1))
        before = outbox_rows(till)
        assert live_shop.admin_delete(f"devices/{live_shop.device_id}").status_code == 200

        with pytest.raises(AuthError, match="revoked or wrong"):
            till.sync.push_once()

        assert outbox_rows(till) == before
        assert orders_of(live_shop, sale) == []
        assert isinstance(till.events[-1], ProblemReported) and till.events[-1].kind == "auth"
    finally:
        till.close()


def test_forward_is_the_default(till: Till, proxy: FaultProxy) -> None:
    proxy.plan(PUSH, Forward())
    till.sell((till.variants[0], 1))
    assert till.sync.push_once().applied == 1
