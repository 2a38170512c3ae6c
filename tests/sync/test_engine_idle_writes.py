"""An idle till does not write its replica on every poll.

Each poll that finds nothing new (304) still reports CaughtUp with its time, but the time is written
to the replica file at most once a minute, or at once when a pull changed data or cleared a problem.
Writes are counted with `PRAGMA data_version` on a second connection to the file: it changes when,
and only when, another connection committed. The shop is the real reference shop over HTTP.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from pos.store.database import open_replica
from pos.store.replica import SqliteReplica
from sync.connectors.countertop import CountertopConnector
from sync.engine import SUCCESS_PERSIST_INTERVAL, SyncEngine
from sync.events import CaughtUp, EventBus, SyncEvent
from sync.ports import TransientError
from tests.fixtures.shop_server import LiveShop


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Watcher:
    """A second connection to the replica file that sees whether anyone committed since last asked."""

    def __init__(self, path: Path) -> None:
        self._con = sqlite3.connect(path)
        self._last = self._version()

    def _version(self) -> int:
        return self._con.execute("PRAGMA data_version").fetchone()[0]

    def wrote(self) -> bool:
        version = self._version()
        changed, self._last = version != self._last, version
        return changed

    def close(self) -> None:
        self._con.close()


@pytest.fixture
def shop(shop_factory) -> LiveShop:  # type: ignore[no-untyped-def]
    return shop_factory(products=5)


@pytest.fixture
def till(shop: LiveShop, tmp_path: Path) -> Iterator[tuple[SyncEngine, Path, Clock, list[SyncEvent]]]:
    path = tmp_path / "replica.sqlite3"
    db = open_replica(path)
    connector = CountertopConnector(shop.url, shop.device_token)
    events: list[SyncEvent] = []
    bus = EventBus()
    bus.subscribe(events.append)
    clock = Clock()
    yield SyncEngine(SqliteReplica(db), connector, bus, clock=clock), path, clock, events
    connector.close()
    db.dispose()


def _idle_poll(engine: SyncEngine, clock: Clock, events: list[SyncEvent], seconds: float = 2.0) -> str:
    clock.now += seconds
    report = engine.pull_once()
    assert report.not_modified and not report.changed
    caught_up = events[-1]
    assert isinstance(caught_up, CaughtUp)
    return caught_up.at


def test_idle_polls_write_nothing_until_the_minute_is_up(till, shop: LiveShop) -> None:  # type: ignore[no-untyped-def]
    engine, path, clock, events = till
    engine.pull_once()  # the first sync
    first_success = engine.replica.sync_state().last_success_at
    watcher = Watcher(path)
    try:
        times = [_idle_poll(engine, clock, events) for _ in range(10)]
        assert not watcher.wrote()  # ten polls, 20 seconds: not one commit
        assert times == sorted(times) and times[0] >= first_success  # each reported its time
        assert engine.replica.sync_state().last_success_at == first_success

        at = _idle_poll(engine, clock, events, seconds=SUCCESS_PERSIST_INTERVAL)
        assert watcher.wrote()  # a minute on, the time of the last success is stored
        assert engine.replica.sync_state().last_success_at == at
        _idle_poll(engine, clock, events)
        assert not watcher.wrote()
    finally:
        watcher.close()


def test_a_pull_that_changes_data_or_clears_a_problem_writes_at_once(till, shop: LiveShop) -> None:  # type: ignore[no-untyped-def]
    engine, path, clock, events = till
    engine.pull_once()
    _idle_poll(engine, clock, events)
    watcher = Watcher(path)
    try:
        product = shop.admin_get("products?limit=1").json()[0]
        assert shop.admin_patch(f"products/{product['id']}", json={"title": "Renamed"}).status_code == 200
        clock.now += 2
        report = engine.pull_once()
        assert report.changed and watcher.wrote()
        assert engine.replica.sync_state().last_success_at == events[-1].at

        shop.stop()
        clock.now += 2
        with pytest.raises(TransientError):
            engine.pull_once()
        assert watcher.wrote() and engine.replica.sync_state().last_error
        shop.start()
        at = _idle_poll(engine, clock, events)  # nothing new, but the problem is over
        assert watcher.wrote()
        state = engine.replica.sync_state()
        assert state.last_error is None and state.last_success_at == at
    finally:
        watcher.close()
