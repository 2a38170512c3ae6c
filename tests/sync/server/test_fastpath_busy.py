"""The idle-poll fast path never waits for a database lock on the event loop.

It reads SQLite inline on the loop; while another connection holds the database locked, that read
must fail at once and hand the poll to the normal (threaded) route, so other requests keep being
served. The database is a real shop database file switched to rollback-journal mode, where a writer's
EXCLUSIVE lock blocks readers (in WAL mode the same happens only in rare moments, such as recovery).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

from sync.server import db, devices
from sync.server.fastpath import IdlePollFastPath

API = "/api/v1"


class NormalRoute:
    """Stands for the FastAPI app behind the fast path: records that the poll reached it."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        self.calls += 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


def _shop_file(tmp_path: Path) -> tuple[str, str, int]:
    url = f"sqlite:///{tmp_path / 'shop.sqlite3'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    with db.write(engine) as conn:
        _, token = devices.add_device(conn, "till", False)
        head = conn.exec_driver_sql("SELECT value FROM seq_counter WHERE id = 1").scalar_one()
    engine.dispose()
    con = sqlite3.connect(tmp_path / "shop.sqlite3", isolation_level=None)
    con.execute("PRAGMA journal_mode=DELETE")
    con.close()
    return url, token, int(head)


def _poll(token: str, head: int) -> dict:
    return {
        "type": "http",
        "method": "GET",
        "path": f"{API}/sync/changes",
        "query_string": f"since={head}&limit=1000".encode(),
        "headers": [(b"authorization", f"Bearer {token}".encode()), (b"if-none-match", b'"%d"' % head)],
    }


async def _serve(app: IdlePollFastPath, scope: dict) -> tuple[int, float]:
    """Status of the answer and the longest the event loop went without running another task."""
    sent: list[dict] = []
    longest = 0.0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal longest
        last = time.perf_counter()
        while not stop.is_set():
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            longest, last = max(longest, now - last), now

    async def send(message: dict) -> None:
        sent.append(message)

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    tick = asyncio.create_task(ticker())
    await asyncio.sleep(0.02)
    await app(scope, receive, send)
    await asyncio.sleep(0.02)
    stop.set()
    await tick
    return sent[0]["status"], longest


def test_a_locked_database_sends_the_poll_to_the_normal_route_at_once(tmp_path: Path) -> None:
    url, token, head = _shop_file(tmp_path)
    engine = db.make_engine(url)
    normal = NormalRoute()
    app = IdlePollFastPath(normal, engine)
    try:
        assert asyncio.run(_serve(app, _poll(token, head)))[0] == 304  # the fast path answers
        assert normal.calls == 0

        locker = sqlite3.connect(tmp_path / "shop.sqlite3", isolation_level=None, timeout=0)
        locker.execute("BEGIN EXCLUSIVE")  # a writer holds the database
        try:
            status, stall = asyncio.run(_serve(app, _poll(token, head)))
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        assert (status, normal.calls) == (200, 1)  # handed to the normal route
        # The old fast path waited up to its 1 s busy timeout here, with every request stalled.
        assert stall < 0.5, f"the event loop stalled for {stall:.3f} s"

        assert asyncio.run(_serve(app, _poll(token, head)))[0] == 304  # and it recovers
        assert normal.calls == 1
    finally:
        engine.dispose()
