"""Pay in, pay out, or drop cash to the safe: amount, Enter, reason, Enter.

CashSessions.move checks the rest (a reason for pay-ins and pay-outs, no more out than the drawer
holds) on the "db" lane; a refusal is shown here and nothing is saved.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from pos.domain.cash import MAX_REASON_CHARS
from pos.ui.cash.open_shift import DIALOG_STYLE, show_refusal, submit_keys
from pos.ui.formatting import MoneyFormatter
from pos.ui.sell.entry import EntryError, parse_amount
from pos.ui.staff.approval import Approvals

TITLES = {"pay_in": "Pay in", "pay_out": "Pay out", "drop": "Drop to the safe"}
QUESTIONS = {
    "pay_in": "Cash put into the drawer (change from the bank, a float top-up…)",
    "pay_out": "Cash taken out of the drawer to pay for something (a window cleaner, stamps…)",
    "drop": "Cash taken out of the drawer to the safe",
}


class CashMovementDialog(QDialog):
    moved = Signal(object)  # the CashSession after the movement
    refused = Signal(str)

    def __init__(self, kind: str, cash: Any, actor: Any, approvals: Approvals, money: MoneyFormatter,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.setObjectName("cashMovementDialog")
        self.setWindowTitle(TITLES[kind])
        self.setModal(True)
        self.setStyleSheet(DIALOG_STYLE)
        self.kind, self._cash, self._actor, self._approvals, self.money = kind, cash, actor, approvals, money
        self.busy = False
        question = QLabel(QUESTIONS[kind], self)
        question.setObjectName("cashHeadline")
        question.setWordWrap(True)
        self.amount_edit = QLineEdit(self)
        self.amount_edit.setObjectName("amountEdit")
        self.amount_edit.setPlaceholderText("0.00")
        self.reason_edit = QLineEdit(self)
        self.reason_edit.setObjectName("reasonEdit")
        self.reason_edit.setMaxLength(MAX_REASON_CHARS)
        self.reason_edit.setPlaceholderText("optional for a drop" if kind == "drop" else "why")
        form = QFormLayout()
        form.addRow("Amount", self.amount_edit)
        form.addRow("Reason", self.reason_edit)
        self.error = QLabel(self)
        self.error.setObjectName("dialogError")
        self.error.setWordWrap(True)
        self.error.hide()
        hint = QLabel("Enter: next field, then record it · Esc: cancel", self)
        hint.setObjectName("cashHint")
        layout = QVBoxLayout(self)
        layout.addWidget(question)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(hint)
        self.setMinimumWidth(440)
        self.amount_edit.returnPressed.connect(self.reason_edit.setFocus)
        self.reason_edit.returnPressed.connect(self.submit)
        submit_keys(self, self.submit)
        self.amount_edit.setFocus()

    def submit(self) -> None:
        if self.busy:
            return
        try:
            amount = parse_amount(self.amount_edit.text(), self.money.currency)
        except EntryError as exc:
            self._failed(exc)
            self.amount_edit.setFocus()
            self.amount_edit.selectAll()
            return
        self.busy = True
        self._approvals.run(self._cash.move, self._actor, self.kind, amount, self.reason_edit.text(),
                            parent=self, then=self._moved, failed=self._failed,
                            cancelled=self._not_approved)  # fmt: skip

    def _moved(self, session: Any) -> None:
        self.busy = False
        self.moved.emit(session)
        self.accept()

    def _not_approved(self) -> None:
        self.busy = False

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        show_refusal(self.error, exc)
        self.refused.emit(self.error.text())
