"""A small read-only list model for the sell screen's pickers (variants, products, customers, carts)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

ModelIndex = QModelIndex | QPersistentModelIndex


class ChoiceListModel(QAbstractListModel):
    """Shows `describe(item)` for each item; `item_at(row)` gives the item back."""

    def __init__(self, describe: Callable[[Any], str], parent: Any = None) -> None:
        super().__init__(parent)
        self._describe = describe
        self._items: list[Any] = []

    def set_items(self, items: Sequence[Any]) -> None:
        self.beginResetModel()
        self._items = list(items)
        self.endResetModel()

    def items(self) -> list[Any]:
        return list(self._items)

    def item_at(self, row: int) -> Any:
        return self._items[row] if 0 <= row < len(self._items) else None

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        item = self.item_at(index.row()) if index.isValid() else None
        if item is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._describe(item)
        return None
