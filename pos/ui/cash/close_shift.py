"""Close the shift with a blind count: the cashier counts the cash by denomination and types the
card terminal's batch total first; only then are expected, counted and the variance per tender
shown (the Z report).

The close runs through Approvals: a variance above the shop's limit makes CashSessions.close
raise PermissionDenied, a manager approves with their PIN, and the close runs again with the
approval. Until it is accepted nothing is written and the shift stays open.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QLineEdit, QVBoxLayout, QWidget

from pos.domain.money import Money
from pos.ui.cash.count_grid import DenominationGrid
from pos.ui.cash.dialog import CashDialog
from pos.ui.formatting import MoneyFormatter
from pos.ui.sell.entry import EntryError, parse_amount
from pos.ui.staff.approval import Approvals


class CloseShiftDialog(CashDialog):
    closed_shift = Signal(object)  # the ZReport

    def __init__(self, cash: Any, actor: Any, approvals: Approvals, money: MoneyFormatter,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__("closeShiftDialog", "Close shift — blind count", parent)
        self._cash, self._actor, self._approvals, self.money = cash, actor, approvals, money
        self.grid = DenominationGrid(money, self)
        self.card_edit = QLineEdit(self)
        self.card_edit.setObjectName("cardCountEdit")
        self.card_edit.setPlaceholderText("0.00")
        form = QFormLayout()
        form.addRow("Card terminal batch total", self.card_edit)
        layout = QVBoxLayout(self)
        headline = "Count the drawer. The expected figures show after you count."
        layout.addWidget(self.label(headline, "cashHeadline"))
        layout.addWidget(self.grid)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.label("Enter: next field (the card total comes last) · Ctrl+Enter: close the "
                                    "shift · Esc: cancel, the shift stays open", "cashHint"))  # fmt: skip
        self.grid.last_entered.connect(lambda: self.card_edit.setFocus())
        self.card_edit.returnPressed.connect(self.submit)
        self.submit_on_ctrl_enter(self.submit)
        self.grid.focus_first()

    def card_total(self) -> Money:
        text = self.card_edit.text()
        if not text.strip():
            return Money.zero(self.money.currency)
        return parse_amount(text, self.money.currency, allow_zero=True)

    def submit(self) -> None:
        if self.busy:
            return
        try:
            card = self.card_total()
        except EntryError as exc:
            self.failed(exc)
            self.card_edit.setFocus()
            return
        self.busy = True
        self._approvals.run(self._cash.close, self._actor, self.grid.counts(), {"card": card}, parent=self,
                            then=lambda z: self.done_with(self.closed_shift, z), failed=self.failed,
                            cancelled=self._not_approved)  # fmt: skip

    def _not_approved(self) -> None:
        self.refuse("Not approved: the shift stays open. Count again, or ask a manager to approve.")
