"""The pull half of the sync protocol: shop info, snapshots and changes (DESIGN.md, architecture.md)."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Header, Query, Request
from starlette.responses import Response, StreamingResponse

from sync.protocol import (
    ENTITIES,
    MAX_CHANGES_LIMIT,
    NDJSON_MEDIA_TYPE,
    Entity,
    PushRequest,
    PushResponse,
    ShopInfo,
)
from sync.server import changelog, db, push
from sync.server.auth import current_device
from sync.server.changes import read_page, since_problem
from sync.server.devices import Device
from sync.server.errors import Forbidden
from sync.server.gzip_body import GzipRoute
from sync.server.problems import problem_response, responses
from sync.server.shop import load_settings
from sync.server.snapshot import Snapshot

router = APIRouter(prefix="/sync", tags=["sync"], route_class=GzipRoute)


@router.get("/shop", response_model=ShopInfo)
def shop_info(request: Request, device: Annotated[Device, Depends(current_device)]) -> ShopInfo:
    with db.read(request.app.state.engine) as conn:
        settings = load_settings(conn)
        head = changelog.head(conn)[0]
    return ShopInfo(
        shop_name=settings.name,
        currency=settings.currency,
        prices_include_tax=settings.prices_include_tax,
        device_id=device.id,
        device_name=device.name,
        head=head,
        till_code=device.code,
    )


@router.post(
    "/push",
    response_model=PushResponse,
    responses={
        400: problem_response("body labelled gzip that is not valid gzip (corrupt, cut short)"),
        401: problem_response("missing, wrong or revoked token"),
        403: problem_response("device_id is not the token's device"),
        413: problem_response("body over 64 MB once decompressed"),
        415: problem_response("a Content-Encoding other than gzip"),
        422: problem_response("malformed envelope (per-mutation problems are `rejected` results)"),
        503: problem_response("database busy or unreachable: retry with backoff"),
    },
    summary="Apply a till's mutations; one result per mutation, in the order sent (body may be gzip)",
)
def push_mutations(
    request: Request, body: PushRequest, device: Annotated[Device, Depends(current_device)]
) -> Response:
    if body.device_id != device.id:
        raise Forbidden(
            f"device_id {body.device_id!r} is not the device of this token ({device.name!r}, {device.id})"
        )
    results = push.push(request.app.state.engine, device, body.mutations)
    # Built by hand: results are already plain dicts of the PushResponse shape.
    return Response(orjson.dumps({"results": results}), media_type="application/json")


@router.get(
    "/snapshot",
    response_class=StreamingResponse,
    responses={200: {"content": {NDJSON_MEDIA_TYPE: {}}, "description": "header, documents, trailer"}},
)
def snapshot(
    request: Request,
    _device: Annotated[Device, Depends(current_device)],
    entity: Annotated[Entity, Query(description=f"one of {', '.join(ENTITIES)}")],
    accept_encoding: Annotated[str, Header()] = "",
) -> StreamingResponse:
    snap = Snapshot(request.app.state.engine, entity)
    headers = {"X-Snapshot-Cursor": str(snap.cursor), "X-Snapshot-Count": str(snap.count)}
    headers["Vary"] = "Accept-Encoding"
    if "gzip" in accept_encoding.lower():
        headers["Content-Encoding"] = "gzip"
        return StreamingResponse(snap.gzipped(), media_type=NDJSON_MEDIA_TYPE, headers=headers)
    return StreamingResponse(snap.lines(), media_type=NDJSON_MEDIA_TYPE, headers=headers)


@router.get(
    "/changes",
    responses={200: {"description": "a ChangesPage"}, 304: {"description": "no change"}, **responses(410)},
)
def changes(
    request: Request,
    _device: Annotated[Device, Depends(current_device)],
    since: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=2**31)] = 1000,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    engine = request.app.state.engine
    if if_none_match is not None:
        with engine.connect() as conn:
            head, floor = changelog.head(conn)
        # A since read_page refuses is its 410 whatever the tag: a till ahead of a replaced shop's
        # head would otherwise be told "nothing new" for ever.
        if since_problem(since, head, floor) is None and etag_matches(if_none_match, head):
            return Response(status_code=304, headers={"ETag": f'"{head}"'})
    page = read_page(engine, since, min(limit, MAX_CHANGES_LIMIT))
    return Response(page.body, media_type="application/json", headers={"ETag": f'"{page.head}"'})


def etag_matches(if_none_match: str, head: int) -> bool:
    wanted = f'"{head}"'
    return any(tag.strip().removeprefix("W/") in (wanted, "*") for tag in if_none_match.split(","))
