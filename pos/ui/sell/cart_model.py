"""The cart table: one row per cart line, read from the latest CartView (never from the live Cart)."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from pos.ui.formatting import MoneyFormatter
from pos.ui.rows_model import ModelIndex, RowsTableModel
from pos.ui.sell.cart_keeper import CartLineView, CartView

log = logging.getLogger(__name__)

HEADERS = ("Item", "Qty", "Unit price", "Discount", "Amount")
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
WARNING = "⚠"
WARNING_COLOUR = QColor("#b3261e")


def stock_warning(line: CartLineView) -> str | None:
    if line.stock_after is None or line.stock_after >= 0:
        return None
    return (
        f"Stock goes below zero: {line.stock_after:,} left after this sale. "
        "The sale is allowed; tell the stock keeper."
    )


class CartTableModel(RowsTableModel):
    HEADERS = HEADERS

    def __init__(self, money: MoneyFormatter, parent: Any = None) -> None:
        super().__init__(parent)
        self.money = money

    def set_view(self, view: CartView) -> None:
        self.replace_rows(view.lines)

    def row_of(self, line_id: str | None) -> int | None:
        for row, line in enumerate(self._rows):
            if line.line_id == line_id:
                return row
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(HEADERS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return LEFT if section == 0 else RIGHT
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        line = self.row_at(index.row()) if index.isValid() else None
        if line is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(line, column)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return LEFT if column == 0 else RIGHT
        warning = stock_warning(line)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 0:
                return "\n".join(
                    part for part in (line.title, f"SKU {line.sku}" if line.sku else "", warning) if part
                )
            return warning if column == 1 else None
        if role == Qt.ItemDataRole.ForegroundRole and warning and column in (0, 1):
            return QBrush(WARNING_COLOUR)
        return None

    def _text(self, line: CartLineView, column: int) -> str:
        money = self.money
        if column == 0:
            marker = f"{WARNING} " if stock_warning(line) else ""
            return f"{marker}{line.title}"
        if column == 1:
            return f"{line.quantity:,}"
        if column == 2:
            return money.format(line.unit_price)
        if column == 3:
            if not line.discount:
                return ""
            shown = f"−{money.format(line.discount)}"
            return f"{line.discount_text}  {shown}" if line.discount_text.endswith("%") else shown
        return money.format(line.amount)
