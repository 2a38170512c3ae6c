"""The idle poll's fast path: a pure-ASGI check in front of FastAPI.

An idle till asks `GET /sync/changes?since=HEAD` with `If-None-Match: "HEAD"` every few seconds; with
many tills that is most of the shop's traffic. Here it costs one indexed query (token hash joined with
the one-row counter) and no framework: FastAPI's dependency and validation machinery took ~1 ms of the
~1.2 ms a poll cost (see benchmarks/idle_poll.py). Anything else — wrong token, a since the feed
refuses (changes.since_problem), a stale ETag, a malformed query — falls through to the full route,
which gives the proper answer (401, 410, 422 or the page).
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from anyio import to_thread
from sqlalchemy import Engine, text

from sync.protocol import API_PREFIX
from sync.server.changes import since_problem

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 0  # see _lookup
ASGIApp = Callable[[dict, Callable, Callable], Awaitable[None]]
_LOOKUP = (
    "SELECT c.value, c.floor FROM device d, seq_counter c"
    " WHERE d.token_hash = {p} AND d.revoked_at IS NULL AND c.id = 1"
)


class IdlePollFastPath:
    def __init__(self, app: ASGIApp, engine: Engine) -> None:
        self.app = app
        self.engine = engine
        self.path = f"{API_PREFIX}/sync/changes"
        self._sqlite_file = engine.url.database if engine.dialect.name == "sqlite" else None
        self._sqlite: sqlite3.Connection | None = None

    async def __call__(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        if scope["type"] == "http" and scope["path"] == self.path and scope["method"] == "GET":
            head = await self._unchanged_head(scope)
            if head is not None:
                await send(
                    {"type": "http.response.start", "status": 304, "headers": [(b"etag", b'"%d"' % head)]}
                )
                await send({"type": "http.response.body", "body": b""})
                return
        await self.app(scope, receive, send)

    async def _unchanged_head(self, scope: dict[str, Any]) -> int | None:
        """The head when the request is an authorised poll that is up to date, else None."""
        inm = auth = None
        for name, value in scope["headers"]:
            if name == b"if-none-match":
                inm = value
            elif name == b"authorization":
                auth = value
        if inm is None or auth is None or auth[:7].lower() != b"bearer ":
            return None
        try:
            since = int(parse_qs(scope["query_string"].decode("latin-1"))["since"][0])
        except (KeyError, ValueError, IndexError):
            return None
        token_hash = hashlib.sha256(auth[7:].strip()).hexdigest()
        try:
            found = await self._lookup(token_hash)
        except Exception:  # the full route reports database trouble properly
            logger.debug("fast path lookup failed", exc_info=True)
            return None
        if found is None:
            return None
        head, floor = found
        if since_problem(since, head, floor) is not None:
            return None
        wanted = b'"%d"' % head
        if not any(tag.strip().removeprefix(b"W/") in (wanted, b"*") for tag in inm.split(b",")):
            return None
        return head

    async def _lookup(self, token_hash: str) -> tuple[int, int] | None:
        if self._sqlite_file:
            # A WAL read of two indexed rows takes microseconds: cheaper inline than a thread hop.
            # It runs on the event loop, so it never waits for a lock (busy timeout 0): a busy
            # database raises at once and the poll falls through to the threaded route, which
            # waits there without stalling every other request.
            if self._sqlite is None:
                self._sqlite = sqlite3.connect(
                    self._sqlite_file, check_same_thread=False, isolation_level=None, timeout=0
                )
                self._sqlite.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            return self._sqlite.execute(_LOOKUP.format(p="?"), (token_hash,)).fetchone()
        return await to_thread.run_sync(self._lookup_engine, token_hash)

    def _lookup_engine(self, token_hash: str) -> tuple[int, int] | None:
        with self.engine.connect() as conn:
            row = conn.execute(text(_LOOKUP.format(p=":h")), {"h": token_hash}).first()
        return None if row is None else (int(row[0]), int(row[1]))
