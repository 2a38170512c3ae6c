"""SqliteOutbox on a real replica file: order, settling in one transaction, parking, and the pending
stock deltas that keep the shown stock right until the shop's movement is pulled."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from sqlalchemy import Engine

from pos.store.database import driver_connection, read_transaction, write_both_files
from pos.store.outbox import SqliteOutbox, enqueue, forget_reflected, pending_delta, shown_stock
from pos.store.till_file import till_engine
from sync.ports import OutboxCounts
from sync.protocol import MutationResult

SHIRT, MUG, SHOP_FLOOR = "variant-shirt", "variant-mug", "location-1"


def write(engine: Engine, sql: str, *params: Any) -> None:
    """One statement on either file (the test plays the replica's part too)."""
    with write_both_files(engine) as con:
        con.execute(sql, params)


def add(engine: Engine, mutation_id: str, *stock: tuple[str, str, int], type: str = "sale.create") -> int:
    payload = {"id": f"sale-{mutation_id}", "number": f"T1-{mutation_id}", "lines": [], "total": 1250}
    with driver_connection(till_engine(engine)) as con:
        con.execute("BEGIN IMMEDIATE")
        position = enqueue(con, mutation_id=mutation_id, type=type, payload=payload, stock=stock)
        con.execute("COMMIT")
    return position


def set_cursor(engine: Engine, cursor: int | None) -> None:
    write(engine, "UPDATE sync_state SET cursor = ? WHERE id = 1", cursor)


def pending(engine: Engine) -> list[tuple[str, str, int, int | None]]:
    with read_transaction(engine) as con:
        return con.execute(
            "SELECT mutation_id, variant_id, delta, applied_seq FROM pending_stock ORDER BY id"
        ).fetchall()


def shown(engine: Engine, variant_id: str = SHIRT) -> int:
    with read_transaction(engine) as con:
        return shown_stock(con, variant_id, SHOP_FLOOR)


def result(mutation_id: str, status: str, **fields: Any) -> MutationResult:
    return MutationResult(id=mutation_id, status=status, **fields)  # type: ignore[arg-type]


@pytest.fixture
def outbox(engine: Engine) -> SqliteOutbox:
    set_cursor(engine, 100)
    return SqliteOutbox(engine)


def test_batches_come_oldest_first_without_parked_rows(engine: Engine, outbox: SqliteOutbox) -> None:
    positions = [add(engine, f"m{n}") for n in range(5)]
    outbox.settle([result("m1", "rejected", reason="no such variant")])

    batch = outbox.next_batch(3)

    assert [item.mutation.id for item in batch] == ["m0", "m2", "m3"]
    assert [item.position for item in batch] == [positions[0], positions[2], positions[3]]
    assert batch[0].mutation.type == "sale.create" and batch[0].mutation.payload["number"] == "T1-m0"
    assert outbox.counts() == OutboxCounts(waiting=4, parked=1)
    with pytest.raises(ValueError):
        outbox.next_batch(0)


def test_applied_and_duplicate_delete_the_row_and_date_its_deltas(
    engine: Engine, outbox: SqliteOutbox
) -> None:
    add(engine, "m1", (SHIRT, SHOP_FLOOR, -2))
    add(engine, "m2", (SHIRT, SHOP_FLOOR, -1), (MUG, SHOP_FLOOR, -3))
    add(engine, "m3", (MUG, SHOP_FLOOR, -1))

    counts = outbox.settle([result("m1", "applied", seq=120), result("m2", "duplicate", seq=90)])

    assert counts == OutboxCounts(waiting=1, parked=0)
    assert [item.mutation.id for item in outbox.next_batch(10)] == ["m3"]
    # m2 was applied at 90, which the cursor (100) has passed: its deltas are in the pulled levels.
    assert pending(engine) == [("m1", SHIRT, -2, 120), ("m3", MUG, -1, None)]


def test_during_a_snapshot_run_the_levels_own_cursor_decides(engine: Engine, outbox: SqliteOutbox) -> None:
    add(engine, "m1", (SHIRT, SHOP_FLOOR, -2))
    add(engine, "m2", (SHIRT, SHOP_FLOOR, -1))
    add(engine, "m3", (SHIRT, SHOP_FLOOR, -5))
    set_cursor(engine, None)  # a snapshot run is under way, the levels not loaded yet
    outbox.settle([result("m1", "applied", seq=50)])
    write(engine, "INSERT INTO sync_snapshot (entity, cursor) VALUES ('inventory_level', 60)")
    # Levels loaded at 60 include movements logged at 50 and 55, not one logged at 70.
    outbox.settle([result("m2", "applied", seq=55), result("m3", "applied", seq=70)])
    assert pending(engine) == [("m3", SHIRT, -5, 70)]


def test_shown_stock_counts_a_sale_once_from_checkout_to_pull(engine: Engine, outbox: SqliteOutbox) -> None:
    write(
        engine,
        "INSERT INTO inventory_level (id, version, variant_id, location_id, quantity) "
        "VALUES (?, 1, ?, ?, 10)",
        "level-1",
        SHIRT,
        SHOP_FLOOR,
    )
    assert shown(engine) == 10
    add(engine, "m1", (SHIRT, SHOP_FLOOR, -3))
    assert shown(engine) == 7  # sold, not pushed
    outbox.settle([result("m1", "applied", seq=130)])
    assert shown(engine) == 7  # the shop has it at 130; the till has not pulled it yet

    set_cursor(engine, 129)  # a pull up to 129: the shop's movement at 130 is not in the levels
    assert shown(engine) == 7 and forget_reflected(till_engine(engine), 129) == 0

    # The page up to 130 brings the level with the sale in it. The delta stops counting in that
    # same commit of the replica, before anything deletes it from the till file.
    with write_both_files(engine) as con:
        con.execute("UPDATE inventory_level SET quantity = 7, version = 2 WHERE id = 'level-1'")
        con.execute("UPDATE sync_state SET cursor = 130 WHERE id = 1")
    assert shown(engine) == 7 and len(pending(engine)) == 1
    assert forget_reflected(till_engine(engine), 130) == 1
    assert shown(engine) == 7 and pending(engine) == []
    assert shown(engine, "unknown-variant") == 0


def test_conflict_and_rejected_park_with_reason_and_current(engine: Engine, outbox: SqliteOutbox) -> None:
    add(engine, "m1", (SHIRT, SHOP_FLOOR, -1))
    add(engine, "m2", type="customer.upsert")
    current = {"id": "c1", "version": 4, "name": "Ada"}

    counts = outbox.settle(
        [result("m1", "rejected", reason="unknown variant"), result("m2", "conflict", current=current)]
    )

    assert counts == OutboxCounts(waiting=0, parked=2)
    parked = {row.id: row for row in outbox.parked()}
    assert (parked["m1"].status, parked["m1"].reason, parked["m1"].current) == (
        "rejected",
        "unknown variant",
        None,
    )
    assert (parked["m2"].status, parked["m2"].current) == ("conflict", current)
    assert "without a reason" in (parked["m2"].reason or "")
    assert parked["m1"].parked_at.endswith("Z")
    # A parked sale still happened at the till: its delta stays until a person discards it.
    assert pending(engine) == [("m1", SHIRT, -1, None)]
    assert outbox.next_batch(10) == []


def test_results_for_unknown_ids_are_ignored(engine: Engine, outbox: SqliteOutbox) -> None:
    add(engine, "m1", (SHIRT, SHOP_FLOOR, -1))
    counts = outbox.settle(
        [
            result("elsewhere", "applied", seq=500),
            result("ghost", "rejected", reason="x"),
            result("m1", "applied", seq=150),
            result("m1", "duplicate", seq=150),  # the same answer twice changes nothing more
        ]
    )
    assert counts == OutboxCounts(0, 0)
    assert pending(engine) == [("m1", SHIRT, -1, 150)]


def test_settle_is_one_transaction(engine: Engine, outbox: SqliteOutbox) -> None:
    add(engine, "m1", (SHIRT, SHOP_FLOOR, -1))
    add(engine, "m2")
    # A current document that cannot be stored fails the second result after the first was done.
    broken = MutationResult.model_construct(id="m2", status="conflict", current={"x": {1, 2}}, reason=None)

    with pytest.raises(TypeError):
        outbox.settle([result("m1", "applied", seq=150), broken])

    assert [item.mutation.id for item in outbox.next_batch(10)] == ["m1", "m2"]
    assert pending(engine) == [("m1", SHIRT, -1, None)]


def test_failed_attempts_are_counted_on_waiting_rows(engine: Engine, outbox: SqliteOutbox) -> None:
    add(engine, "m1")
    add(engine, "m2")
    outbox.settle([result("m2", "rejected", reason="bad")])
    outbox.record_failure(["m1", "m2"], "Shop unreachable: connection refused " + "x" * 5000)
    outbox.record_failure(["m1"], "Shop unreachable: HTTP 503")

    [item] = outbox.next_batch(10)
    assert item.attempts == 2
    with read_transaction(engine) as con:
        rows = con.execute("SELECT id, attempts, last_error FROM outbox ORDER BY position").fetchall()
    assert rows == [("m1", 2, "Shop unreachable: HTTP 503"), ("m2", 0, None)]


def test_unpark_queues_again_in_the_original_place(engine: Engine, outbox: SqliteOutbox) -> None:
    for n in range(3):
        add(engine, f"m{n}")
    outbox.settle([result("m0", "rejected", reason="bad")])
    assert outbox.get_parked("m0") is not None and outbox.get_parked("m1") is None

    assert outbox.unpark("m0") is True
    assert outbox.unpark("m0") is False  # not parked any more
    assert outbox.unpark("nope") is False
    assert [item.mutation.id for item in outbox.next_batch(10)] == ["m0", "m1", "m2"]
    assert outbox.parked() == []


def test_discard_drops_only_a_parked_row_and_its_deltas(engine: Engine, outbox: SqliteOutbox) -> None:
    add(engine, "m1", (SHIRT, SHOP_FLOOR, -1), (MUG, SHOP_FLOOR, -2))
    add(engine, "m2", (SHIRT, SHOP_FLOOR, -4))
    outbox.settle([result("m1", "rejected", reason="bad")])

    assert outbox.discard("m2") is False  # waiting: it may be on its way to the shop
    assert outbox.discard("m1") is True
    assert outbox.discard("m1") is False

    assert pending(engine) == [("m2", SHIRT, -4, None)]
    assert outbox.counts() == OutboxCounts(waiting=1, parked=0)
    with read_transaction(engine) as con:
        assert pending_delta(con, MUG, SHOP_FLOOR) == 0


def test_enqueue_outside_a_transaction_is_refused_and_writes_nothing(
    engine: Engine, outbox: SqliteOutbox
) -> None:
    till = till_engine(engine)
    with driver_connection(till) as con, pytest.raises(RuntimeError, match="inside the transaction"):
        enqueue(con, mutation_id="m1", type="sale.create", payload={}, stock=[(SHIRT, SHOP_FLOOR, -1)])
    assert outbox.counts() == OutboxCounts(0, 0) and pending(engine) == []


def test_enqueue_skips_zero_deltas_and_refuses_a_reused_id(engine: Engine, outbox: SqliteOutbox) -> None:
    add(engine, "m1", (SHIRT, SHOP_FLOOR, 0), (MUG, SHOP_FLOOR, 2))
    assert pending(engine) == [("m1", MUG, 2, None)]
    with pytest.raises(sqlite3.IntegrityError):
        add(engine, "m1", (SHIRT, SHOP_FLOOR, -1))
    assert outbox.counts() == OutboxCounts(1, 0) and pending(engine) == [("m1", MUG, 2, None)]
