"""Pick one variant of a product: arrows move, Enter picks, Esc cancels."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QLabel, QListView, QVBoxLayout, QWidget

from pos.ui.formatting import MoneyFormatter
from pos.ui.sell.choice_list import ChoiceListModel

log = logging.getLogger(__name__)


def choice_id(choice: Any) -> str:
    return str(getattr(choice, "variant_id", None) or choice.id)


def describe_choice(choice: Any, money: MoneyFormatter) -> str:
    price = getattr(choice, "price", None)
    minor = getattr(price, "minor", price)
    parts = [getattr(choice, "title", "") or "", getattr(choice, "sku", "") or ""]
    if minor is not None:
        parts.append(money.format(minor))
    stock = getattr(choice, "stock", None)
    if stock is not None:
        parts.append(f"stock {stock:,}")
    return "   ·   ".join(part for part in parts if part)


class VariantPicker(QDialog):
    picked = Signal(str)  # variant id

    def __init__(
        self, choices: Any, money: MoneyFormatter, parent: QWidget | None = None, title: str = "Which one?"
    ) -> None:
        super().__init__(parent)
        self.setObjectName("variantPicker")
        self.setWindowTitle(title)
        self.setModal(True)
        self.model = ChoiceListModel(lambda choice: describe_choice(choice, money), self)
        self.model.set_items(list(choices))
        self.list = QListView(self)
        self.list.setObjectName("variantList")
        self.list.setModel(self.model)
        self.list.setCurrentIndex(self.model.index(0, 0))
        self.list.installEventFilter(self)
        hint = QLabel("↑ ↓ to choose, Enter to add, Esc to cancel", self)
        hint.setObjectName("promptHint")
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addWidget(hint)
        self.resize(560, 320)
        self.list.setFocus()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        key_press = event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
        if watched is self.list and key_press and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.choose()
            return True
        return super().eventFilter(watched, event)

    def choose(self) -> None:
        choice = self.model.item_at(self.list.currentIndex().row())
        if choice is None:
            return
        self.accept()
        self.picked.emit(choice_id(choice))
