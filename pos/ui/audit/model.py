"""The audit log as a table: newest first, one row per entry (pos.store.audit.AuditRow).

The service returns at most a page of entries for the chosen filters (the query filters and
orders in SQL); this model only shows them and names the people.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from PySide6.QtCore import Qt

from pos.domain.permissions import LABELS, Permission
from pos.domain.sale import parse_timestamp
from pos.ui.rows_model import ModelIndex, RowsTableModel

HEADERS = ("When", "Who", "Action", "Subject", "Before", "After", "Reason", "Approved by")
OTHER_ACTIONS = {"staff.sign_in": "signed in", "staff.locked_out": "locked out after wrong PINs"}


def action_text(action: str) -> str:
    if action in OTHER_ACTIONS:
        return OTHER_ACTIONS[action]
    try:
        return LABELS[Permission(action)]
    except ValueError:
        return action


def _local(stamp: str) -> str:
    try:
        return parse_timestamp(stamp).astimezone().strftime("%d %b %Y %H:%M:%S")
    except ValueError:
        return stamp


def _json(value: Any) -> str:
    return "" if value is None else orjson.dumps(value).decode()


class AuditModel(RowsTableModel):
    HEADERS = HEADERS

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.names: Mapping[str, str] = {}

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        entry = self.row_at(index.row()) if index.isValid() else None
        if entry is None or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        column = index.column()
        if column == 0:
            return _local(entry.at)
        if column == 1:
            return self._name(entry.staff_id) or "—"
        if column == 2:
            return action_text(entry.action)
        if column == 3:
            return entry.subject or ""
        if column == 4:
            return _json(entry.before)
        if column == 5:
            return _json(entry.after)
        if column == 6:
            return entry.reason or ""
        return self._name(entry.approved_by)

    def _name(self, staff_id: str | None) -> str:
        if not staff_id:
            return ""
        return self.names.get(staff_id, staff_id)
