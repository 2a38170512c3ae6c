"""Push against the real reference shop over HTTP: sales leave the outbox exactly once, become pos
orders with the till's figures, move the shop's stock, and the till's shown stock never counts a
sale twice or loses it while the shop's movement travels back through a pull."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.events import OutboxChanged
from sync.ports import OutboxCounts
from sync.protocol import MAX_PUSH_BATCH, Mutation
from tests.fixtures.sales import Till
from tests.fixtures.shop_server import LiveShop
from tests.sync.push_support import pos_orders, server_stock


@pytest.fixture
def till(live_shop: LiveShop, tmp_path: Path) -> Iterator[Till]:
    one = Till(tmp_path / "till.sqlite3", live_shop.url, live_shop.device_token)
    one.first_pull()
    yield one
    one.close()


def server_order(shop: LiveShop, order_id: str) -> dict:
    answer = shop.admin_get(f"orders/{order_id}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_sale_becomes_one_pos_order_with_the_tills_figures(till: Till, live_shop: LiveShop) -> None:
    shirt, mug = till.variants[0], till.variants[1]
    before = server_stock(live_shop, shirt.id, till.location)
    _, sale = till.sell((shirt, 3), (mug, 1))

    report = till.sync.push_once()

    assert (report.sent, report.applied, report.duplicate, report.parked) == (1, 1, 0, 0)
    order = server_order(live_shop, sale["id"])
    assert (order["number"], order["source"], order["status"]) == (sale["number"], "pos", "paid")
    assert (order["total"], order["tax"]) == (sale["total"], sale["tax"])
    assert [(ln["variant_id"], ln["quantity"], ln["total"]) for ln in order["lines"]] == [
        (ln["variant_id"], ln["quantity"], ln["total"]) for ln in sale["lines"]
    ]
    assert sum(p["amount"] for p in order["payments"]) == sale["total"]
    assert server_stock(live_shop, shirt.id, till.location) == before - 3
    assert till.outbox.counts() == OutboxCounts(waiting=0, parked=0)
    assert [e for e in till.events if isinstance(e, OutboxChanged)][-1] == OutboxChanged(0, 0, 1)


def test_shown_stock_counts_each_sale_exactly_once_until_and_after_the_pull(
    till: Till, live_shop: LiveShop
) -> None:
    shirt = till.variants[0]
    level = till.level(shirt.id)
    assert till.shown(shirt.id) == level

    mutation_id, _ = till.sell((shirt, 2))
    assert till.shown(shirt.id) == level - 2  # sold here, the shop does not know yet
    assert till.pending() == [(mutation_id, -2, None)]

    till.sync.push_once()
    # The shop applied it at some seq the till has not pulled yet: the delta stays, now with its seq.
    [(_, delta, seq)] = till.pending()
    assert delta == -2 and seq is not None and seq > (till.cursor() or 0)
    assert till.level(shirt.id) == level and till.shown(shirt.id) == level - 2

    till.sync.pull_once()
    # The pulled level shows the sale now, and the delta went in the same transaction.
    assert till.cursor() is not None and till.cursor() >= seq
    assert till.pending() == []
    assert till.level(shirt.id) == level - 2 == server_stock(live_shop, shirt.id, till.location)
    assert till.shown(shirt.id) == level - 2


def test_a_delta_acknowledged_after_the_pull_passed_it_is_dropped_at_once(
    till: Till, live_shop: LiveShop
) -> None:
    """The answer is settled after a pull already brought the shop's movement (a push whose answer
    came late): the delta must go in the settle transaction, or the sale would count twice."""
    shirt = till.variants[0]
    level = till.level(shirt.id)
    mutation_id, _ = till.sell((shirt, 1))
    [item] = till.outbox.next_batch(10)
    results = till.connector.push([item.mutation])  # the shop applies it; the answer is held back
    till.sync.pull_once()  # brings the movement: shown = pulled level + a delta not yet settled
    assert till.level(shirt.id) == level - 1 and till.pending() == [(mutation_id, -1, None)]

    till.outbox.settle(results)

    assert till.pending() == []
    assert till.shown(shirt.id) == level - 1


def test_the_outbox_drains_in_batches_in_the_order_sold(till: Till, live_shop: LiveShop) -> None:
    count = 2 * MAX_PUSH_BATCH + 7
    numbers = [till.sell((till.variants[n % 5], 1))[1]["number"] for n in range(count)]
    cursor = till.cursor()

    report = till.sync.push_once()

    assert (report.batches, report.sent, report.applied) == (3, count, count)
    assert sorted(o["number"] for o in pos_orders(live_shop)) == sorted(numbers)
    # The shop applied them in the order sold: its change log lists the orders in the till's order.
    page = live_shop.sync_get("changes", params={"since": cursor, "limit": 5000}).json()
    assert [c["data"]["number"] for c in page["changes"] if c["entity"] == "order"] == numbers
    changed = [e for e in till.events if isinstance(e, OutboxChanged)]
    assert [e.applied for e in changed] == [MAX_PUSH_BATCH, MAX_PUSH_BATCH, 7]
    assert changed[-1].waiting == 0


def test_resending_an_applied_batch_writes_nothing_new(till: Till, live_shop: LiveShop) -> None:
    for n in range(3):
        till.sell((till.variants[n], 1))
    batch = [item.mutation for item in till.outbox.next_batch(10)]
    first = till.connector.push(batch)
    head = till.connector.shop_info().head

    again = till.connector.push([Mutation.model_validate(m.model_dump()) for m in batch])

    assert [r.status for r in first] == ["applied"] * 3
    assert [(r.status, r.seq) for r in again] == [("duplicate", r.seq) for r in first]
    assert till.connector.shop_info().head == head  # no new change-log entries
    assert len(pos_orders(live_shop)) == 3
