"""F2: find a product by name or SKU; Enter adds it, or asks which variant when it has several.

Search as you type (debounced), on the db lane; only the newest answer is shown. Down moves from
the field into the results; Enter in the field takes the highlighted (or first) result.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QListView, QVBoxLayout, QWidget

from pos.ui.debounce import search_as_you_type
from pos.ui.formatting import MoneyFormatter
from pos.ui.sell.choice_list import ChoiceListModel
from pos.ui.sell.variant_picker import choice_id
from pos.ui.tasks import Tasks

log = logging.getLogger(__name__)

DEBOUNCE_MS = 150


def product_variants(product: Any) -> list[Any]:
    return list(getattr(product, "variants", None) or ())


def describe_product(product: Any, money: MoneyFormatter) -> str:
    variants = product_variants(product)
    prices = [getattr(v.price, "minor", v.price) for v in variants if getattr(v, "price", None) is not None]
    price = money.range(min(prices), max(prices)) if prices else ""
    count = (
        f"{len(variants)} variants"
        if len(variants) > 1
        else (getattr(variants[0], "sku", "") if variants else "")
    )
    return "   ·   ".join(part for part in (product.title, count, price) if part)


class ProductSearchDialog(QDialog):
    variant_chosen = Signal(str)
    choices_needed = Signal(object)  # the variants of a product that has several
    results_shown = Signal(int)

    def __init__(
        self, checkout: Any, tasks: Tasks, money: MoneyFormatter, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("productSearch")
        self.setWindowTitle("Find a product")
        self.setModal(True)
        self._checkout = checkout
        self._tasks = tasks
        self._generation = 0
        self.edit = QLineEdit(self)
        self.edit.setObjectName("productSearchField")
        self.edit.setPlaceholderText("Name or SKU")
        self.model = ChoiceListModel(lambda product: describe_product(product, money), self)
        self.list = QListView(self)
        self.list.setObjectName("productResults")
        self.list.setModel(self.model)
        self.status = QLabel("Type a name or SKU; ↓ into the results, Enter to add, Esc to close", self)
        self.status.setObjectName("promptHint")
        layout = QVBoxLayout(self)
        layout.addWidget(self.edit)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.status)
        self.resize(640, 420)
        self._debounce = search_as_you_type(self.edit, self.search_now, DEBOUNCE_MS, self)
        self.edit.installEventFilter(self)
        self.list.installEventFilter(self)
        self.edit.setFocus()

    def search_now(self) -> None:
        self._debounce.stop()
        self._generation += 1
        generation, text = self._generation, self.edit.text().strip()
        if not text:
            self.model.set_items([])
            return

        def show(products: Any) -> None:
            if generation == self._generation:
                self.model.set_items(list(products))
                self.list.setCurrentIndex(self.model.index(0, 0))
                count = self.model.rowCount()
                self.status.setText(f"{count} found" if count else f"Nothing found for “{text}”")
                self.results_shown.emit(count)

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                log.error("product search failed", exc_info=exc)
                self.status.setText(f"Search failed: {exc}")

        self._tasks.run(self._checkout.find, text, 50, lane="db", on_success=show, on_failure=failed)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if self._debounce.isActive():
                    return True  # the answer for what was typed has not come yet
                self.choose()
                return True
            if watched is self.edit and key == Qt.Key.Key_Down and self.model.rowCount():
                self.list.setFocus()
                return True
        return super().eventFilter(watched, event)

    def choose(self) -> None:
        product = self.model.item_at(self.list.currentIndex().row())
        if product is None:
            return
        variants = product_variants(product)
        if not variants:
            self.status.setText(f"“{product.title}” has nothing to sell (no variants).")
            return
        self.accept()
        if len(variants) == 1:
            self.variant_chosen.emit(choice_id(variants[0]))
        else:
            self.choices_needed.emit(variants)
