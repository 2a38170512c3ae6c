"""`audit.entry`: one line of a till's append-only audit log, kept by the shop.

Entries are only ever added: an id is recorded once, and the same id under another mutation id is
rejected (naming it) rather than overwriting what was recorded. `before` and `after` are kept as
JSON text, at most MAX_JSON_BYTES each: an audit line describes a change, it does not carry data.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select

from sync.server import changelog
from sync.server.devices import Device, check_till
from sync.server.errors import Rejected
from sync.server.ids import utc_now
from sync.server.push_checks import json_text, wire_time
from sync.server.tables import audit_entry

Doc = dict[str, Any]
MAX_JSON_BYTES = 16_384


def apply_audit_entry(conn: Connection, payload: Doc, pusher: Device) -> int:
    """Record the entry; returns the head seq (nothing is logged for tills to pull)."""
    at = wire_time(payload, "at")
    check_till(payload, pusher, "an audit entry")
    texts = {side: _json(payload, side) for side in ("before", "after")}
    found = conn.execute(select(audit_entry.c.till_code).where(audit_entry.c.id == payload["id"])).first()
    if found is not None:
        raise Rejected(f"audit entry {payload['id']} of till {found.till_code} is already recorded")
    keys = ("id", "till_code", "staff_id", "action", "subject", "reason", "approved_by")
    values = {k: payload[k] for k in keys} | texts
    values |= {"device_id": pusher.id, "at": at, "received_at": utc_now()}
    conn.execute(insert(audit_entry).values(values))
    return changelog.head(conn)[0]


def _json(payload: Doc, side: str) -> str | None:
    if payload[side] is None:
        return None
    text = json_text(payload[side])
    size = len(text.encode())
    if size > MAX_JSON_BYTES:
        raise Rejected(f"{side} is {size:,} bytes of JSON; an audit entry takes at most {MAX_JSON_BYTES:,}")
    return text
