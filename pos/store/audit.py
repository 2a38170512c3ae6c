"""The till's audit log (till migration 0002): append-only rows, each sent to the shop as `audit.entry`.

`append` writes the row and its outbox mutation in the caller's transaction, the one that makes the
change being audited, so an audited action and its audit line exist together or not at all.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

import orjson

from pos.store import outbox

_COLUMNS = "id, at, staff_id, action, subject, before, after, reason, approved_by"


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: str
    at: str  # UTC, pos.domain.sale.format_timestamp
    staff_id: str | None
    action: str
    subject: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None
    approved_by: str | None

    def payload(self, till_code: str) -> dict[str, Any]:
        """The `audit.entry` mutation payload (sync.protocol.AuditEntry)."""
        return {
            "id": self.id, "at": self.at, "till_code": till_code, "staff_id": self.staff_id,
            "action": self.action, "subject": self.subject, "before": self.before, "after": self.after,
            "reason": self.reason, "approved_by": self.approved_by,
        }  # fmt: skip


def _json(value: dict[str, Any] | None) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def append(con: sqlite3.Connection, row: AuditRow, till_code: str) -> None:
    if not con.in_transaction:
        raise RuntimeError("an audit entry is written in the transaction of the change it records")
    con.execute(
        f"INSERT INTO audit_log ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (row.id, row.at, row.staff_id, row.action, row.subject, _json(row.before), _json(row.after),
         row.reason, row.approved_by),
    )  # fmt: skip
    outbox.enqueue(con, mutation_id=row.id, type="audit.entry", payload=row.payload(till_code))


def query(
    con: sqlite3.Connection,
    *,
    staff_id: str | None = None,
    action: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 500,
) -> list[AuditRow]:
    """Entries newest first; `since` inclusive and `until` exclusive, as UTC timestamps."""
    where, params = [], []
    for clause, value in (("staff_id = ?", staff_id), ("action = ?", action), ("at >= ?", since),
                          ("at < ?", until)):  # fmt: skip
        if value is not None:
            where.append(clause)
            params.append(value)
    sql = f"SELECT {_COLUMNS} FROM audit_log"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY at DESC, id DESC LIMIT ?"
    rows = con.execute(sql, (*params, limit)).fetchall()
    return [AuditRow(r[0], r[1], r[2], r[3], r[4], _load(r[5]), _load(r[6]), r[7], r[8]) for r in rows]


def _load(text: str | None) -> dict[str, Any] | None:
    return None if text is None else orjson.loads(text)
