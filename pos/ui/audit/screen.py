"""The audit log for managers: who did what at this till, when, why, and who approved it.

Filters: person, action, a date range (local days, both included). Enter in the filters (or F5)
reads the log again on the "db" lane; AuditLog.entries refuses anyone but a manager, and the
refusal is shown here. Esc closes.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from functools import partial
from typing import Any

from PySide6.QtCore import QDate, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pos.domain.errors import sentence
from pos.domain.permissions import LABELS, Permission
from pos.ui.audit.model import OTHER_ACTIONS, AuditModel
from pos.ui.tasks import Tasks

log = logging.getLogger(__name__)
LIMIT = 1000


class AuditLogDialog(QDialog):
    listed = Signal(int)
    refused = Signal(str)

    def __init__(self, audit: Any, staff: Any, who: Any, tasks: Tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("auditLog")
        self.setWindowTitle("Audit log")
        self._audit, self._staff, self._who, self._tasks = audit, staff, who, tasks
        self.person = QComboBox(self)
        self.person.setObjectName("auditPerson")
        self.person.addItem("Everyone", None)
        self.person.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.action = QComboBox(self)
        self.action.setObjectName("auditAction")
        self.action.addItem("Every action", None)
        for code, text in OTHER_ACTIONS.items():
            self.action.addItem(text, code)
        for permission in Permission:
            self.action.addItem(LABELS[permission], permission.value)
        today = QDate.currentDate()
        self.since = QDateEdit(today.addDays(-7), self)
        self.until = QDateEdit(today, self)
        for edit in (self.since, self.until):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd MMM yyyy")
        filters = QHBoxLayout()
        for label, widget in (("Person", self.person), ("Action", self.action), ("From", self.since),
                              ("To", self.until)):  # fmt: skip
            filters.addWidget(QLabel(label, self))
            filters.addWidget(widget)
        filters.addStretch(1)
        self.model = AuditModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("auditTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        for column, width in enumerate((175, 130, 190, 110, 120, 160)):
            self.table.setColumnWidth(column, width)
        self.status = QLabel("Loading…", self)
        self.status.setObjectName("auditStatus")
        self.status.setWordWrap(True)
        hint = QLabel("Change a filter and the list follows · F5: read again · Esc: close", self)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addWidget(hint)
        self.resize(1100, 520)
        for signal in (self.person.currentIndexChanged, self.action.currentIndexChanged,
                       self.since.dateChanged, self.until.dateChanged):  # fmt: skip
            signal.connect(lambda *_a: self.reload())
        refresh = QShortcut(QKeySequence("F5"), self)
        refresh.activated.connect(self.reload)
        self.person.setFocus()
        # Former staff too: what they did stays in the log under their name.
        tasks.run(partial(staff.members, former=True), lane="db", on_success=self._people,
                  on_failure=self._failed)  # fmt: skip

    def _people(self, members: list[Any]) -> None:
        names = {m.id: m.name if m.active else f"{m.name} (left)" for m in members}
        self.model.names = names
        self.person.blockSignals(True)
        for member in members:
            self.person.addItem(names[member.id], member.id)
        self.person.blockSignals(False)
        self.reload()

    def filters(self) -> dict[str, Any]:
        since = datetime.combine(self.since.date().toPython(), time()).astimezone()
        until = datetime.combine(self.until.date().toPython() + timedelta(days=1), time()).astimezone()
        return {"staff_id": self.person.currentData(), "action": self.action.currentData(),
                "since": since, "until": until, "limit": LIMIT}  # fmt: skip

    def reload(self) -> None:
        actor = self._who.actor if self._who is not None else None
        if actor is None:
            self._failed(PermissionError("nobody is signed in"))
            return
        self._tasks.run(partial(self._audit.entries, actor, **self.filters()), lane="db",
                        on_success=self._show, on_failure=self._failed)  # fmt: skip

    def _show(self, rows: list[Any]) -> None:
        self.model.replace_rows(rows)
        count = len(rows)
        more = " (the newest; narrow the filters to see older ones)" if count >= LIMIT else ""
        self.status.setText(f"{count} entr{'y' if count == 1 else 'ies'}{more}.")
        self.listed.emit(count)

    def _failed(self, exc: BaseException) -> None:
        if not isinstance(exc, ValueError | PermissionError):
            log.error("audit log", exc_info=exc)
        text = str(exc) or type(exc).__name__
        self.model.replace_rows(())
        self.status.setText(sentence(text) + ".")
        self.refused.emit(self.status.text())
