"""Admin API: the tills' closed cash sessions and their audit log (read only: tills write them by push)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import Select, select

from sync.server import db
from sync.server.auth import admin_device
from sync.server.crud import Limit, Offset
from sync.server.errors import Invalid, NotFound
from sync.server.gzip_body import JsonRoute
from sync.server.problems import responses
from sync.server.tables import audit_entry, cash_session

router = APIRouter(
    route_class=JsonRoute, dependencies=[Depends(admin_device)], tags=["admin: cash books and audit"]
)

Since = Annotated[datetime | None, Query(description="from this moment on (ISO 8601; no zone: UTC)")]
Until = Annotated[datetime | None, Query(description="before this moment (ISO 8601; no zone: UTC)")]
Key = Annotated[str | None, Query(max_length=64)]


def _stamp(moment: datetime, name: str) -> str:
    """`moment` in the stored fixed-width UTC form; a moment UTC cannot hold is a 422, not a 500."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    try:
        utc = aware.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before the first moment Python knows
        raise Invalid(f"{name} {moment.isoformat()} is out of range") from None
    return utc.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _between(query: Select, column: Any, since: datetime | None, until: datetime | None) -> Select:
    # Compared as stamps: `since` with a zone and `until` without one cannot be compared as datetimes.
    low = None if since is None else _stamp(since, "since")
    high = None if until is None else _stamp(until, "until")
    if low is not None and high is not None and high <= low:
        raise Invalid(f"until ({high}) must be later than since ({low})")
    if low is not None:
        query = query.where(column >= low)
    if high is not None:
        query = query.where(column < high)
    return query


def _rows(request: Request, query: Select, json_columns: tuple[str, ...]) -> list[dict[str, Any]]:
    with db.read(request.app.state.engine) as conn:
        rows = conn.execute(query).mappings().all()
    out = []
    for row in rows:
        doc = dict(row)
        for name in json_columns:
            doc[name] = None if doc[name] is None else orjson.loads(doc[name])
        out.append(doc)
    return out


CASH_JSON = ("tenders", "cash_count")
AUDIT_JSON = ("before", "after")


@router.get("/cash-sessions", summary="Closed till sessions, newest close first")
def list_sessions(
    request: Request,
    till_code: Key = None,
    staff_id: Annotated[str | None, Query(max_length=64, description="opened or closed by")] = None,
    since: Since = None,
    until: Until = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    query = select(cash_session)
    if till_code is not None:
        query = query.where(cash_session.c.till_code == till_code)
    if staff_id is not None:
        query = query.where((cash_session.c.opened_by == staff_id) | (cash_session.c.closed_by == staff_id))
    query = _between(query, cash_session.c.closed_at, since, until)
    query = query.order_by(cash_session.c.closed_at.desc(), cash_session.c.id).limit(limit).offset(offset)
    return _rows(request, query, CASH_JSON)


@router.get("/cash-sessions/{session_id}", summary="One closed till session", responses=responses(404))
def get_session(request: Request, session_id: str) -> dict[str, Any]:
    found = _rows(request, select(cash_session).where(cash_session.c.id == session_id), CASH_JSON)
    if not found:
        raise NotFound(f"no cash session with id {session_id!r}")
    return found[0]


@router.get("/audit", summary="The tills' audit log, newest first; filter by person, action and date")
def list_audit(
    request: Request,
    staff_id: Key = None,
    action: Key = None,
    till_code: Key = None,
    since: Since = None,
    until: Until = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    query = select(audit_entry)
    filters = {"staff_id": staff_id, "action": action, "till_code": till_code}
    for name, value in filters.items():
        if value is not None:
            query = query.where(audit_entry.c[name] == value)
    query = _between(query, audit_entry.c.at, since, until)
    query = query.order_by(audit_entry.c.at.desc(), audit_entry.c.id.desc()).limit(limit).offset(offset)
    return _rows(request, query, AUDIT_JSON)
