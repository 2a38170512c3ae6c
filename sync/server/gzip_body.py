"""Request bodies: JSON numbers Python will not read are a 422 like any JSON error, and on the sync
routes a body sent with `Content-Encoding: gzip` (a till compresses a big push) is decompressed
before FastAPI parses it.

The decompressed size is capped so a small hostile body cannot expand into gigabytes (413); a coding
other than gzip is 415; gzip data that is corrupt, cut short or followed by other bytes is 400.
The body is decoded before FastAPI reads it: FastAPI answers any error but its own raised while it
reads a body with a bare 400 "There was an error parsing the body".
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from sync.server.errors import ShopError

MAX_BODY = 64 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
MAX_MEMBERS = 8  # a till sends one; concatenated streams are valid gzip, but a few will do
_BODIES = frozenset({"POST", "PUT", "PATCH"})  # the methods whose body a route reads


class BodyTooLarge(ShopError):
    status = 413
    title = "Content too large"


class BadEncoding(ShopError):
    status = 415
    title = "Unsupported media type"


class BadGzip(ShopError):
    status = 400
    title = "Bad request"


class JsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = json.loads(body)
            except json.JSONDecodeError:
                raise
            except (ValueError, RecursionError) as exc:
                # A number over 4,300 digits or nesting too deep: bad JSON to the client all the same,
                # so FastAPI's JSON error (422) rather than its catch-all 400.
                raise json.JSONDecodeError(f"the JSON cannot be read ({exc})", "", 0) from None
        return self._json


class GzipRequest(JsonRequest):
    async def body(self) -> bytes:
        if not hasattr(self, "_body"):
            raw = await super().body()
            if len(raw) > MAX_BODY:  # plain or compressed alike
                raise BodyTooLarge(f"the request body is over {MAX_BODY // (1024 * 1024)} MB")
            encoding = self.headers.get("content-encoding", "identity").strip().lower()
            if encoding == "gzip":
                raw = gunzip(raw)
            elif encoding not in ("", "identity"):
                raise BadEncoding(f"Content-Encoding {encoding!r} is not supported: send gzip or none")
            self._body = raw
        return self._body


def gunzip(raw: bytes) -> bytes:
    """The whole gzip stream (at most MAX_MEMBERS members, RFC 1952), or BadGzip / BodyTooLarge
    (the raw body's own size is checked before, in GzipRequest.body).

    Each member leaves the rest of the body copied (zlib's unused_data), so the members are
    capped: a body of thousands of empty members cost seconds of the shop's only event loop.
    """
    if not raw:
        return raw  # no body at all: the route says whether it needs one
    out: list[bytes] = []
    size = 0
    while raw:
        if not raw.startswith(_GZIP_MAGIC) and out:
            raise BadGzip(f"the request body has {len(raw)} bytes after the end of its gzip data")
        if len(out) == MAX_MEMBERS:
            raise BadGzip(f"the request body has more than {MAX_MEMBERS} gzip members")
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            chunk = inflater.decompress(raw, MAX_BODY + 1 - size)
        except zlib.error as exc:
            raise BadGzip(f"the request body is not valid gzip data ({exc})") from None
        size += len(chunk)
        if size > MAX_BODY or inflater.unconsumed_tail:
            raise BodyTooLarge(f"the request body is over {MAX_BODY // (1024 * 1024)} MB once decompressed")
        if not inflater.eof:
            raise BadGzip("the request body is not valid gzip data: it ends before the gzip stream does")
        out.append(chunk)
        raw = inflater.unused_data
    return b"".join(out)


class JsonRoute(APIRoute):
    """An APIRoute whose JSON errors are all 422 (FastAPI's documented custom-route pattern)."""

    request_class: type[Request] = JsonRequest

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        request_class = self.request_class

        async def shop_handler(request: Request) -> Response:
            shop_request = request_class(request.scope, request.receive)
            if request.method in _BODIES:  # a GET's body is never read, so never decoded either
                await shop_request.body()  # decoded here, so its errors reach the problem handlers
            return await handler(shop_request)

        return shop_handler


class GzipRoute(JsonRoute):
    """A JsonRoute whose request body may be gzip-compressed."""

    request_class = GzipRequest
