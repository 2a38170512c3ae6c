"""Mutations the shop refuses (rejected) or cannot apply to the current record (conflict) are
parked for a person and never hold up the sales behind them; "send again" and "discard" from the
sync problems list finish the story. All against the real reference shop over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pos.domain.ids import new_id
from pos.services.sync_problems import SyncProblemError, SyncProblems
from pos.store.database import driver_connection
from pos.store.outbox import enqueue
from pos.store.till_file import till_engine
from sync.events import OutboxChanged
from sync.ports import OutboxCounts
from tests.fixtures.sales import Till, record_sale, sale_payload
from tests.fixtures.shop_server import LiveShop
from tests.staffing import as_manager
from tests.sync.push_support import pos_orders, server_stock


@pytest.fixture
def till(live_shop: LiveShop, tmp_path: Path) -> Iterator[Till]:
    one = Till(tmp_path / "till.sqlite3", live_shop.url, live_shop.device_token)
    one.first_pull()
    yield one
    one.close()


def product_of(till: Till, variant_id: str) -> str:
    with driver_connection(till.db) as con:
        return con.execute("SELECT product_id FROM variant WHERE id = ?", (variant_id,)).fetchone()[0]


def enqueue_customer(till: Till, customer_id: str, name: str, base_version: int | None = None) -> str:
    mutation_id = new_id()
    payload = {"id": customer_id, "name": name, "email": None, "phone": "+44 20 7946 0000"}
    payload["loyalty_code"] = None
    with driver_connection(till_engine(till.db)) as con:
        con.execute("BEGIN IMMEDIATE")
        enqueue(
            con, mutation_id=mutation_id, type="customer.upsert", payload=payload, base_version=base_version
        )
        con.execute("COMMIT")
    return mutation_id


def test_a_sale_of_a_deleted_variant_is_parked_and_the_rest_go_through(
    till: Till, live_shop: LiveShop
) -> None:
    gone, kept = till.variants[0], till.variants[5]
    assert product_of(till, gone.id) != product_of(till, kept.id)
    deleted = live_shop.admin_delete(f"products/{product_of(till, gone.id)}")
    assert deleted.status_code == 200, deleted.text
    level = till.level(gone.id)
    _, before = till.sell((kept, 1))
    parked_id, refused = till.sell((gone, 2))
    _, after = till.sell((kept, 1))

    report = till.sync.push_once()

    assert (report.sent, report.applied, report.parked) == (3, 2, 1)
    assert sorted(o["id"] for o in pos_orders(live_shop)) == sorted([before["id"], after["id"]])
    assert till.outbox.counts() == OutboxCounts(waiting=0, parked=1)
    assert [e for e in till.events if isinstance(e, OutboxChanged)][-1] == OutboxChanged(0, 1, 2)
    problems = SyncProblems(till.db, who=as_manager())
    [problem] = problems.list()
    total = f"{refused['total'] // 100}.{refused['total'] % 100:02d} EUR"
    assert (problem.id, problem.type, problem.status) == (parked_id, "sale.create", "rejected")
    assert problem.summary == f"Sale {refused['number']}, 2 items, {total}"
    assert "unknown variant" in problem.reason and gone.sku in problem.reason
    # The goods did leave the shop: the parked sale still counts in the shown stock.
    assert till.shown(gone.id) == level - 2

    # A new sale is not held up by the parked one, and the parked one is not resent by itself.
    _, later = till.sell((kept, 1))
    assert till.sync.push_once().sent == 1
    assert later["id"] in {o["id"] for o in pos_orders(live_shop)}

    problems.discard(parked_id)

    assert problems.list() == [] and problems.counts() == OutboxCounts(1, 0)  # the discard's audit entry
    assert parked_id not in {m for m, _, _ in till.pending()}
    assert till.shown(gone.id) == level
    assert till.sync.push_once().applied == 1  # only the audit entry goes: the shop records who discarded
    assert refused["id"] not in {o["id"] for o in pos_orders(live_shop)}


def test_send_again_after_the_cause_is_fixed_applies_it_with_the_same_id(
    till: Till, live_shop: LiveShop
) -> None:
    """A sale for a customer made on this till reached the shop before the customer did (its
    upsert was behind it in the queue): rejected. Once the customer is there, "send again" works."""
    customer_id = new_id()
    shirt = till.variants[0]
    payload = sale_payload([(shirt, 1)], number=f"{till.code}-000001", location_id=till.location) | {
        "customer_id": customer_id
    }
    till.sold = 1
    sale_mutation = record_sale(till.db, payload)
    enqueue_customer(till, customer_id, "Ada Lovelace")
    stock_before = server_stock(live_shop, shirt.id, till.location)

    first = till.sync.push_once()
    assert (first.applied, first.parked) == (1, 1)
    problems = SyncProblems(till.db, who=as_manager())
    [problem] = problems.list()
    assert problem.id == sale_mutation and "unknown customer" in problem.reason

    nudged: list[bool] = []
    SyncProblems(till.db, nudge=lambda: nudged.append(True), who=as_manager()).send_again(sale_mutation)

    assert nudged == [True]
    # The sale and the audit entry of "send again".
    assert problems.list() == [] and till.outbox.counts() == OutboxCounts(waiting=2, parked=0)
    again = till.sync.push_once()
    assert (again.applied, again.duplicate, again.parked) == (2, 0, 0)
    order = live_shop.admin_get(f"orders/{payload['id']}").json()
    assert order["customer_id"] == customer_id and order["total"] == payload["total"]
    assert server_stock(live_shop, shirt.id, till.location) == stock_before - 1
    till.sync.pull_once()
    assert till.pending() == [] and till.shown(shirt.id) == stock_before - 1


def test_a_stale_customer_edit_is_parked_as_a_conflict_with_the_shops_record(
    till: Till, live_shop: LiveShop
) -> None:
    created = live_shop.admin_post("customers", {"name": "Grace Hopper", "email": "grace@example.com"})
    assert created.status_code == 201, created.text
    customer = created.json()
    changed = live_shop.admin_patch(f"customers/{customer['id']}", {"phone": "+1 555 0100"})
    assert changed.status_code == 200, changed.text
    mutation_id = enqueue_customer(till, customer["id"], "Grace B. Hopper", base_version=customer["version"])

    report = till.sync.push_once()

    assert report.parked == 1
    problems = SyncProblems(till.db, who=as_manager())
    [problem] = problems.list()
    assert (problem.id, problem.status) == (mutation_id, "conflict")
    assert problem.summary == "Customer Grace B. Hopper (+44 20 7946 0000)"
    assert problem.current is not None
    current = (problem.current["phone"], problem.current["version"])
    assert current == ("+1 555 0100", changed.json()["version"])
    # Sent again unchanged, it is judged again and parked again: never a loop, never a lost edit.
    problems.send_again(mutation_id)
    assert till.sync.push_once().parked == 1
    assert [p.id for p in problems.list()] == [mutation_id]


def test_send_again_or_discard_of_something_not_parked_changes_nothing(till: Till) -> None:
    waiting, _ = till.sell((till.variants[0], 1))
    problems = SyncProblems(till.db, who=as_manager())
    for action in (problems.send_again, problems.discard):
        for unknown in (waiting, "no-such-id", ""):
            with pytest.raises(SyncProblemError, match="Nothing was changed"):
                action(unknown)
    assert till.outbox.counts() == OutboxCounts(waiting=1, parked=0)
    assert [m for m, _, _ in till.pending()] == [waiting]
