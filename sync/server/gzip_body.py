"""Request bodies sent with `Content-Encoding: gzip` (a till compresses a big push), decompressed
before FastAPI parses them. The decompressed size is capped so a small hostile body cannot expand
into gigabytes (answered 413)."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from sync.server.errors import ShopError

MAX_BODY = 64 * 1024 * 1024


class BodyTooLarge(ShopError):
    status = 413
    title = "Content too large"


class BadEncoding(ShopError):
    status = 415
    title = "Unsupported media type"


class GzipRequest(Request):
    async def body(self) -> bytes:
        if not hasattr(self, "_body"):
            raw = await super().body()
            encoding = self.headers.get("content-encoding", "identity").strip().lower()
            if encoding == "gzip":
                raw = _gunzip(raw)
            elif encoding not in ("", "identity"):
                raise BadEncoding(f"Content-Encoding {encoding!r} is not supported: send gzip or none")
            self._body = raw
        return self._body


def _gunzip(raw: bytes) -> bytes:
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(raw, MAX_BODY + 1)
    except zlib.error as exc:
        raise BadEncoding(f"the request body is not valid gzip data ({exc})") from None
    if len(out) > MAX_BODY or inflater.unconsumed_tail:
        raise BodyTooLarge(f"the request body is over {MAX_BODY // (1024 * 1024)} MB once decompressed")
    return out


class GzipRoute(APIRoute):
    """An APIRoute whose request body may be gzip-compressed (FastAPI's documented custom-route pattern)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def gzip_handler(request: Request) -> Response:
            return await handler(GzipRequest(request.scope, request.receive))

        return gzip_handler
