"""A small real HTTP server on 127.0.0.1 that answers with crafted bytes.

The reference shop never sends a broken page, so the tests for the till's defences (truncated
streams, gzip garbage, inconsistent pages) need a peer that does. Routes are keyed by path without
the query; each answer is fixed bytes or a function of the request.
"""

from __future__ import annotations

import gzip
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from sync.protocol import API_PREFIX, ENTITIES, NDJSON_MEDIA_TYPE


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    cut_after: int | None = None  # send only this many body bytes of a longer Content-Length, then close


@dataclass
class SeenRequest:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


Route = Answer | Callable[[SeenRequest], Answer]


def json_answer(value: Any, status: int = 200, **headers: str) -> Answer:
    return Answer(status, orjson.dumps(value), {"Content-Type": "application/json", **headers})


def ndjson_answer(lines: Iterable[Any], *, compress: bool = True, raw: bytes | None = None) -> Answer:
    """A snapshot body: each value dumped on its own line (or `raw` bytes as they are), gzipped."""
    body = raw if raw is not None else b"".join(orjson.dumps(v) + b"\n" for v in lines)
    headers = {"Content-Type": NDJSON_MEDIA_TYPE}
    if compress:
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    return Answer(200, body, headers)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A till that refuses a stream hangs up while the rest is still being sent: expected here.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class CraftedShop:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[SeenRequest] = []
        shop = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                request = SeenRequest(parts.path, parse_qs(parts.query), dict(self.headers.items()))
                shop.seen.append(request)
                route = shop.routes.get(parts.path)
                if route is None:
                    answer = Answer(404, b"not here", {"Content-Type": "text/plain"})
                else:
                    answer = route(request) if callable(route) else route
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                if answer.cut_after is not None:
                    self.send_header("Connection", "close")
                self.end_headers()
                if answer.status == 304:
                    return
                if answer.cut_after is not None:
                    self.wfile.write(answer.body[: answer.cut_after])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(answer.body)

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> CraftedShop:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


# --- valid documents to craft pages from ------------------------------------------------------


def product_doc(n: int, *, version: int = 1, price: int = 1999) -> dict[str, Any]:
    return {
        "id": f"00000000-0000-7000-8000-{n:012d}",
        "version": version,
        "title": f"Crafted product {n}",
        "description": "",
        "category": "Tests",
        "status": "active",
        "tax_rate_id": None,
        "variants": [
            {
                "id": f"00000000-0000-7000-9000-{n:012d}",
                "sku": f"CRAFT-{n}",
                "barcode": None,
                "title": "",
                "price": price,
                "position": 0,
            }
        ],
        "updated_at": "2025-01-01T00:00:00Z",
    }


def location_doc(n: int, *, version: int = 1) -> dict[str, Any]:
    return {"id": f"loc-{n}", "version": version, "code": f"L{n}", "name": f"Location {n}"}


def snapshot_lines(entity: str, docs: list[dict[str, Any]], cursor: int = 10) -> list[dict[str, Any]]:
    return [
        {"type": "header", "entity": entity, "cursor": cursor, "count": len(docs)},
        *docs,
        {"type": "end", "count": len(docs)},
    ]


def upsert(seq: int, doc: dict[str, Any], entity: str = "product") -> dict[str, Any]:
    return {
        "seq": seq,
        "entity": entity,
        "id": doc["id"],
        "op": "upsert",
        "version": doc["version"],
        "data": doc,
    }


def delete(seq: int, entity_id: str, version: int = 2, entity: str = "product") -> dict[str, Any]:
    return {"seq": seq, "entity": entity, "id": entity_id, "op": "delete", "version": version, "data": None}


def changes_page(changes: list[dict[str, Any]], since: int, head: int | None = None) -> dict[str, Any]:
    nxt = changes[-1]["seq"] if changes else since
    return {"changes": changes, "next": nxt, "head": nxt if head is None else head, "has_more": False}


# --- a shop whose answers a test replaces one by one ----------------------------------------

SHOP_INFO = {
    "protocol_version": 1,
    "shop_name": "Crafted",
    "currency": "EUR",
    "prices_include_tax": True,
    "device_id": "dev-1",
    "device_name": "till 1",
    "head": 10,
}
CURSOR = 10


class ScriptedShop:
    """A crafted shop whose snapshot and changes answers a test can replace one by one."""

    def __init__(self, server: CraftedShop) -> None:
        self.server = server
        self.docs: dict[str, list[dict]] = {e: [] for e in ENTITIES}
        self.docs["location"] = [location_doc(1), location_doc(2)]
        self.docs["product"] = [product_doc(n) for n in range(300)]
        self.snapshot_override: dict[str, Answer] = {}
        self.pages: list[Answer] = []  # answered in turn; then 304
        server.routes[f"{API_PREFIX}/sync/shop"] = json_answer(SHOP_INFO)
        server.routes[f"{API_PREFIX}/sync/snapshot"] = self._snapshot
        server.routes[f"{API_PREFIX}/sync/changes"] = self._changes

    def _snapshot(self, request: SeenRequest) -> Answer:
        entity = request.query["entity"][0]
        if entity in self.snapshot_override:
            return self.snapshot_override[entity]
        return ndjson_answer(snapshot_lines(entity, self.docs[entity], cursor=CURSOR))

    def _changes(self, request: SeenRequest) -> Answer:
        if self.pages:
            return self.pages.pop(0)
        return Answer(304, b"", {})

    def requests_to(self, path: str) -> list[SeenRequest]:
        return [r for r in self.server.seen if r.path == f"{API_PREFIX}/sync/{path}"]
