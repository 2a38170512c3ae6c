"""Open a shift: count the float by denomination, then Enter on the last field or Ctrl+Enter.

The counts go to CashSessions.open on the "db" lane; a refusal (a negative or non-numeric count, a
shift already open) is shown here and nothing is saved.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from pos.ui.cash.count_grid import DenominationGrid
from pos.ui.cash.dialog import CashDialog
from pos.ui.formatting import MoneyFormatter
from pos.ui.tasks import Tasks


class OpenShiftDialog(CashDialog):
    opened = Signal(object)  # the CashSession

    def __init__(self, cash: Any, actor: Any, tasks: Tasks, money: MoneyFormatter,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__("openShiftDialog", "Open shift", parent)
        self._cash, self._actor, self._tasks = cash, actor, tasks
        self.grid = DenominationGrid(money, self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label(f"Count the float in the drawer, {actor.name}", "cashHeadline"))
        layout.addWidget(self.grid)
        layout.addWidget(self.error)
        layout.addWidget(self.label("Pieces of each note and coin. Enter: next field · Ctrl+Enter: open the "
                                    "shift · Esc: cancel", "cashHint"))  # fmt: skip
        self.grid.last_entered.connect(self.submit)
        self.submit_on_ctrl_enter(self.submit)
        self.grid.focus_first()

    def submit(self) -> None:
        if self.busy:
            return
        self.busy = True
        self._tasks.run(self._cash.open, self._actor, self.grid.counts(), lane="db",
                        on_success=lambda session: self.done_with(self.opened, session),
                        on_failure=self.failed)  # fmt: skip
