"""Pay in, pay out, or drop cash to the safe: amount, Enter, reason, Enter.

CashSessions.move checks the rest (a reason for pay-ins and pay-outs, no more out than the drawer
holds) on the "db" lane; a refusal is shown here and nothing is saved.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QLineEdit, QVBoxLayout, QWidget

from pos.domain.cash import MAX_REASON_CHARS
from pos.ui.cash.dialog import CashDialog
from pos.ui.formatting import MoneyFormatter
from pos.ui.sell.entry import EntryError, parse_amount
from pos.ui.staff.approval import Approvals

TITLES = {"pay_in": "Pay in", "pay_out": "Pay out", "drop": "Drop to the safe"}
QUESTIONS = {
    "pay_in": "Cash put into the drawer (change from the bank, a float top-up…)",
    "pay_out": "Cash taken out of the drawer to pay for something (a window cleaner, stamps…)",
    "drop": "Cash taken out of the drawer to the safe",
}


class CashMovementDialog(CashDialog):
    moved = Signal(object)  # the CashSession after the movement

    def __init__(self, kind: str, cash: Any, actor: Any, approvals: Approvals, money: MoneyFormatter,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__("cashMovementDialog", TITLES[kind], parent)
        self.kind, self._cash, self._actor, self._approvals, self.money = kind, cash, actor, approvals, money
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
        layout = QVBoxLayout(self)
        layout.addWidget(self.label(QUESTIONS[kind], "cashHeadline"))
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.label("Enter: next field, then record it · Esc: cancel", "cashHint"))
        self.setMinimumWidth(440)
        self.amount_edit.returnPressed.connect(self.reason_edit.setFocus)
        self.reason_edit.returnPressed.connect(self.submit)
        self.submit_on_ctrl_enter(self.submit)
        self.amount_edit.setFocus()

    def submit(self) -> None:
        if self.busy:
            return
        try:
            amount = parse_amount(self.amount_edit.text(), self.money.currency)
        except EntryError as exc:
            self.failed(exc)
            self.amount_edit.setFocus()
            self.amount_edit.selectAll()
            return
        self.busy = True
        self._approvals.run(self._cash.move, self._actor, self.kind, amount, self.reason_edit.text(),
                            parent=self, then=lambda session: self.done_with(self.moved, session),
                            failed=self.failed, cancelled=self._not_approved)  # fmt: skip

    def _not_approved(self) -> None:
        self.busy = False
