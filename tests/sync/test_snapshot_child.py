"""The app's snapshot runs in a child process (pos.snapshot_child): the replica ends identical to the
shop, progress reaches the parent's bus, a cancel kills the child and a later run resumes, and the
child's failures arrive as the same errors and problems an in-process run gives."""

from __future__ import annotations

import json
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pos import snapshot_child
from pos.snapshot_child import ChildSnapshot
from pos.store.database import head_in_files, open_replica
from pos.store.replica import SqliteReplica
from sync.connectors.countertop import CountertopConnector
from sync.engine import SyncCancelled, SyncEngine
from sync.events import EventBus, ProblemReported, SnapshotProgress, SyncEvent
from sync.ports import AuthError, ProtocolError, SnapshotCut
from sync.protocol import ENTITIES
from tests.fixtures.shop_server import LiveShop
from tests.sync.crafted_shop import ScriptedShop, ndjson_answer, product_doc, snapshot_lines
from tests.sync.replica_dump import assert_same_docs, replica_docs, server_docs


def _engine(path: Path, url: str, token: str, bus: EventBus, *, spare: bool = False) -> SyncEngine:
    db = open_replica(path)
    runner = ChildSnapshot(path, url, token, spare=spare)
    return SyncEngine(SqliteReplica(db), CountertopConnector(url, token), bus, snapshot_runner=runner)


@pytest.fixture
def events() -> Iterator[tuple[EventBus, list[SyncEvent]]]:
    bus, seen = EventBus(), []
    bus.subscribe(seen.append)
    yield bus, seen


@pytest.mark.parametrize("spare", [False, True], ids=["started-when-needed", "spare"])
def test_a_first_sync_in_a_child_ends_identical_to_the_shop(
    tmp_path: Path, live_shop: LiveShop, events, spare: bool
) -> None:
    bus, seen = events
    path = tmp_path / "replica.sqlite3"
    engine = _engine(path, live_shop.url, live_shop.device_token, bus, spare=spare)
    runner = engine._snapshot_runner
    spare_pid = runner._spare[0].pid if spare else None  # type: ignore[union-attr]
    report = engine.pull_once()
    if spare:
        assert runner.last_pid == spare_pid  # the spare ran it, not a child started meanwhile
    assert report.snapshot["product"] == 50 and set(report.snapshot) == set(ENTITIES)
    assert_same_docs(replica_docs(path), server_docs(live_shop.url, live_shop.device_token))
    progressed = {e.entity for e in seen if isinstance(e, SnapshotProgress)}
    assert progressed == set(ENTITIES)  # the child's progress reached this process's bus
    assert engine.replica.sync_state().cursor is not None


def test_a_cancel_kills_the_child_and_the_next_run_resumes(tmp_path: Path, shop_factory, events) -> None:
    bus, _seen = events
    shop = shop_factory(products=3000)
    path = tmp_path / "replica.sqlite3"
    engine = _engine(path, shop.url, shop.device_token, bus)
    started = threading.Event()
    bus.subscribe(lambda e: started.set() if isinstance(e, SnapshotProgress) else None)
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            engine.pull_once()
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    assert started.wait(60)
    engine.cancel()
    worker.join(30)
    assert not worker.is_alive() and isinstance(outcome[0], SyncCancelled)
    kept = set(engine.replica.sync_state().snapshot_done)  # what the killed child finished
    assert kept < set(ENTITIES)

    again = _engine(path, shop.url, shop.device_token, bus)
    report = again.pull_once()
    assert set(report.snapshot) == set(ENTITIES) - kept  # resumed: the finished entities are not loaded again
    assert_same_docs(replica_docs(path), server_docs(shop.url, shop.device_token))


def test_a_refused_token_is_an_auth_problem(tmp_path: Path, live_shop: LiveShop, events) -> None:
    bus, seen = events
    path = tmp_path / "replica.sqlite3"
    db = open_replica(path)
    good = CountertopConnector(live_shop.url, live_shop.device_token)  # the parent's own call succeeds
    engine = SyncEngine(SqliteReplica(db), good, bus,
                        snapshot_runner=ChildSnapshot(path, live_shop.url, "not-a-token"))  # fmt: skip
    with pytest.raises(AuthError):
        engine.pull_once()
    assert [e.kind for e in seen if isinstance(e, ProblemReported)] == ["auth"]
    assert engine.replica.sync_state().cursor is None


def test_a_snapshot_cut_short_in_the_child_is_reported_as_such(
    tmp_path: Path, shop: ScriptedShop, events
) -> None:
    bus, seen = events
    docs = [product_doc(n) for n in range(300)]
    lines = snapshot_lines("product", docs)
    shop.snapshot_override["product"] = ndjson_answer(lines[:-100])  # no trailer, 99 documents short
    path = tmp_path / "replica.sqlite3"
    engine = _engine(path, shop.server.url, "crafted-token", bus)
    with pytest.raises(SnapshotCut, match="product"):
        engine.pull_once()
    assert [e.kind for e in seen if isinstance(e, ProblemReported)] == ["snapshot"]
    state = engine.replica.sync_state()
    assert state.cursor is None and "location" in state.snapshot_done and "product" not in state.snapshot_done


def test_the_child_refuses_a_replica_the_app_never_opened_and_creates_nothing(
    tmp_path: Path, live_shop: LiveShop
) -> None:
    folder = tmp_path / "till"
    folder.mkdir()
    path = folder / "replica.sqlite3"  # the app opens (and migrates) it before any sync: not here
    runner = ChildSnapshot(path, live_shop.url, live_shop.device_token)
    with pytest.raises(ProtocolError, match="was not opened by Countertop before"):
        runner(lambda _event: None, threading.Event())
    assert list(folder.iterdir()) == []
    path.write_bytes(b"")  # a file, but no schema in it
    with pytest.raises(ProtocolError, match="was not opened by Countertop before"):
        runner(lambda _event: None, threading.Event())
    path.unlink()
    open_replica(path).dispose()
    with sqlite3.connect(path) as con:  # as if this code were newer than the app that migrated it
        con.execute("UPDATE alembic_version SET version_num = 'older'")
    head = head_in_files()  # whatever the newest migration is when this runs
    with pytest.raises(ProtocolError, match=rf"has schema version 'older', not '{head}'.*Restart the app"):
        runner(lambda _event: None, threading.Event())
    with sqlite3.connect(path) as con:  # nothing loaded into it
        assert con.execute("SELECT cursor FROM sync_state").fetchall() == [(None,)]
        assert con.execute("SELECT count(*) FROM product").fetchone() == (0,)


def test_an_unused_spare_child_ends_when_closed_and_touches_nothing(
    tmp_path: Path, live_shop: LiveShop
) -> None:
    path = tmp_path / "replica.sqlite3"
    open_replica(path).dispose()
    before = sorted(p.name for p in tmp_path.iterdir())
    runner = ChildSnapshot(path, live_shop.url, live_shop.device_token, spare=True)
    assert runner.has_spare
    child = runner._spare[0]  # type: ignore[index]
    runner.close()
    assert child.returncode is not None and not runner.has_spare
    orphan = ChildSnapshot(path, live_shop.url, live_shop.device_token, spare=True)
    waiting = orphan._spare[0]  # type: ignore[index]
    waiting.stdin.close()  # as when the app dies: its input ends
    assert waiting.wait(20) == 0  # it left by itself, without a word
    orphan.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no scratch file either
    assert SqliteReplica(open_replica(path)).sync_state().cursor is None  # it loaded nothing


def test_the_window_session_loads_snapshots_in_a_child(tmp_path: Path, live_shop: LiveShop) -> None:
    from pos.app import open_shop
    from pos.settings import Settings, ShopConnection

    settings = Settings(tmp_path)
    connection = ShopConnection(live_shop.url, live_shop.device_id, "till", "Shop", "EUR")
    session = open_shop(settings, connection, live_shop.device_token, report=lambda _text: None)
    try:
        assert isinstance(session.sync._snapshot_runner, ChildSnapshot)
        assert session.runner is not None and session.runner.has_spare  # never loaded: started already
        spare = session.runner
        spare_pid = spare._spare[0].pid  # type: ignore[index]
        assert session.sync.pull_once().snapshot["product"] == 50
        assert spare.last_pid == spare_pid and not spare.has_spare  # the spare loaded it
        renewed = session.renew_engine("new-token")._snapshot_runner  # resume, reconnect
        assert isinstance(renewed, ChildSnapshot) and not renewed.has_spare  # it runs at once
        synced_at = session.sync.replica.sync_state().last_success_at
    finally:
        session.close()
    assert session.last_success_at is None  # the window opened on a replica never synced
    again = open_shop(settings, connection, live_shop.device_token, report=lambda _text: None)
    try:  # loaded already: no spare child, and the window shows when it last synced
        assert synced_at and again.last_success_at == synced_at and not again.runner.has_spare  # type: ignore[union-attr]
    finally:
        again.close()


class _SlowStdout:
    """A stdout that lets other threads run between any two writes, as a busy child's may."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        time.sleep(0.0005)
        return len(text)

    def flush(self) -> None:
        pass


def test_the_child_prints_whole_lines_when_several_threads_report(monkeypatch: pytest.MonkeyPatch) -> None:
    # Progress comes from the replica's stager thread while the main thread may report the end: a
    # line cut in two would be lost to the app (it reads one JSON message a line).
    out = _SlowStdout()
    monkeypatch.setattr(sys, "stdout", out)

    def report(thread: int) -> None:
        for done in range(40):
            snapshot_child._say({"progress": [f"entity-{thread}", done]})

    threads = [threading.Thread(target=report, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = "".join(out.parts).splitlines()
    assert len(lines) == 160
    assert sorted(json.loads(line)["progress"][1] for line in lines) == sorted(list(range(40)) * 4)
