"""A re-snapshot of a populated replica that stops after a committed chunk: the till says what it
kept (never "nothing was changed"), and the next run resumes and ends identical to the shop.

The shop is a real HTTP server on 127.0.0.1 answering crafted bytes; the replica is a real SQLite
file whose snapshot loader commits every 20,000 documents (or stages a re-snapshot until it is whole),
so the re-snapshot sends 45,000 small customer documents and stops after 42,000 of them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from pos.store.database import open_replica
from pos.store.replica import SqliteReplica
from sync.connectors.countertop import CountertopConnector
from sync.engine import SyncEngine
from sync.events import EventBus, ProblemReported, SyncEvent
from sync.ports import ProtocolError
from sync.protocol import ENTITIES, NDJSON_MEDIA_TYPE
from tests.sync.crafted_shop import CURSOR, Answer, CraftedShop, ScriptedShop, json_answer, snapshot_lines
from tests.sync.replica_dump import replica_docs

NEW_CUSTOMERS = 45_000
CUT_AFTER = 42_000


def customer_doc(key: str, *, version: int = 1) -> dict:
    return {
        "id": key,
        "version": version,
        "name": f"Customer {key}",
        "email": None,
        "phone": None,
        "loyalty_code": None,
        "updated_at": "2025-01-01T00:00:00Z",
    }


@pytest.fixture
def shop() -> Iterator[ScriptedShop]:
    server = CraftedShop().start()
    shop = ScriptedShop(server)
    shop.docs["customer"] = [customer_doc(f"old-{n}") for n in range(3)]
    yield shop
    server.stop()


@pytest.fixture
def replica_path(tmp_path: Path) -> Path:
    return tmp_path / "replica.sqlite3"


def _engine(shop: ScriptedShop, path: Path, events: list[SyncEvent]) -> tuple[SyncEngine, list]:
    db = open_replica(path)
    connector = CountertopConnector(shop.server.url, "crafted-token")
    bus = EventBus()
    bus.subscribe(events.append)
    return SyncEngine(SqliteReplica(db), connector, bus, page_size=100), [connector.close, db.dispose]


def _customers(path: Path) -> set[str]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {row[0] for row in con.execute("SELECT id FROM customer")}
    finally:
        con.close()


def test_a_cut_resnapshot_reports_what_it_kept_and_the_next_run_ends_identical(
    shop: ScriptedShop, replica_path: Path
) -> None:
    events: list[SyncEvent] = []
    engine, cleanups = _engine(shop, replica_path, events)
    try:
        engine.pull_once()
        assert _customers(replica_path) == {"old-0", "old-1", "old-2"}

        # The shop forgets the till's cursor (410) and now holds 45,000 other customers.
        shop.docs["customer"] = [customer_doc(f"new-{n:05d}", version=2) for n in range(NEW_CUSTOMERS)]
        lines = snapshot_lines("customer", shop.docs["customer"], cursor=CURSOR)
        cut = lines[: 1 + CUT_AFTER]  # the header and 42,000 documents, then the stream ends
        shop.snapshot_override["customer"] = Answer(
            200, b"".join(_line(v) for v in cut), {"Content-Type": NDJSON_MEDIA_TYPE}
        )
        shop.pages = [json_answer({"title": "Gone", "status": 410}, status=410)]
        with pytest.raises(ProtocolError) as caught:
            engine.pull_once()

        message = str(caught.value)
        assert message.startswith(
            "The shop's catalog download was cut short at 40,000 of 45,000 customer records "
            "(part 6 of 7); the till keeps what it has and will resume."
        )
        assert "cut short after 42000 of 45000" in message  # the connector's own finding
        assert "nothing was changed" not in message
        problem = [e for e in events if isinstance(e, ProblemReported)][-1]
        assert (problem.kind, problem.message) == ("snapshot", message)
        assert engine.replica.sync_state().last_error == message
        kept = _customers(replica_path)
        # What the till keeps: its old rows, plus whatever chunks of the new snapshot the replica
        # committed (none if it stages a re-snapshot, the first 20,000 if it loads in place).
        assert {"old-0", "old-1", "old-2"} <= kept
        assert kept - {"old-0", "old-1", "old-2"} <= {f"new-{n:05d}" for n in range(20_000)}

        del shop.snapshot_override["customer"]
        report = engine.pull_once()
        assert set(report.snapshot) == {"customer", "order"}  # resumed where it stopped
        docs = replica_docs(replica_path)
        for entity in ENTITIES:
            assert docs[entity] == {d["id"]: d for d in shop.docs[entity]}, entity
        assert engine.replica.sync_state().last_error is None
    finally:
        for cleanup in cleanups:
            cleanup()


def _line(value: object) -> bytes:
    return orjson.dumps(value) + b"\n"
