"""The audit trail: who did what at this till, when, why, and which manager approved it. No Qt.

Services call `record(con, ...)` inside the transaction of the change they audit; the entry is
appended to the till's append-only log and queued for the shop as `audit.entry`. Managers read it
through `AuditLog.entries` (permission `audit.view`), filtered by person, action and date.

    log = AuditLog(engine)
    rows = log.entries(manager, staff_id=None, action="drawer.open", since=day_start, until=day_end)
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from pos.domain.cash import MAX_REASON_CHARS
from pos.domain.errors import DomainError
from pos.domain.ids import new_id
from pos.domain.permissions import Approval, Permission, Role, decide, require
from pos.domain.sale import format_timestamp
from pos.store import audit as store
from pos.store import till
from pos.store.database import read_transaction
from pos.store.till_file import till_engine


@dataclass(frozen=True, slots=True)
class Actor:
    """The person signed in at the till (pos.services.staff.StaffService.sign_in makes these)."""

    id: str
    name: str
    role: Role


def record(
    con: sqlite3.Connection,
    *,
    actor: Actor | None,
    action: Permission | str,
    at: datetime,
    subject: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
    approval: Approval | None = None,
) -> store.AuditRow:
    """Append one audit entry (and its `audit.entry` mutation) in the caller's transaction."""
    row = store.AuditRow(
        id=new_id(),
        at=format_timestamp(at),
        staff_id=actor.id if actor else None,
        action=str(action),
        subject=subject,
        before=before,
        after=after,
        reason=clean_reason(reason, required=False),
        approved_by=approval.manager_id if approval else None,
    )
    store.append(con, row, till.till_code(con))
    return row


def clean_reason(reason: str | None, *, required: bool) -> str | None:
    text = " ".join((reason or "").split())
    if required and not text:
        raise DomainError("say why: this action needs a reason", field="reason")
    if len(text) > MAX_REASON_CHARS:
        raise DomainError(f"a reason has at most {MAX_REASON_CHARS} characters", field="reason")
    return text or None


class AuditLog:
    """The manager's view of the log."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] | None = None) -> None:
        self._till = till_engine(engine)
        self._clock = clock or (lambda: datetime.now(UTC))

    def entries(
        self,
        actor: Actor,
        *,
        staff_id: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 500,
    ) -> list[store.AuditRow]:
        require(decide(actor.role, Permission.VIEW_AUDIT_LOG))
        if since and until and until <= since:
            raise DomainError("the end of the period must come after its start", field="until")
        if not 1 <= limit <= 10_000:
            raise DomainError("show between 1 and 10,000 entries", field="limit")
        with read_transaction(self._till) as con:
            return store.query(
                con,
                staff_id=staff_id,
                action=action,
                since=format_timestamp(since) if since else None,
                until=format_timestamp(until) if until else None,
                limit=limit,
            )
