"""The lines of a sale being returned: sold, already returned, returnable, and how many come back now.

The "Return" column is the only editable one. What the cashier types is checked here (a whole
number from 0 to what is returnable); a refused entry leaves the quantity as it was and is
reported through `refused`, for the dialog to show.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, Signal

from pos.ui.formatting import MoneyFormatter
from pos.ui.rows_model import ModelIndex, RowsTableModel

log = logging.getLogger(__name__)

HEADERS = ("Item", "Sold", "Returned", "Can return", "Amount", "Return now")
RETURN_COLUMN = 5
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


def sold(line: Any) -> int:
    return int(getattr(line, "sold", None) or getattr(line, "quantity", 0))


def returnable(line: Any) -> int:
    value = getattr(line, "returnable", None)
    return int(value) if value is not None else sold(line) - int(getattr(line, "returned", 0))


class ReturnLinesModel(RowsTableModel):
    HEADERS = HEADERS
    refused = Signal(str)
    quantities_changed = Signal()

    def __init__(self, money: MoneyFormatter, parent: Any = None) -> None:
        super().__init__(parent)
        self.money = money
        self._quantities: dict[str, int] = {}

    def set_lines(self, lines: list[Any]) -> None:
        self._quantities = {}
        self.replace_rows(lines)
        self.quantities_changed.emit()

    def quantities(self) -> dict[str, int]:
        """Line id -> units coming back now (lines with none left out)."""
        return {line_id: q for line_id, q in self._quantities.items() if q > 0}

    def quantity(self, row: int) -> int:
        line = self.row_at(row)
        return self._quantities.get(str(line.line_id), 0) if line is not None else 0

    def set_quantity(self, row: int, quantity: int) -> bool:
        line = self.row_at(row)
        if line is None:
            return False
        limit = returnable(line)
        if quantity < 0:
            self.refused.emit("A quantity to return cannot be negative.")
            return False
        if quantity > limit:
            self.refused.emit(
                f"“{line.title}”: only {limit} can still be returned "
                f"({sold(line)} sold, {sold(line) - limit} returned already)."
            )
            return False
        self._quantities[str(line.line_id)] = quantity
        index = self.index(row, RETURN_COLUMN)
        self.dataChanged.emit(index, index)
        self.quantities_changed.emit()
        return True

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid() and index.column() == RETURN_COLUMN and returnable(self.row_at(index.row())) > 0:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        line = self.row_at(index.row()) if index.isValid() else None
        if line is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return LEFT if column == 0 else RIGHT
        if role == Qt.ItemDataRole.EditRole and column == RETURN_COLUMN:
            return str(self.quantity(index.row()))  # a text editor: anything typed is checked in setData
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if column == 0:
            return line.title
        if column == 1:
            return f"{sold(line):,}"
        if column == 2:
            return f"{sold(line) - returnable(line):,}"
        if column == 3:
            return f"{returnable(line):,}"
        if column == 4:
            total = getattr(line, "total", None)
            return self.money.format(getattr(total, "minor", total)) if total is not None else ""
        return f"{self.quantity(index.row()):,}"

    def setData(self, index: ModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or index.column() != RETURN_COLUMN or role != Qt.ItemDataRole.EditRole:
            return False
        text = str(value).strip()
        if not text.isdigit():
            self.refused.emit(f"“{text}” is not a quantity: type a whole number such as 1.")
            return False
        return self.set_quantity(index.row(), int(text))
