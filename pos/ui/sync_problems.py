"""The sync problems list: mutations the shop refused (rejected) or found stale (conflict), parked.

One bad mutation never blocks the others; here a person decides: "send again" (the same mutation
id goes back in the queue, so one the shop did apply comes back as a duplicate, never twice) or
"discard" (asked first: the shop will never hear of it, and its pending stock deltas go too).
Keyboard: ↑ ↓ choose, Enter sends again, Del discards, Esc closes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QObject,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pos.ui.rows_model import ModelIndex, RowsTableModel
from pos.ui.tasks import Tasks

log = logging.getLogger(__name__)

HEADERS = ("Parked", "What", "Answer", "Reason")
STATUS_TEXT = {"rejected": "Refused", "conflict": "Conflict"}


def local_stamp(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value.astimezone().strftime("%d %b %H:%M") if isinstance(value, datetime) else ""


class ProblemsModel(RowsTableModel):
    HEADERS = HEADERS

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        problem = self.row_at(index.row()) if index.isValid() else None
        if problem is None or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        column = index.column()
        if column == 0:
            return local_stamp(getattr(problem, "parked_at", None))
        if column == 1:
            return getattr(problem, "summary", None) or getattr(problem, "type", "")
        if column == 2:
            status = getattr(problem, "status", "")
            return STATUS_TEXT.get(status, status)
        return getattr(problem, "reason", None) or ""


class SyncProblemsDialog(QDialog):
    listed = Signal(int)
    changed = Signal()  # a problem was sent again or discarded: counts in the status area moved

    def __init__(
        self, problems: Any, tasks: Tasks, parent: QWidget | None = None, approvals: Any = None
    ) -> None:
        """`problems`: SyncProblems, which nudges the sync engine itself after "send again";
        `approvals` (pos.ui.staff.approval.Approvals) asks a manager when a discard needs one."""
        super().__init__(parent)
        self.setObjectName("syncProblems")
        self.setWindowTitle("Sync problems")
        self._problems = problems
        self._tasks = tasks
        self._approvals = approvals
        self.confirm_box: QMessageBox | None = None
        self.model = ProblemsModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("problemTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(0, 110)
        self.table.setColumnWidth(1, 280)
        self.table.setColumnWidth(2, 90)
        self.table.installEventFilter(self)
        self.reason_label = QLabel(self)  # the whole reason of the selected problem, wrapped
        self.reason_label.setObjectName("problemReason")
        self.reason_label.setWordWrap(True)
        self.reason_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table.selectionModel().currentRowChanged.connect(
            lambda current, _p: self._show_reason(current.row())
        )
        self.status = QLabel("Loading…", self)
        self.status.setObjectName("promptHint")
        self.status.setWordWrap(True)
        self.send_button = self._button("Send again (Enter)", self.send_again)
        self.discard_button = self._button("Discard… (Del)", self.discard)
        buttons = QHBoxLayout()
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.discard_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.reason_label)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.resize(860, 380)
        self.table.setFocus()
        self.reload()

    def _button(self, text: str, slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(text, self)
        button.setAutoDefault(False)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.clicked.connect(slot)
        return button

    def reload(self) -> None:
        def show(rows: Any) -> None:
            self.model.replace_rows(rows)
            count = self.model.rowCount()
            if count:
                self.table.setCurrentIndex(self.model.index(0, 0))
                self.status.setText(
                    f"{count} mutation{'s' if count != 1 else ''} the shop did not take. "
                    "The rest keep syncing."
                )
            else:
                self.status.setText(
                    "No sync problems: everything this till did has reached the shop or is on its way."
                )
            self.send_button.setEnabled(bool(count))
            self.discard_button.setEnabled(bool(count))
            self.listed.emit(count)

        self._tasks.run(self._problems.list, lane="db", on_success=show, on_failure=self._failed)

    def _show_reason(self, row: int) -> None:
        problem = self.model.row_at(row)
        if problem is None:
            self.reason_label.setText("")
            return
        summary = getattr(problem, "summary", None) or problem.type
        self.reason_label.setText(f"{summary}: {getattr(problem, 'reason', '') or 'no reason given'}")

    def _failed(self, exc: BaseException) -> None:
        log.error("sync problems", exc_info=exc)
        self.status.setText(str(exc))

    def current(self) -> Any:
        return self.model.row_at(self.table.currentIndex().row())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.send_again()
                return True
            if event.key() == Qt.Key.Key_Delete:
                self.discard()
                return True
        return super().eventFilter(watched, event)

    def _done(self, _answer: object) -> None:
        self.changed.emit()
        self.reload()

    def send_again(self) -> None:
        problem = self.current()
        if problem is None:
            return

        self._tasks.run(
            self._problems.send_again, problem.id, lane="db", on_success=self._done, on_failure=self._failed
        )

    def discard(self) -> None:
        from pos.ui.sell.confirm import confirm

        problem = self.current()
        if problem is None:
            return
        what = getattr(problem, "summary", None) or problem.type

        def really() -> None:
            if self._approvals is None:
                self._tasks.run(self._problems.discard, problem.id, lane="db", on_success=self._done,
                                on_failure=self._failed)  # fmt: skip
                return
            self._approvals.run(self._problems.discard, problem.id, parent=self, then=self._done,
                                failed=self._failed,
                                cancelled=lambda: self.status.setText("Not approved: nothing was discarded."))

        self.confirm_box = confirm(
            self,
            "Discard",
            f"Discard “{what}”? The shop will never hear of it, and the stock it "
            "moved on this till is put back.",
            "Discard",
            really,
        )
