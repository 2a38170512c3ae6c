"""Connector for the native Countertop sync protocol (the reference shop in `sync.server`).

Every failure comes out as one of the port's errors with a message a person can act on:
the shop cannot be reached (TransientError), it refuses the token (AuthError), the cursor is too
old (SnapshotExpired), or it answered something malformed or inconsistent (ProtocolError).
The device token is only ever put in the Authorization header; it is never logged.
"""

from __future__ import annotations

import gzip
import logging
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests
import urllib3
from pydantic import ValidationError
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from sync.connectors.changes_check import parse_changes_page
from sync.connectors.prefetch import BackgroundReader
from sync.connectors.push_check import parse_push_response
from sync.connectors.snapshot_reader import (
    SnapshotReader,
    describe_validation_error,
    gunzip_chunks,
    list_adapter_factory,
    split_lines,
)
from sync.ports import (
    AuthError,
    Capabilities,
    ChangesResult,
    ProtocolError,
    SnapshotExpired,
    SnapshotStream,
    SyncError,
    TransientError,
)
from sync.protocol import (
    API_PREFIX,
    ENTITIES,
    MAX_CHANGES_LIMIT,
    MAX_PUSH_BATCH,
    NDJSON_MEDIA_TYPE,
    PROBLEM_MEDIA_TYPE,
    PROTOCOL_VERSION,
    Mutation,
    MutationResult,
    PushRequest,
    ShopInfo,
)

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = (3.05, 20.0)  # (connect, read between bytes) seconds
READ_CHUNK = 256 * 1024
# Documents validated ahead of the replica: enough to keep it busy, bounded because a validated
# document takes several times the memory of its JSON.
VALIDATED_AHEAD = 20_000
# Decompressed snapshot bytes read ahead of validation (about 40k products): bounded so a stream
# the till cannot parse fast enough never fills its memory.
SNAPSHOT_READ_AHEAD = 16 * 1024 * 1024
# The largest changes page (5000 changes of large documents is ~10 MB) or shop answer the till
# accepts, decompressed: a hostile or broken shop cannot make it hold more than this.
MAX_JSON_BODY = 64 * 1024 * 1024
# A push answer is one short result per mutation plus, for a conflict, the shop's current document.
MAX_PUSH_ANSWER = 16 * 1024 * 1024
# Push bodies at least this big go gzipped (a batch of sales compresses ~10x); smaller ones are
# not worth the CPU on either side.
GZIP_REQUEST_FROM = 4096


class CountertopConnector:
    """`sync.ports.Connector` over HTTP to a Countertop shop."""

    capabilities = Capabilities()

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
    ) -> None:
        parts = urlsplit(base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ProtocolError(
                f"{base_url!r} is not a shop address: it must look like http://host:port or https://host"
            )
        self.base_url = base_url.strip().rstrip("/")
        self._auth = {"Authorization": f"Bearer {token}"}
        self._timeout = timeout
        self._owns_session = session is None
        self._session = session if session is not None else _new_session()
        self._list_adapter = list_adapter_factory()
        self._device_id: str | None = None  # learnt from shop_info; a push names the device

    def __repr__(self) -> str:  # never show the token
        return f"CountertopConnector({self.base_url!r})"

    # --- the Connector port ---------------------------------------------------------------------

    def shop_info(self) -> ShopInfo:
        response = self._get("/sync/shop", stream=True)
        body = self._json_body(response, "shop information")
        try:
            info = ShopInfo.model_validate_json(body)
        except ValidationError as exc:
            raise ProtocolError(
                f"{self.base_url} answered shop information that is not valid "
                f"({describe_validation_error(exc)})"
            ) from None
        if info.protocol_version != PROTOCOL_VERSION:
            raise ProtocolError(
                f"the shop speaks sync protocol version {info.protocol_version}; "
                f"this till speaks version {PROTOCOL_VERSION}"
            )
        self._device_id = info.device_id
        return info

    def snapshot(self, entity: str) -> SnapshotStream:
        if entity not in ENTITIES:
            raise ValueError(f"unknown entity {entity!r}")
        response = self._get("/sync/snapshot", params={"entity": entity}, stream=True)
        readers: list[BackgroundReader[Any]] = []
        try:
            self._expect_type(response, NDJSON_MEDIA_TYPE, f"snapshot of {entity}")
            encoding = response.headers.get("Content-Encoding", "").strip().lower()
            what = f"snapshot of {entity}"
            body = BackgroundReader(
                lambda: gunzip_chunks(self._raw_chunks(response, what), encoding, what=what),
                name=f"snapshot-read-{entity}",
                max_buffered=SNAPSHOT_READ_AHEAD,
            )
            readers.append(body)
            lines = split_lines(body.chunks(), what=what)
            snapshot = SnapshotReader(entity, lines, self._list_adapter(entity))
            validated = BackgroundReader(
                snapshot.batches, name=f"snapshot-validate-{entity}", max_buffered=VALIDATED_AHEAD
            )
            readers.append(validated)
        except BaseException:
            _close(readers, response)
            raise
        return SnapshotStream(
            entity=entity,
            cursor=snapshot.cursor,
            count=snapshot.count,
            batches=validated.chunks(),
            close=lambda: _close(readers, response),
        )

    def changes(self, since: int, limit: int, known_head: int | None = None) -> ChangesResult:
        if since < 0 or not 1 <= limit <= MAX_CHANGES_LIMIT:
            raise ValueError(f"bad changes request since={since} limit={limit}")
        headers = {"If-None-Match": f'"{known_head}"'} if known_head is not None else None
        response = self._get(
            "/sync/changes", params={"since": since, "limit": limit}, headers=headers, stream=True
        )
        if response.status_code == 304:
            response.close()
            head = known_head if known_head is not None else since
            return ChangesResult(next=since, head=head, not_modified=True)
        return parse_changes_page(self._json_body(response, "changes page"), since=since, limit=limit)

    def push(self, mutations: Sequence[Mutation]) -> list[MutationResult]:
        if not 1 <= len(mutations) <= MAX_PUSH_BATCH:
            raise ValueError(f"a push takes 1..{MAX_PUSH_BATCH} mutations, not {len(mutations)}")
        if self._device_id is None:
            self.shop_info()
        assert self._device_id is not None
        request = PushRequest.model_construct(device_id=self._device_id, mutations=list(mutations))
        body = request.model_dump_json().encode()
        headers = {"Content-Type": "application/json"}
        if len(body) >= GZIP_REQUEST_FROM:
            body = gzip.compress(body, compresslevel=5)
            headers["Content-Encoding"] = "gzip"
        response = self._request("POST", "/sync/push", data=body, headers=headers, stream=True)
        # An answer cut off by the network is a lost acknowledgement, not a broken shop: the batch
        # may have been applied, and resending the same ids later is the safe way on.
        answer = self._json_body(response, "answer to a push", max_total=MAX_PUSH_ANSWER, cut=TransientError)
        return parse_push_response(answer, [mutation.id for mutation in mutations])

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    # --- HTTP -----------------------------------------------------------------------------------

    def _get(
        self,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        stream: bool = False,
    ) -> requests.Response:
        return self._request("GET", path, params=params, headers=headers, stream=stream)

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
        stream: bool = False,
    ) -> requests.Response:
        url = f"{self.base_url}{API_PREFIX}{path}"
        all_headers = {**self._auth, **headers} if headers else self._auth
        try:
            response = self._session.request(
                method,
                url,
                params=params,
                data=data,
                headers=all_headers,
                timeout=self._timeout,
                stream=stream,
            )
        except requests.Timeout:
            raise TransientError(f"Shop unreachable: no answer in time ({self.base_url})") from None
        except requests.ConnectionError as exc:
            raise TransientError(f"Shop unreachable: {_connection_reason(exc)} ({self.base_url})") from None
        except requests.RequestException as exc:
            raise ProtocolError(f"could not talk to {self.base_url}: {exc.__class__.__name__}") from None
        if response.status_code not in (200, 304):
            try:
                self._raise_for_status(response, path)
            finally:
                response.close()
        return response

    def _raise_for_status(self, response: requests.Response, path: str) -> None:
        status = response.status_code
        detail = _problem_text(response)
        if status in (401, 403):
            raise AuthError(
                "The shop refused this till's device token (revoked or wrong). Ask a manager for a "
                "new token for this till's device (`countertop-shop device rotate NAME`) and connect "
                f"again with it. (HTTP {status} from "
                f"{self.base_url}{detail})"
            )
        if status == 410:
            raise SnapshotExpired(
                f"The shop no longer keeps changes that old; the till must load a fresh snapshot{detail}"
            )
        if status == 429 or status >= 500:
            raise TransientError(f"Shop unreachable: it answered HTTP {status}{detail} ({self.base_url})")
        if status == 404:
            raise ProtocolError(
                f"{self.base_url} does not look like a Countertop shop (HTTP 404 for {API_PREFIX}{path})"
            )
        raise ProtocolError(f"the shop answered HTTP {status} for {API_PREFIX}{path}{detail}")

    def _expect_type(self, response: requests.Response, media_type: str, what: str) -> None:
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type != media_type:
            raise ProtocolError(
                f"the shop sent its {what} as {content_type or 'an unlabelled body'}, "
                f"not {media_type} (is {self.base_url} a Countertop shop?)"
            )

    def _json_body(
        self,
        response: requests.Response,
        what: str,
        max_total: int = MAX_JSON_BODY,
        cut: type[SyncError] = ProtocolError,
    ) -> bytes:
        """The whole body, decompressed in bounded pieces and refused past `max_total` bytes.

        `cut` is raised when the connection breaks part-way through the body."""
        with response:
            self._expect_type(response, "application/json", what)
            encoding = response.headers.get("Content-Encoding", "").strip().lower()
            chunks = self._raw_chunks(response, what, cut)
            pieces = gunzip_chunks(chunks, encoding, what=what, max_total=max_total)
            return b"".join(pieces)

    def _raw_chunks(
        self, response: requests.Response, what: str, cut: type[SyncError] = ProtocolError
    ) -> Iterator[bytes]:
        raw = response.raw
        while True:
            try:
                chunk = raw.read(READ_CHUNK, decode_content=False)
            except urllib3.exceptions.ReadTimeoutError:
                raise TransientError(f"Shop unreachable: the {what} stalled ({self.base_url})") from None
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                if issubclass(cut, TransientError):
                    raise cut(f"Shop unreachable: the {what} was cut short ({self.base_url})") from None
                raise cut(f"the {what} was cut short ({exc.__class__.__name__})") from None
            if not chunk:
                return
            yield chunk


def _close(readers: list[BackgroundReader[Any]], response: requests.Response) -> None:
    for reader in reversed(readers):
        reader.close()
    response.close()


def _new_session() -> requests.Session:
    session = requests.Session()
    # One quick retry covers a keep-alive connection the shop closed meanwhile; the engine does
    # the real backoff, so nothing else is retried here.
    retry = Retry(total=1, connect=1, read=1, status=0, redirect=0, other=0, allowed_methods={"GET"})
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=4, max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["Accept-Encoding"] = "gzip"
    session.headers["User-Agent"] = f"countertop-till (protocol {PROTOCOL_VERSION})"
    return session


def _connection_reason(exc: BaseException) -> str:
    text = str(exc)
    for needle, reason in (
        ("Connection refused", "connection refused"),
        ("Name or service not known", "host name not found"),
        ("nodename nor servname", "host name not found"),
        ("Temporary failure in name resolution", "host name not found"),
        ("NameResolutionError", "host name not found"),
        ("timed out", "no answer in time"),
        ("Connection reset", "connection reset"),
        ("RemoteDisconnected", "the shop closed the connection"),
        ("Network is unreachable", "network unreachable"),
        ("No route to host", "no route to host"),
        ("WRONG_VERSION_NUMBER", "no https answer (is the address http://?)"),
        ("CERTIFICATE_VERIFY_FAILED", "its https certificate is not trusted"),
        ("SSLError", "the https connection failed"),
    ):
        if needle in text:
            return reason
    return "cannot connect"


def _problem_text(response: requests.Response) -> str:
    """`: title (detail)` from a problem+json answer, or nothing; never more than one short line."""
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type not in (PROBLEM_MEDIA_TYPE, "application/json"):
        return ""
    try:
        # Only the start: an error body is read with the same suspicion as a page.
        problem = orjson.loads(response.raw.read(4096, decode_content=True))
    except (orjson.JSONDecodeError, urllib3.exceptions.HTTPError, OSError):
        return ""
    if not isinstance(problem, dict):
        return ""
    title, detail = problem.get("title"), problem.get("detail")
    text = ": ".join(str(part)[:200] for part in (title, detail) if part)
    return f": {text}" if text else ""
