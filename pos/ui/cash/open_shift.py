"""Open a shift: count the float by denomination, then Enter on the last field or Ctrl+Enter.

The counts go to CashSessions.open on the "db" lane; a refusal (a negative or non-numeric count, a
shift already open) is shown here and nothing is saved.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

from pos.domain.errors import sentence
from pos.ui.cash.count_grid import DenominationGrid
from pos.ui.formatting import MoneyFormatter
from pos.ui.tasks import Tasks

log = logging.getLogger(__name__)

DIALOG_STYLE = """
QLabel#dialogError { color: #b3261e; font-weight: 600; }
QLabel#cashHint { color: #4a5553; }
QLabel#cashHeadline { font-size: 14pt; font-weight: 600; color: #1d2424; }
"""


def submit_keys(dialog: QDialog, slot: Any) -> None:
    """Ctrl+Enter (both Enter keys) submits a cash dialog from any field."""
    for key in ("Ctrl+Return", "Ctrl+Enter"):
        shortcut = QShortcut(QKeySequence(key), dialog)
        shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        shortcut.activated.connect(slot)


class OpenShiftDialog(QDialog):
    opened = Signal(object)  # the CashSession
    refused = Signal(str)

    def __init__(self, cash: Any, actor: Any, tasks: Tasks, money: MoneyFormatter,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.setObjectName("openShiftDialog")
        self.setWindowTitle("Open shift")
        self.setModal(True)
        self.setStyleSheet(DIALOG_STYLE)
        self._cash, self._actor, self._tasks = cash, actor, tasks
        self.busy = False
        headline = QLabel(f"Count the float in the drawer, {actor.name}", self)
        headline.setObjectName("cashHeadline")
        self.grid = DenominationGrid(money, self)
        self.error = QLabel(self)
        self.error.setObjectName("dialogError")
        self.error.setWordWrap(True)
        self.error.hide()
        hint = QLabel("Pieces of each note and coin. Enter: next field · Ctrl+Enter: open the shift · "
                      "Esc: cancel", self)  # fmt: skip
        hint.setObjectName("cashHint")
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        for widget in (headline, self.grid, self.error, hint):
            layout.addWidget(widget)
        self.grid.last_entered.connect(self.submit)
        submit_keys(self, self.submit)
        self.grid.focus_first()

    def submit(self) -> None:
        if self.busy:
            return
        self.busy = True
        self._tasks.run(self._cash.open, self._actor, self.grid.counts(), lane="db",
                        on_success=self._opened, on_failure=self._failed)  # fmt: skip

    def _opened(self, session: Any) -> None:
        self.busy = False
        self.opened.emit(session)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        show_refusal(self.error, exc)
        self.refused.emit(self.error.text())


def show_refusal(label: QLabel, exc: BaseException) -> None:
    if not isinstance(exc, ValueError):
        log.error("cash session action failed", exc_info=exc)
    text = str(exc) or "That did not work; nothing was saved."
    label.setText(f"{sentence(text)}. Nothing was saved." if not text.endswith(".") else text)
    label.show()
