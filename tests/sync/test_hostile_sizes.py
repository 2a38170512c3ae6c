"""A hostile or broken shop cannot exhaust the till's memory with an endless line or a gzip bomb.

Each answer comes from a real HTTP server on 127.0.0.1; the till must refuse it with a clear
message, leave every row of its replica file as it was, and stay within a bounded amount of memory
(Python allocations traced with tracemalloc; the bounds are generous, the failures they catch are
several times larger).
"""

from __future__ import annotations

import gc
import gzip
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from pos.store.database import open_replica
from pos.store.replica import SqliteReplica
from sync.connectors.countertop import CountertopConnector
from sync.engine import SyncEngine
from sync.ports import ProtocolError
from sync.protocol import NDJSON_MEDIA_TYPE, ShopInfo
from tests.sync.crafted_shop import SHOP_INFO, Answer, ScriptedShop
from tests.sync.replica_dump import dump

MB = 1024 * 1024
T = TypeVar("T")


@pytest.fixture
def engine(shop: ScriptedShop, tmp_path: Path) -> Iterator[SyncEngine]:
    db = open_replica(tmp_path / "replica.sqlite3")
    connector = CountertopConnector(shop.server.url, "crafted-token")
    yield SyncEngine(SqliteReplica(db), connector, page_size=100)
    connector.close()
    db.dispose()


def peak_traced(call: Callable[[], T]) -> tuple[T | BaseException, int]:
    """What `call` returned or raised, and the peak of memory allocated meanwhile (bytes)."""
    gc.collect()
    tracemalloc.start()
    try:
        try:
            outcome: T | BaseException = call()
        except BaseException as exc:  # handed back to the test to assert on
            outcome = exc
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return outcome, peak


def _bomb(size: int) -> bytes:
    """One gzip member of `size` spaces: about 1,000 times smaller than what it inflates to."""
    return gzip.compress(b" " * size, compresslevel=9)


def test_a_snapshot_line_without_newline_is_refused(
    engine: SyncEngine, shop: ScriptedShop, tmp_path: Path
) -> None:
    engine.replica.record_shop(ShopInfo(**SHOP_INFO))
    before = dump(tmp_path / "replica.sqlite3")
    header = b'{"type":"header","entity":"location","cursor":10,"count":1}\n'
    body = header + b"x" * (20 * MB)  # a "document" of 20 MB that never ends
    shop.snapshot_override["location"] = Answer(200, body, {"Content-Type": NDJSON_MEDIA_TYPE})
    outcome, peak = peak_traced(engine.pull_once)
    assert peak < 32 * MB, f"peak {peak / MB:.0f} MB"
    assert isinstance(outcome, ProtocolError), outcome
    assert "snapshot of location has a line longer than 4 MB" in str(outcome)
    assert dump(tmp_path / "replica.sqlite3") == before
    assert "longer than 4 MB" in (engine.replica.sync_state().last_error or "")


def test_a_gzip_bomb_snapshot_is_refused_without_inflating(
    engine: SyncEngine, shop: ScriptedShop, tmp_path: Path
) -> None:
    engine.replica.record_shop(ShopInfo(**SHOP_INFO))
    before = dump(tmp_path / "replica.sqlite3")
    bomb = _bomb(200 * MB)
    assert len(bomb) < MB
    shop.snapshot_override["location"] = Answer(
        200, bomb, {"Content-Type": NDJSON_MEDIA_TYPE, "Content-Encoding": "gzip"}
    )
    outcome, peak = peak_traced(engine.pull_once)
    assert peak < 48 * MB, f"peak {peak / MB:.0f} MB"
    assert isinstance(outcome, ProtocolError), outcome
    assert "line longer than 4 MB" in str(outcome)
    assert dump(tmp_path / "replica.sqlite3") == before


def test_a_gzip_bomb_changes_page_is_refused_without_inflating(
    engine: SyncEngine, shop: ScriptedShop, tmp_path: Path
) -> None:
    engine.pull_once()
    before = dump(tmp_path / "replica.sqlite3")
    bomb = _bomb(200 * MB)
    shop.pages = [Answer(200, bomb, {"Content-Type": "application/json", "Content-Encoding": "gzip"})]
    outcome, peak = peak_traced(engine.pull_once)
    assert peak < 100 * MB, f"peak {peak / MB:.0f} MB"
    assert isinstance(outcome, ProtocolError), outcome
    assert "changes page is larger than 64 MB once decompressed" in str(outcome)
    assert dump(tmp_path / "replica.sqlite3") == before
    assert "larger than 64 MB" in (engine.replica.sync_state().last_error or "")


def test_an_endless_uncompressed_changes_page_is_refused(
    engine: SyncEngine, shop: ScriptedShop, tmp_path: Path
) -> None:
    engine.pull_once()
    before = dump(tmp_path / "replica.sqlite3")
    shop.pages = [Answer(200, b" " * (80 * MB), {"Content-Type": "application/json"})]
    outcome, peak = peak_traced(engine.pull_once)
    assert peak < 100 * MB, f"peak {peak / MB:.0f} MB"
    assert isinstance(outcome, ProtocolError), outcome
    assert "larger than 64 MB" in str(outcome)
    assert dump(tmp_path / "replica.sqlite3") == before
