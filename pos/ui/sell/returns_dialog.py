"""F9: a return against a receipt number, scanned from the receipt or typed.

Keyboard: the receipt field has the keyboard first (scan or type, Enter). Then the lines table:
↑ ↓ choose a line, + / − or type a number to set how many come back. Alt+O / Alt+C pick
the original payment or cash, Alt+S toggles restock, the reason field is Tab away, and F12 makes
the return. Anything refused shows a message here, and nothing is written until F12 succeeds.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QElapsedTimer, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pos.domain import returns as rules
from pos.domain.errors import DomainError
from pos.domain.money import Money
from pos.ui.formatting import MoneyFormatter
from pos.ui.sell.returns_model import RETURN_COLUMN, ReturnLinesModel
from pos.ui.tasks import Tasks

log = logging.getLogger(__name__)

TYPING_PAUSE_MS = 800


class ReturnsDialog(QDialog):
    sale_shown = Signal(object)  # ReturnableSale
    return_completed = Signal(object)  # CompletedReturn
    refused = Signal(str)

    def __init__(
        self, returns: Any, tasks: Tasks, money: MoneyFormatter, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("returnsDialog")
        self.setWindowTitle("Return")
        self.setModal(True)
        self._returns = returns
        self._tasks = tasks
        self.money = money
        self.sale: Any = None
        self.busy = False
        self.error_text = ""

        self.number_edit = QLineEdit(self)
        self.number_edit.setObjectName("receiptNumber")
        self.number_edit.setPlaceholderText("Scan the receipt or type its number, e.g. T1-000042, then Enter")
        self.sale_label = QLabel(self)
        self.sale_label.setObjectName("saleSummary")
        self.model = ReturnLinesModel(money, self)
        self.table = QTableView(self)
        self.table.setObjectName("returnLines")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        # Digits typed on a line set its quantity directly (no cell editor to open and close).
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self._typed = ""
        self._typed_at = QElapsedTimer()
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setTabKeyNavigation(False)
        self.original = QRadioButton("&Original payment", self)
        self.cash = QRadioButton("&Cash", self)
        self.original.setChecked(True)
        self.restock = QCheckBox("Put back in &stock", self)
        self.restock.setChecked(True)
        self.reason_edit = QLineEdit(self)
        self.reason_edit.setObjectName("returnReason")
        self.reason_edit.setPlaceholderText("Reason (optional)")
        self.refund_label = QLabel(self)
        self.refund_label.setObjectName("refundPreview")
        self.error_label = QLabel(self)
        self.error_label.setObjectName("dialogError")
        self.error_label.setWordWrap(True)
        self.go_button = QPushButton("F12  Make the return", self)
        self.go_button.setObjectName("functionKey")
        self.go_button.setAutoDefault(False)
        self.go_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.go_button.clicked.connect(self.make_return)
        self._build()
        self.number_edit.returnPressed.connect(self.find)
        self.reason_edit.returnPressed.connect(self.make_return)
        self.model.refused.connect(self.show_error)
        self.model.quantities_changed.connect(self._preview)
        self.original.toggled.connect(self._preview)
        self.table.installEventFilter(self)
        QShortcut(QKeySequence("F12"), self).activated.connect(self.make_return)
        self.resize(820, 520)
        self.number_edit.setFocus()

    def _build(self) -> None:
        options = QHBoxLayout()
        options.addWidget(QLabel("Refund to:", self))
        options.addWidget(self.original)
        options.addWidget(self.cash)
        options.addSpacing(20)
        options.addWidget(self.restock)
        options.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.number_edit)
        layout.addWidget(self.sale_label)
        layout.addWidget(self.table, 1)
        layout.addLayout(options)
        layout.addWidget(self.reason_edit)
        layout.addWidget(self.refund_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.go_button)
        hint = QLabel(
            "↑ ↓ choose a line  ·  + − or digits: how many come back  ·  Alt+O / Alt+C refund to  ·  "
            "Alt+S restock  ·  F12 make the return  ·  Esc close",
            self,
        )
        hint.setObjectName("promptHint")
        layout.addWidget(hint)

    def show_error(self, text: str) -> None:
        self.error_text = text
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))
        if text:
            self.refused.emit(text)

    # --- finding the sale -------------------------------------------------------------------------

    def find(self) -> None:
        text = self.number_edit.text()
        if not text.strip() or self.busy:
            return
        self.show_error("")

        def found(sale: Any) -> None:
            self.show_sale(sale)

        def failed(exc: BaseException) -> None:
            if not isinstance(exc, ValueError):
                log.error("finding sale %r failed", text, exc_info=exc)
            self.sale = None
            self.model.set_lines([])
            self.sale_label.setText("")
            self.show_error(str(exc))
            self.number_edit.selectAll()

        self._tasks.run(
            self._returns.find_sale_or_explain, text, lane="db", on_success=found, on_failure=failed
        )

    def show_sale(self, sale: Any) -> None:
        self.sale = sale
        self.number_edit.setText(sale.number)
        self.model.set_lines(list(sale.lines))
        earlier = f" · earlier returns: {', '.join(sale.earlier_returns)}" if sale.earlier_returns else ""
        self.sale_label.setText(
            f"Sale {sale.number} · {sale.created_at[:16].replace('T', ' ')} · "
            f"{self.money.format(sale.total.minor)}{earlier}"
        )
        if sale.fully_returned:
            self.show_error(f"Everything on {sale.number} has been returned already.")
        self.table.setFocus()
        self.table.setCurrentIndex(self.model.index(0, RETURN_COLUMN))
        self.sale_shown.emit(sale)

    # --- quantities and preview -------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            row = self.table.currentIndex().row()
            text = event.text()
            if row < 0 or not text or not text.isprintable() or text.isspace():
                return super().eventFilter(watched, event)
            if text in ("+", "-"):
                self._typed = ""
                if self.model.set_quantity(row, self.model.quantity(row) + (1 if text == "+" else -1)):
                    self.show_error("")
            elif text.isdigit():
                self._type_digit(row, text)
            else:
                self.show_error(f"“{text}” is not a quantity: type a number, or + and − on a line.")
            return True
        return super().eventFilter(watched, event)

    def _type_digit(self, row: int, digit: str) -> None:
        """Digits typed in quick succession make one number ("1", "2" -> 12)."""
        if not self._typed_at.isValid() or self._typed_at.elapsed() > TYPING_PAUSE_MS:
            self._typed = ""
        self._typed_at.start()
        self._typed += digit
        if self.model.set_quantity(row, int(self._typed)):
            self.show_error("")
        else:
            self._typed = ""

    def refund_to(self) -> str:
        return "cash" if self.cash.isChecked() else "original"

    def _preview(self) -> None:
        quantities = self.model.quantities()
        if self.sale is None or not quantities:
            self.refund_label.setText("")
            return
        try:
            refunds = rules.plan_return([line.as_sold_line() for line in self.sale.lines], quantities)
            amount = sum((r.amount for r in refunds), Money.zero(self.sale.currency))
            split = rules.split_refund(
                amount,
                self.sale.payments,
                refund_to=self.refund_to(),
                refunded_before=self.sale.refunded_by_method,
            )
        except DomainError as exc:
            self.refund_label.setText("")
            self.show_error(str(exc))
            return
        ways = ", ".join(f"{r.method} {self.money.format(r.amount.minor)}" for r in split)
        self.refund_label.setText(f"Refund {self.money.format(amount.minor)}  ({ways})")

    # --- the return -------------------------------------------------------------------------------

    def make_return(self) -> None:
        if self.busy:
            return
        if self.sale is None:
            self.show_error("Find the sale first: scan the receipt or type its number, then Enter.")
            return
        quantities = self.model.quantities()
        if not quantities:
            self.show_error("Choose how many of which item come back (+ or a number on a line).")
            return
        self.busy = True
        self.show_error("")
        reason = self.reason_edit.text().strip() or None

        def done(completed: Any) -> None:
            self.busy = False
            self.return_completed.emit(completed)
            self.accept()

        def failed(exc: BaseException) -> None:
            self.busy = False
            if not isinstance(exc, ValueError):
                log.error("return failed", exc_info=exc)
            self.show_error(str(exc) or "The return could not be recorded; nothing was written.")

        sale, refund_to, restock = self.sale, self.refund_to(), self.restock.isChecked()

        def create() -> Any:  # on the db lane: only the values read above, no widgets
            return self._returns.create_return(
                sale, quantities, refund_to=refund_to, restock=restock, reason=reason
            )

        self._tasks.run(create, lane="db", on_success=done, on_failure=failed)

    def reject(self) -> None:
        if not self.busy:
            super().reject()
