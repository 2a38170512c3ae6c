"""SyncEngine with a real SqliteReplica file against a real HTTP peer that sends crafted answers.

What a user would notice: a broken or inconsistent answer never changes the till's data (every row
of the replica file is compared before and after), the problem is recorded and reported, and the
good pages before a bad one stay applied.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest

from pos.store.database import open_replica
from pos.store.replica import SqliteReplica
from sync.connectors.countertop import CountertopConnector
from sync.engine import SyncCancelled, SyncEngine
from sync.events import CaughtUp, ChangesApplied, EventBus, ProblemReported, SnapshotProgress, SyncEvent
from sync.ports import ProtocolError
from sync.protocol import ENTITIES, ShopInfo
from tests.sync.crafted_shop import (
    CURSOR,
    SHOP_INFO,
    Answer,
    ScriptedShop,
    changes_page,
    delete,
    json_answer,
    location_doc,
    ndjson_answer,
    product_doc,
    snapshot_lines,
    upsert,
)
from tests.sync.replica_dump import dump, replica_docs


@pytest.fixture
def replica_path(tmp_path: Path) -> Path:
    return tmp_path / "replica.sqlite3"


@pytest.fixture
def events() -> list[SyncEvent]:
    return []


@pytest.fixture
def engine(shop: ScriptedShop, replica_path: Path, events: list[SyncEvent]) -> Iterator[SyncEngine]:
    db = open_replica(replica_path)
    connector = CountertopConnector(shop.server.url, "crafted-token")
    bus = EventBus()
    bus.subscribe(events.append)
    yield SyncEngine(SqliteReplica(db), connector, bus, page_size=100)
    connector.close()
    db.dispose()


def test_first_pull_loads_every_entity(
    engine: SyncEngine, shop: ScriptedShop, replica_path: Path, events: list
) -> None:
    report = engine.pull_once()
    assert report.snapshot == {e: len(shop.docs[e]) for e in ENTITIES}
    assert report.cursor == CURSOR and report.not_modified
    docs = replica_docs(replica_path)
    assert set(docs["product"]) == {d["id"] for d in shop.docs["product"]}
    assert docs["location"]["loc-1"] == location_doc(1)
    assert [type(e) for e in events][-1] is CaughtUp
    progress = [e for e in events if isinstance(e, SnapshotProgress) and e.entity == "product"]
    assert (progress[-1].done, progress[-1].total, progress[-1].entity_index) == (300, 300, 3)
    state = engine.replica.sync_state()
    assert state.cursor == CURSOR and state.last_error is None and state.last_success_at


def test_a_bad_page_is_refused_whole_and_good_pages_before_it_stay(
    engine: SyncEngine, shop: ScriptedShop, replica_path: Path, events: list
) -> None:
    engine.pull_once()
    first = changes_page([upsert(11, product_doc(1, version=2, price=500))], since=10, head=13)
    first["has_more"] = True
    bad = changes_page([delete(12, product_doc(2)["id"]), upsert(13, product_doc(3, version=2))], since=11)
    bad["changes"][1]["data"]["variants"][0]["price"] = -5  # negative price: fails validation
    shop.pages = [json_answer(first), json_answer(bad)]
    with pytest.raises(ProtocolError, match=r"change seq 13 .*price"):
        engine.pull_once()
    docs = replica_docs(replica_path)
    assert docs["product"][product_doc(1)["id"]]["variants"][0]["price"] == 500  # page 1 applied
    assert product_doc(2)["id"] in docs["product"]  # page 2's delete was not
    state = engine.replica.sync_state()
    assert state.cursor == 11
    assert "price" in state.last_error
    problem = [e for e in events if isinstance(e, ProblemReported)][-1]
    assert problem.kind == "protocol" and "nothing was changed" in problem.message


@pytest.mark.parametrize(
    "answer",
    [
        json_answer(
            changes_page([upsert(12, product_doc(1, version=2)), upsert(11, product_doc(2, version=2))], 10)
        ),
        json_answer({**changes_page([upsert(11, product_doc(1, version=2))], 10), "next": 15, "head": 15}),
        json_answer(changes_page([{**upsert(11, product_doc(1, version=2)), "data": {"id": "x"}}], 10)),
        json_answer(changes_page([upsert(11, {**product_doc(1, version=2), "status": "gone"})], 10)),
        Answer(200, b'{"changes": [', {"Content-Type": "application/json"}),
        Answer(
            200, gzip.compress(b"{}")[:-6], {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        ),
    ],
    ids=[
        "non-increasing-seqs",
        "next-disagrees",
        "data-fails-validation",
        "bad-status",
        "cut-json",
        "cut-gzip",
    ],
)
def test_inconsistent_page_leaves_every_row_unchanged(
    engine: SyncEngine, shop: ScriptedShop, replica_path: Path, answer: Answer
) -> None:
    engine.pull_once()
    before = dump(replica_path)
    shop.pages = [answer]
    with pytest.raises(ProtocolError):
        engine.pull_once()
    assert dump(replica_path) == before
    assert engine.replica.sync_state().last_error


@pytest.mark.parametrize(
    "answer",
    [
        ndjson_answer([], raw=b'{"type":"header","entity":"location","cursor":10,"count":2}\n{"id":"loc-1",'),
        Answer(
            200,
            b"\x1f\x8b\x08\x00garbage-garbage",
            {"Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"},
        ),
        ndjson_answer(snapshot_lines("location", [location_doc(1), {**location_doc(2), "code": None}])),
    ],
    ids=["truncated-ndjson", "gzip-garbage", "invalid-doc"],
)
def test_broken_snapshot_leaves_every_row_unchanged(
    engine: SyncEngine, shop: ScriptedShop, replica_path: Path, answer: Answer
) -> None:
    engine.replica.record_shop(ShopInfo(**SHOP_INFO))  # the pull records it again, unchanged
    before = dump(replica_path)
    shop.snapshot_override["location"] = answer
    with pytest.raises(ProtocolError):
        engine.pull_once()
    assert dump(replica_path) == before
    assert engine.replica.sync_state().last_error


def test_broken_entity_keeps_the_ones_before_and_resumes_after_it(
    engine: SyncEngine, shop: ScriptedShop, replica_path: Path
) -> None:
    shop.snapshot_override["product"] = ndjson_answer(snapshot_lines("product", shop.docs["product"])[:-1])
    with pytest.raises(ProtocolError, match="cut short"):
        engine.pull_once()
    state = engine.replica.sync_state()
    assert state.cursor is None
    assert set(state.snapshot_done) == {"location", "tax_rate", "staff"}
    assert replica_docs(replica_path)["product"] == {}
    del shop.snapshot_override["product"]
    report = engine.pull_once()
    assert set(report.snapshot) == {"product", "inventory_level", "customer", "order"}  # resumed
    assert len(replica_docs(replica_path)["product"]) == 300


def test_cancel_between_batches_leaves_the_entity_not_done(
    engine: SyncEngine, shop: ScriptedShop, replica_path: Path
) -> None:
    shop.docs["product"] = [product_doc(n) for n in range(12_000)]

    def cancel_mid_products(event: SyncEvent) -> None:
        if isinstance(event, SnapshotProgress) and event.entity == "product" and event.done > 0:
            engine.cancel()

    engine.bus.subscribe(cancel_mid_products)
    with pytest.raises(SyncCancelled):
        engine.pull_once()
    assert "product" not in engine.replica.sync_state().snapshot_done
    assert replica_docs(replica_path)["product"] == {}


def test_expired_cursor_loads_a_fresh_snapshot(
    engine: SyncEngine, shop: ScriptedShop, replica_path: Path
) -> None:
    engine.pull_once()
    shop.docs["product"] = shop.docs["product"][:100]  # 200 deleted while the till was away
    shop.pages = [Answer(410, b"", {})]
    report = engine.pull_once()
    assert report.resnapshot and report.snapshot["product"] == 100
    assert len(replica_docs(replica_path)["product"]) == 100


def test_changes_are_applied_and_reported(
    engine: SyncEngine, shop: ScriptedShop, replica_path: Path, events: list
) -> None:
    engine.pull_once()
    gone = product_doc(7)["id"]
    page = changes_page([upsert(11, product_doc(1, version=2, price=123)), delete(12, gone)], since=10)
    shop.pages = [json_answer(page)]
    report = engine.pull_once()
    assert (report.changes_applied, report.cursor, report.head) == (2, 12, 12)
    docs = replica_docs(replica_path)["product"]
    assert gone not in docs and docs[product_doc(1)["id"]]["variants"][0]["price"] == 123
    applied = [e for e in events if isinstance(e, ChangesApplied)][-1]
    assert applied.changes.deleted == {"product": {gone}} and applied.cursor == 12
    # The next poll asks with the new cursor as known head: the shop answers 304.
    assert engine.pull_once().not_modified
    assert shop.requests_to("changes")[-1].headers["If-None-Match"] == '"12"'


def test_shop_restored_from_an_older_backup_is_loaded_afresh(
    engine: SyncEngine, shop: ScriptedShop, replica_path: Path
) -> None:
    engine.pull_once()
    shop.pages = [
        json_answer(
            changes_page([upsert(11, product_doc(1, version=2)), delete(12, "loc-2", entity="location")], 10)
        )
    ]
    engine.pull_once()
    assert engine.replica.sync_state().cursor == 12
    # The shop comes back from a backup taken at seq 10: its head is behind the till's cursor.
    restarted = SyncEngine(engine.replica, engine.connector)
    report = restarted.pull_once()
    assert report.resnapshot and report.cursor == CURSOR
    docs = replica_docs(replica_path)
    assert "loc-2" in docs["location"] and docs["product"][product_doc(1)["id"]]["version"] == 1


def test_prefetching_the_next_entity_loads_the_same(shop: ScriptedShop, replica_path: Path) -> None:
    db = open_replica(replica_path)
    connector = CountertopConnector(shop.server.url, "crafted-token")
    engine = SyncEngine(SqliteReplica(db), connector, prefetch=True)
    try:
        shop.snapshot_override["inventory_level"] = ndjson_answer([], raw=b"")
        with pytest.raises(ProtocolError, match="inventory_level is empty"):
            engine.pull_once()  # product was loaded while inventory_level was already open
        assert set(engine.replica.sync_state().snapshot_done) == {"location", "tax_rate", "staff", "product"}
        del shop.snapshot_override["inventory_level"]
        engine.pull_once()
        assert len(replica_docs(replica_path)["product"]) == 300
    finally:
        connector.close()
        db.dispose()
