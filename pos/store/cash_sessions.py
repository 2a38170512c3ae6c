"""Cash sessions in the till file: a row per shift and its events in order (till migration 0002).

The session a screen shows is rebuilt from its events through the domain (pos.domain.cash), so
what the drawer should hold is always the domain's arithmetic over what was written, never a
running total that a crash could leave half-updated. Every writer runs inside the caller's
transaction, the one that also writes the sale, refund or audit entry the event belongs to.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

import orjson

from pos.domain.cash import CashCount, CashSession, Takings, count_cash, open_session
from pos.domain.money import Money
from pos.domain.sale import format_timestamp, parse_timestamp

_SESSION_COLUMNS = "id, opened_at, opened_by, currency, float_count, closed_at, z_report"


def _require_transaction(con: sqlite3.Connection, what: str) -> None:
    if not con.in_transaction:
        raise RuntimeError(f"{what} must run inside the caller's transaction")


def insert_session(con: sqlite3.Connection, session: CashSession) -> None:
    _require_transaction(con, "insert_session")
    con.execute(
        "INSERT INTO cash_session (id, opened_at, opened_by, currency, float_count) VALUES (?, ?, ?, ?, ?)",
        (
            session.id,
            format_timestamp(session.opened_at),
            session.opened_by,
            session.currency,
            orjson.dumps(session.float_count.to_list()).decode(),
        ),
    )


def add_event(
    con: sqlite3.Connection,
    session_id: str,
    *,
    event_id: str,
    kind: str,
    at: datetime,
    amounts: dict[str, int],
    staff_id: str | None = None,
    reason: str | None = None,
    ref: str | None = None,
) -> None:
    """Append one event; `amounts` is minor units by tender (a movement: {"cash": amount})."""
    _require_transaction(con, "add_event")
    (position,) = con.execute(
        "SELECT coalesce(max(position), 0) + 1 FROM cash_event WHERE session_id = ?", (session_id,)
    ).fetchone()
    con.execute(
        "INSERT INTO cash_event (id, session_id, position, kind, at, staff_id, reason, ref, amounts) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (event_id, session_id, position, kind, format_timestamp(at), staff_id, reason, ref,
         orjson.dumps(amounts).decode()),
    )  # fmt: skip


def record_close(con: sqlite3.Connection, session: CashSession, payload: dict[str, Any]) -> None:
    _require_transaction(con, "record_close")
    z = session.closed
    assert z is not None, "record_close takes a closed session"
    changed = con.execute(
        "UPDATE cash_session SET closed_at = ?, closed_by = ?, approved_by = ?, z_report = ? "
        "WHERE id = ? AND closed_at IS NULL",
        (format_timestamp(z.closed_at), z.closed_by, z.approved_by, orjson.dumps(payload).decode(),
         session.id),
    ).rowcount  # fmt: skip
    if changed != 1:
        raise RuntimeError(f"cash session {session.id} is not open")


def open_session_head(con: sqlite3.Connection) -> tuple[str, str] | None:
    """(id, currency) of the open session, without its events."""
    row = con.execute("SELECT id, currency FROM cash_session WHERE closed_at IS NULL").fetchone()
    return (row[0], row[1]) if row else None


def load(con: sqlite3.Connection, session_id: str) -> CashSession | None:
    """The session as its events make it (a closed one without its Z report, which stays stored)."""
    row = con.execute(f"SELECT {_SESSION_COLUMNS} FROM cash_session WHERE id = ?", (session_id,)).fetchone()
    if row is None:
        return None
    sid, opened_at, opened_by, currency, float_json, _closed_at, _z = row
    session = open_session(sid, "", opened_by, _count(currency, float_json), parse_timestamp(opened_at))
    events = con.execute(
        "SELECT kind, at, staff_id, reason, amounts FROM cash_event WHERE session_id = ? ORDER BY position",
        (session_id,),
    )
    for kind, at, staff_id, reason, amounts_json in events:
        session = _apply(session, kind, parse_timestamp(at), staff_id, reason, orjson.loads(amounts_json))
    return session


def load_open(con: sqlite3.Connection) -> CashSession | None:
    head = open_session_head(con)
    return None if head is None else load(con, head[0])


def closed_sessions(con: sqlite3.Connection, limit: int = 50) -> list[dict[str, Any]]:
    """The Z reports of the latest closed sessions, newest first."""
    rows = con.execute(
        "SELECT z_report FROM cash_session WHERE closed_at IS NOT NULL ORDER BY closed_at DESC LIMIT ?",
        (limit,),
    )
    return [orjson.loads(z) for (z,) in rows]


def _count(currency: str, float_json: str) -> CashCount:
    return count_cash(currency, {int(p["value"]): int(p["count"]) for p in orjson.loads(float_json)})


def _apply(
    session: CashSession, kind: str, at: datetime, staff_id: str | None, reason: str | None,
    amounts: dict[str, int],
) -> CashSession:  # fmt: skip
    # Replayed in the order they were written, each event meets the same session it was checked
    # against when it happened, so the domain's checks pass again.
    if kind in ("sale", "refund"):
        takings = Takings({m: Money(v, session.currency) for m, v in amounts.items()})
        return session.record_sale(takings) if kind == "sale" else session.record_refund(takings)
    movement: Any = kind
    return session.move(movement, Money(amounts["cash"], session.currency), reason or "", staff_id, at)
