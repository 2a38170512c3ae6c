"""Take payment: cash with change, card on an external terminal, or several payments (split tender).

Keyboard: type the amount handed over and Enter (cash); F3 card for the amount in the field;
F4 takes the amount as a part payment in cash; F5.. quick-cash amounts; F10 removes the last
payment; Esc cancels while nothing is committed. The sale is committed (by the sell screen, on the
db lane) only once the payments cover the total; then the dialog shows the change, big, and the
receipt number, and Enter closes it. Refused input shows a message here and changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pos.domain.money import Money
from pos.domain.tender import Tender, quick_cash, tender_label
from pos.ui.formatting import MoneyFormatter
from pos.ui.sell.entry import EntryError, parse_amount

log = logging.getLogger(__name__)

QUICK_KEYS = ("F5", "F6", "F7", "F8", "F9")


class PaymentDialog(QDialog):
    commit_requested = Signal(object)  # list[Tender] covering the total

    def __init__(self, total: Money, money: MoneyFormatter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("paymentDialog")
        self.setWindowTitle("Payment")
        self.setModal(True)
        self.total = total
        self.money = money
        self.tenders: list[Tender] = []
        self.busy = False
        self.completed: Any = None
        self.error_text = ""

        self.due_label = QLabel(f"To pay  {money.format(total.minor)}", self)
        self.due_label.setObjectName("paymentDue")
        self.remaining_label = QLabel(self)
        self.remaining_label.setObjectName("paymentRemaining")
        self.tenders_label = QLabel(self)
        self.tenders_label.setObjectName("tenderList")
        self.amount_edit = QLineEdit(self)
        self.amount_edit.setObjectName("amountEdit")
        self.reference_edit = QLineEdit(self)
        self.reference_edit.setObjectName("cardReference")
        self.reference_edit.setPlaceholderText("Card terminal reference (optional)")
        self.error_label = QLabel(self)
        self.error_label.setObjectName("dialogError")
        self.error_label.setWordWrap(True)
        self.change_label = QLabel(self)
        self.change_label.setObjectName("changeDue")
        self.change_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.paid_label = QLabel(self)
        self.paid_label.setObjectName("paidBanner")
        self.paid_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.paid_label.setWordWrap(True)
        self.quick_buttons: list[QPushButton] = []
        self.method_buttons: list[QPushButton] = []
        self.done_button = QPushButton("Done (Enter)", self)
        self.done_button.setObjectName("paymentDone")
        self.done_button.clicked.connect(self.accept)
        self._build()
        self._refresh()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.addWidget(self.due_label)
        layout.addWidget(self.remaining_label)
        layout.addWidget(self.tenders_label)
        form = QGridLayout()
        form.addWidget(QLabel("Amount", self), 0, 0)
        form.addWidget(self.amount_edit, 0, 1)
        form.addWidget(QLabel("Reference", self), 1, 0)
        form.addWidget(self.reference_edit, 1, 1)
        layout.addLayout(form)
        self.quick_row = QHBoxLayout()
        layout.addLayout(self.quick_row)
        methods = QHBoxLayout()
        for key, text, slot in (
            ("Enter", "Cash", self.pay_cash),
            ("F3", "Card", self.pay_card),
            ("F4", "Part payment in cash", self.pay_part_cash),
            ("F10", "Remove last payment", self.remove_last),
        ):
            button = QPushButton(f"{key}  {text}", self)
            button.setObjectName("functionKey")
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setAutoDefault(False)
            button.clicked.connect(slot)
            methods.addWidget(button)
            self.method_buttons.append(button)
            if key != "Enter":
                QShortcut(QKeySequence(key), self).activated.connect(slot)
        layout.addLayout(methods)
        layout.addWidget(self.error_label)
        layout.addWidget(self.change_label)
        layout.addWidget(self.paid_label)
        layout.addWidget(self.done_button)
        self.done_button.hide()
        self.change_label.hide()
        self.paid_label.hide()
        self.amount_edit.returnPressed.connect(self._enter)
        self.reference_edit.returnPressed.connect(self.pay_card)
        for position, key in enumerate(QUICK_KEYS):
            QShortcut(QKeySequence(key), self).activated.connect(lambda p=position: self.pay_quick(p))
        self.setMinimumWidth(620)

    # --- state -----------------------------------------------------------------------------------

    def given(self) -> Money:
        return sum((t.amount for t in self.tenders), Money.zero(self.total.currency))

    def remaining(self) -> Money:
        left = self.total - self.given()
        return left if left.minor > 0 else Money.zero(self.total.currency)

    def _refresh(self) -> None:
        left = self.remaining()
        self.remaining_label.setText(f"Still to pay  {self.money.format(left.minor)}" if self.tenders else "")
        self.remaining_label.setVisible(bool(self.tenders))
        lines = [
            f"{tender_label(t.method)}  {self.money.format(t.amount.minor)}"
            + (f"  (ref {t.reference})" if t.reference else "")
            for t in self.tenders
        ]
        self.tenders_label.setText("\n".join(lines))
        self.tenders_label.setVisible(bool(lines))
        self.amount_edit.setText(f"{left.to_decimal()}")
        self.amount_edit.selectAll()
        self.amount_edit.setFocus()
        self._quick_buttons(left)

    def _quick_buttons(self, left: Money) -> None:
        for button in self.quick_buttons:
            self.quick_row.removeWidget(button)
            button.deleteLater()
        self.quick_buttons = []
        self.quick_amounts = quick_cash(left) if left.minor > 0 else []
        for key, amount in zip(QUICK_KEYS, self.quick_amounts, strict=False):
            button = QPushButton(f"{key}  {self.money.format(amount.minor)}", self)
            button.setObjectName("quickCash")
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setAutoDefault(False)
            button.clicked.connect(lambda _checked=False, a=amount: self._add(Tender("cash", a)))
            self.quick_row.addWidget(button)
            self.quick_buttons.append(button)

    def show_error(self, text: str) -> None:
        self.error_text = text
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))
        self.amount_edit.selectAll()

    # --- tenders ---------------------------------------------------------------------------------

    def _amount(self) -> Money | None:
        try:
            return parse_amount(self.amount_edit.text(), self.total.currency)
        except EntryError as exc:
            self.show_error(str(exc))
            return None

    def _enter(self) -> None:
        if self.completed is not None:
            self.accept()
        else:
            self.pay_cash()

    def pay_cash(self) -> None:
        amount = self._amount() if self._can_take() else None
        if amount is None:
            return
        left = self.remaining()
        if amount < left:
            self.show_error(
                f"{self.money.format(amount.minor)} is less than the {self.money.format(left.minor)} "
                "still to pay. Type the full amount handed over, or press F4 to take it as a part payment."
            )
            return
        self._add(Tender("cash", amount))

    def pay_part_cash(self) -> None:
        amount = self._amount() if self._can_take() else None
        if amount is not None:
            self._add(Tender("cash", amount))

    def pay_card(self) -> None:
        amount = self._amount() if self._can_take() else None
        if amount is None:
            return
        left = self.remaining()
        if amount > left:
            self.show_error(
                f"A card pays at most the {self.money.format(left.minor)} still to pay: "
                "change is given only from cash."
            )
            return
        self._add(Tender("card", amount, self.reference_edit.text().strip() or None))
        self.reference_edit.clear()

    def pay_quick(self, position: int) -> None:
        if self._can_take() and position < len(self.quick_amounts):
            self._add(Tender("cash", self.quick_amounts[position]))

    def remove_last(self) -> None:
        if self._can_take() and self.tenders:
            self.tenders.pop()
            self.show_error("")
            self._refresh()

    def _can_take(self) -> bool:
        return not self.busy and self.completed is None

    def _add(self, tender: Tender) -> None:
        if not self._can_take():
            return
        self.show_error("")
        self.tenders.append(tender)
        if self.remaining().minor > 0:
            self._refresh()
            return
        self._set_busy(True)
        self.commit_requested.emit(list(self.tenders))

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.amount_edit.setEnabled(not busy)
        self.reference_edit.setEnabled(not busy)
        if busy:
            self.remaining_label.setText("Recording the sale…")
            self.remaining_label.show()

    # --- answers from the sell screen -------------------------------------------------------------

    def refused(self, message: str) -> None:
        """The checkout was refused: nothing was written; the last payment is taken off again."""
        self._set_busy(False)
        if self.tenders:
            self.tenders.pop()
        self._refresh()
        self.show_error(message)

    def paid(self, completed: Any) -> None:
        self._set_busy(False)
        self.completed = completed
        change = completed.settlement.change
        self.change_label.setText(f"Change  {self.money.format(change.minor)}")
        self.paid_label.setText(
            f"Paid — change {self.money.format(change.minor)} — receipt {completed.number}"
        )
        for widget in (self.amount_edit, self.reference_edit, *self.method_buttons, *self.quick_buttons):
            widget.setEnabled(False)
        self.remaining_label.hide()
        self.change_label.show()
        self.paid_label.show()
        self.done_button.show()
        self.done_button.setDefault(True)
        self.done_button.setFocus()

    def reject(self) -> None:
        if self.busy:
            return  # the commit is running: its answer decides
        if self.completed is not None:
            self.accept()  # Esc after "paid" just closes
            return
        super().reject()
