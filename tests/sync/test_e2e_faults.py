"""Faults with the real shop: wrong address, the shop going away, refused tokens, and the retry loop.

Each fault must come out as its own error class with a message a person can act on, recorded in
the replica's sync state, while every data row of the replica stays exactly as it was.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pos.store.database import open_replica
from pos.store.replica import SqliteReplica
from sync.connectors.countertop import CountertopConnector
from sync.engine import AUTH_RETRY, SyncEngine
from sync.events import CaughtUp, Connected, Disconnected, EventBus, ProblemReported, SyncEvent
from sync.ports import AuthError, ProtocolError, SyncError, TransientError
from tests.fixtures.shop_server import LiveShop, free_port
from tests.sync.replica_dump import dump


@pytest.fixture
def synced(live_shop: LiveShop, tmp_path: Path) -> Iterator[tuple[LiveShop, Path]]:
    """A till file that has caught up with `live_shop` once."""
    path = tmp_path / "till.sqlite3"
    db = open_replica(path)
    connector = CountertopConnector(live_shop.url, live_shop.device_token)
    SyncEngine(SqliteReplica(db), connector).pull_once()
    connector.close()
    db.dispose()
    yield live_shop, path


@pytest.fixture
def engine_on(tmp_path: Path) -> Iterator[Callable[..., tuple[SyncEngine, list[SyncEvent]]]]:
    opened: list[Callable[[], None]] = []

    def make(path: Path, url: str, token: str, **options: object) -> tuple[SyncEngine, list[SyncEvent]]:
        db = open_replica(path)
        connector = CountertopConnector(url, token, timeout=(2, 5))
        events: list[SyncEvent] = []
        bus = EventBus()
        bus.subscribe(events.append)
        opened.extend([db.dispose, connector.close])
        return SyncEngine(SqliteReplica(db), connector, bus, **options), events  # type: ignore[arg-type]

    yield make
    for close in opened:
        close()


def _fails_cleanly(engine: SyncEngine, path: Path, error: type[SyncError], message: str) -> SyncError:
    before = dump(path)
    with pytest.raises(error, match=message) as caught:
        engine.pull_once()
    assert dump(path) == before
    assert engine.replica.sync_state().last_error == str(caught.value)
    return caught.value


def test_wrong_port(synced: tuple[LiveShop, Path], engine_on: Callable) -> None:
    shop, path = synced
    url = f"http://127.0.0.1:{free_port()}"
    engine, events = engine_on(path, url, shop.device_token)
    _fails_cleanly(engine, path, TransientError, f"Shop unreachable: connection refused \\({url}\\)")
    assert isinstance(events[-1], Disconnected)


def test_wrong_path_is_not_a_shop(synced: tuple[LiveShop, Path], engine_on: Callable) -> None:
    shop, path = synced
    engine, events = engine_on(path, f"{shop.url}/shop-typo", shop.device_token)
    _fails_cleanly(engine, path, ProtocolError, "does not look like a Countertop shop")
    assert isinstance(events[-1], ProblemReported) and events[-1].kind == "protocol"


def test_shop_stopped(synced: tuple[LiveShop, Path], engine_on: Callable) -> None:
    shop, path = synced
    shop.stop()
    engine, events = engine_on(path, shop.url, shop.device_token)
    _fails_cleanly(engine, path, TransientError, "Shop unreachable: connection refused")
    assert isinstance(events[-1], Disconnected) and shop.url in events[-1].reason


def test_wrong_token(synced: tuple[LiveShop, Path], engine_on: Callable) -> None:
    shop, path = synced
    engine, events = engine_on(path, shop.url, "not-the-token")
    error = _fails_cleanly(engine, path, AuthError, "refused this till's device token")
    assert "not-the-token" not in str(error)
    assert isinstance(events[-1], ProblemReported) and events[-1].kind == "auth"


def test_revoked_token(synced: tuple[LiveShop, Path], engine_on: Callable) -> None:
    shop, path = synced
    engine, _ = engine_on(path, shop.url, shop.device_token)
    engine.pull_once()  # the token works...
    revoked = shop.admin_delete(f"devices/{shop.device_id}")
    assert revoked.status_code == 200, revoked.text
    _fails_cleanly(engine, path, AuthError, "revoked or wrong")  # ...until a manager revokes it


class RecordingSleep:
    """Stands in for the loop's waits: records each delay and runs the test's step for that wait."""

    def __init__(self, steps: dict[int, Callable[[], None]], stop: threading.Event, last: int) -> None:
        self.delays: list[float] = []
        self.steps = steps
        self.stop = stop
        self.last = last

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        step = self.steps.get(len(self.delays))
        if step is not None:
            step()
        if len(self.delays) >= self.last:
            self.stop.set()


def test_run_backs_off_with_jitter_then_recovers(synced: tuple[LiveShop, Path], engine_on: Callable) -> None:
    shop, path = synced
    stop = threading.Event()
    jitter = iter([0.5, 0.9, 0.25, 1.0, 0.5])
    sleep = RecordingSleep({4: shop.start, 6: shop.stop}, stop, last=7)
    engine, events = engine_on(path, shop.url, shop.device_token, sleep=sleep, random=lambda: next(jitter))
    shop.stop()
    engine.run(stop, interval=2.0)
    # Fails 4 times (ceilings 1, 2, 4, 8 s, times the jitter), the shop is back for pull 5, then the
    # poll interval, then the shop goes again and the backoff starts over from 1 s.
    assert sleep.delays == [0.5, 1.8, 1.0, 8.0, 2.0, 2.0, 0.5]
    kinds = [type(e).__name__ for e in events if isinstance(e, Disconnected | Connected | CaughtUp)]
    assert kinds == ["Disconnected"] * 4 + ["Connected", "CaughtUp", "CaughtUp", "Disconnected"]


def test_backoff_is_capped(engine_on: Callable, tmp_path: Path) -> None:
    engine, _ = engine_on(tmp_path / "till.sqlite3", "http://127.0.0.1:9", "t", random=lambda: 1.0)
    assert [engine.backoff_delay(n) for n in (1, 2, 3, 6, 7, 20, 200)] == [1, 2, 4, 32, 60, 60, 60]


def test_run_waits_long_after_a_refused_token(synced: tuple[LiveShop, Path], engine_on: Callable) -> None:
    shop, path = synced
    stop = threading.Event()
    sleep = RecordingSleep({}, stop, last=2)
    engine, events = engine_on(path, shop.url, "revoked-token", sleep=sleep)
    engine.run(stop)
    assert sleep.delays == [AUTH_RETRY, AUTH_RETRY]
    assert [e.kind for e in events if isinstance(e, ProblemReported)] == ["auth", "auth"]


def wait_for(condition: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_stop_and_cancel_end_run_promptly(synced: tuple[LiveShop, Path], engine_on: Callable) -> None:
    shop, path = synced
    engine, events = engine_on(path, shop.url, shop.device_token)
    stop = threading.Event()
    worker = threading.Thread(target=engine.run, args=(stop, 30.0))
    worker.start()
    wait_for(lambda: any(isinstance(e, CaughtUp) for e in events))
    stop.set()  # the loop is in its 30 s wait
    worker.join(2)
    assert not worker.is_alive()

    engine2, events2 = engine_on(path, shop.url, shop.device_token)
    worker = threading.Thread(target=engine2.run, args=(threading.Event(), 30.0))
    worker.start()
    wait_for(lambda: any(isinstance(e, CaughtUp) for e in events2))
    engine2.cancel()
    worker.join(2)
    assert not worker.is_alive()
