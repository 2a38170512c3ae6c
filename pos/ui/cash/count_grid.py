"""Count a drawer by denomination: one field per note and coin, the running total below.

Counts are kept as typed and checked by the domain (pos.domain.cash.count_cash) when the dialog
submits, so a negative or non-numeric count is refused with a message naming the note or coin and
nothing is saved. While typing, a count that is not a whole number shows "?" beside it.
Keyboard: Enter or ↓ moves to the next field, ↑ to the previous one.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QLineEdit, QWidget

from pos.domain.cash import denominations
from pos.ui.formatting import MoneyFormatter

COUNT_STYLE = """
QLineEdit#countEdit { font-size: 12pt; padding: 2px 6px; }
QLabel#countTotal { font-size: 16pt; font-weight: 700; color: #1d2424; }
QLabel#countValue { color: #4a5553; }
"""


class DenominationGrid(QWidget):
    """`last_entered` when Enter is pressed in the last field (the dialog may submit then)."""

    last_entered = Signal()

    def __init__(self, money: MoneyFormatter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(COUNT_STYLE)
        self.money = money
        self.values = denominations(money.currency)
        self.edits: dict[int, QLineEdit] = {}
        self._subtotals: dict[int, QLabel] = {}
        grid = QGridLayout(self)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(4)
        half = (len(self.values) + 1) // 2  # notes and large coins left, small coins right
        for position, value in enumerate(self.values):
            row, column = position % half, 4 * (position // half)
            label = QLabel(money.format(value), self)
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            edit = QLineEdit(self)
            edit.setObjectName("countEdit")
            edit.setAccessibleName(f"Count of {money.format(value)}")
            edit.setPlaceholderText("0")
            edit.setFixedWidth(80)
            edit.textChanged.connect(lambda _text, v=value: self._changed(v))
            edit.installEventFilter(self)
            subtotal = QLabel(self)
            subtotal.setObjectName("countValue")
            subtotal.setMinimumWidth(90)
            grid.addWidget(label, row, column)
            grid.addWidget(edit, row, column + 1)
            grid.addWidget(subtotal, row, column + 2)
            self.edits[value] = edit
            self._subtotals[value] = subtotal
        grid.setColumnMinimumWidth(3, 24)
        self.total_label = QLabel(self)
        self.total_label.setObjectName("countTotal")
        grid.addWidget(self.total_label, half, 0, 1, 7)
        self._show_total()

    def counts(self) -> dict[int, str]:
        """What was typed, by denomination (minor units); empty fields mean none."""
        return {value: edit.text() for value, edit in self.edits.items() if edit.text().strip()}

    def focus_first(self) -> None:
        first = self.edits[self.values[0]]
        first.setFocus(Qt.FocusReason.OtherFocusReason)
        first.selectAll()

    def total(self) -> int | None:
        """The counted total in minor units, None while any count is not a whole number."""
        total = 0
        for value, edit in self.edits.items():
            pieces = _pieces(edit.text())
            if pieces is None:
                return None
            total += value * pieces
        return total

    def _changed(self, value: int) -> None:
        pieces = _pieces(self.edits[value].text())
        text = "" if pieces == 0 else "?" if pieces is None else self.money.format(pieces * value)
        self._subtotals[value].setText(text)
        self._show_total()

    def _show_total(self) -> None:
        total = self.total()
        self.total_label.setText(
            f"Counted  {self.money.format(total)}" if total is not None else "Counted  ? (check the counts)"
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key, modifiers = event.key(), event.modifiers()
            order = [self.edits[v] for v in self.values]
            if watched in order and not modifiers & Qt.KeyboardModifier.ControlModifier:
                at = order.index(watched)  # type: ignore[arg-type]
                if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Down):
                    if at + 1 < len(order):
                        order[at + 1].setFocus(Qt.FocusReason.TabFocusReason)
                        order[at + 1].selectAll()
                    elif key != Qt.Key.Key_Down:
                        self.last_entered.emit()
                    return True
                if key == Qt.Key.Key_Up and at > 0:
                    order[at - 1].setFocus(Qt.FocusReason.BacktabFocusReason)
                    order[at - 1].selectAll()
                    return True
        return super().eventFilter(watched, event)


def _pieces(text: str) -> int | None:
    text = text.strip()
    if not text:
        return 0
    return int(text) if text.isascii() and text.isdigit() else None
