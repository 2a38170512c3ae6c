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
from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from pos.domain.money import Money
from pos.ui.cash.count_grid import DenominationGrid
from pos.ui.cash.open_shift import DIALOG_STYLE, show_refusal, submit_keys
from pos.ui.formatting import MoneyFormatter
from pos.ui.sell.entry import EntryError, parse_amount
from pos.ui.staff.approval import Approvals


class CloseShiftDialog(QDialog):
    closed_shift = Signal(object)  # the ZReport
    refused = Signal(str)

    def __init__(self, cash: Any, actor: Any, approvals: Approvals, money: MoneyFormatter,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.setObjectName("closeShiftDialog")
        self.setWindowTitle("Close shift — blind count")
        self.setModal(True)
        self.setStyleSheet(DIALOG_STYLE)
        self._cash, self._actor, self._approvals, self.money = cash, actor, approvals, money
        self.busy = False
        headline = QLabel("Count the drawer. The expected figures show after you count.", self)
        headline.setObjectName("cashHeadline")
        headline.setWordWrap(True)
        self.grid = DenominationGrid(money, self)
        self.card_edit = QLineEdit(self)
        self.card_edit.setObjectName("cardCountEdit")
        self.card_edit.setPlaceholderText("0.00")
        form = QFormLayout()
        form.addRow("Card terminal batch total", self.card_edit)
        self.error = QLabel(self)
        self.error.setObjectName("dialogError")
        self.error.setWordWrap(True)
        self.error.hide()
        hint = QLabel("Enter: next field (the card total comes last) · Ctrl+Enter: close the shift · "
                      "Esc: cancel, the shift stays open", self)  # fmt: skip
        hint.setObjectName("cashHint")
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(headline)
        layout.addWidget(self.grid)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(hint)
        self.grid.last_entered.connect(lambda: self.card_edit.setFocus())
        self.card_edit.returnPressed.connect(self.submit)
        submit_keys(self, self.submit)
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
            self._failed(exc)
            self.card_edit.setFocus()
            return
        self.busy = True
        self._approvals.run(self._cash.close, self._actor, self.grid.counts(), {"card": card}, parent=self,
                            then=self._closed, failed=self._failed, cancelled=self._not_approved)  # fmt: skip

    def _closed(self, z: Any) -> None:
        self.busy = False
        self.closed_shift.emit(z)
        self.accept()

    def _not_approved(self) -> None:
        self.busy = False
        self.error.setText("Not approved: the shift stays open. Count again, or ask a manager to approve.")
        self.error.show()
        self.refused.emit(self.error.text())

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        show_refusal(self.error, exc)
        self.refused.emit(self.error.text())
