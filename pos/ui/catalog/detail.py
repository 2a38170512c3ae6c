"""The product detail pane: title, category, tax, and every variant with its price and stock per location."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pos.ui.formatting import MoneyFormatter

log = logging.getLogger(__name__)

RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class DetailPane(QFrame):
    """Shows one `ProductDetail` (pos.services.catalog); a small model, so a standard item model."""

    def __init__(self, money: MoneyFormatter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailPane")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.money = money
        self.title_label = QLabel(self)
        self.title_label.setObjectName("detailTitle")
        self.title_label.setWordWrap(True)
        self.title_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        title_font = QFont(self.title_label.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.5)
        title_font.setBold(True)
        self.title_label.setFont(title_font)
        self.facts_label = QLabel(self)
        self.facts_label.setObjectName("detailFacts")
        self.facts_label.setWordWrap(True)
        self.description_label = QLabel(self)
        self.description_label.setObjectName("detailDescription")
        self.description_label.setWordWrap(True)
        self.variants_model = QStandardItemModel(0, 0, self)
        self.variants_view = QTableView(self)
        self.variants_view.setObjectName("variantTable")
        self.variants_view.setModel(self.variants_model)
        self.variants_view.setTabKeyNavigation(False)  # Tab leaves the table (back to the search)
        self.variants_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.variants_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.variants_view.verticalHeader().hide()
        self.variants_view.setShowGrid(False)
        self.variants_view.setAlternatingRowColors(True)
        self.variants_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.variants_view.horizontalHeader().setHighlightSections(False)
        self.variants_view.verticalHeader().setDefaultSectionSize(26)
        self.stock_label = QLabel(self)
        self.stock_label.setObjectName("detailStock")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(8)
        layout.addWidget(self.title_label)
        layout.addWidget(self.facts_label)
        layout.addWidget(self.description_label)
        heading = QLabel("Variants, prices and stock", self)
        heading.setObjectName("detailHeading")
        heading_font = QFont(heading.font())
        heading_font.setBold(True)
        heading.setFont(heading_font)
        layout.addWidget(heading)
        layout.addWidget(self.variants_view, 1)
        layout.addWidget(self.stock_label)
        self.product: Any = None
        self.show_nothing()

    def show_nothing(self) -> None:
        self.product = None
        self._show_message("Select a product to see its variants, prices and stock.")

    def show_missing(self) -> None:
        self.product = None
        self._show_message("This product is no longer in the shop's catalog.")

    def show_error(self, message: str) -> None:
        self.product = None
        self._show_message(f"Could not load the product: {message}")

    def _show_message(self, text: str) -> None:
        self.title_label.setText("")
        self.facts_label.setText(text)
        self.description_label.hide()
        self.variants_model.clear()
        self.stock_label.setText("")

    def show_product(self, detail: Any) -> None:
        self.product = detail
        self.title_label.setText(detail.title)
        facts = [detail.category or "Uncategorised"]
        if detail.tax_rate_name:
            facts.append(f"Tax: {detail.tax_rate_name} ({detail.tax_rate.normalize():f}%)")
        if detail.status != "active":
            facts.append(detail.status.capitalize())
        self.facts_label.setText("  ·  ".join(facts))
        self.description_label.setText(detail.description)
        self.description_label.setVisible(bool(detail.description))
        self._fill_variants(detail)

    def _fill_variants(self, detail: Any) -> None:
        # Every variant lists every known location in the shop's order; keep that order.
        locations: dict[tuple[str, str], None] = {}
        for variant in detail.variants:
            for level in variant.stock:
                locations.setdefault((level.location_code, level.location_name), None)
        headers = ["Variant", "SKU", "Barcode", "Price", *[_two_lines(name) for _, name in locations]]
        model = self.variants_model
        model.clear()
        model.setHorizontalHeaderLabels(headers)
        for column, (code, name) in enumerate(locations, start=4):
            model.horizontalHeaderItem(column).setToolTip(f"Stock at {name} ({code})")
        total = 0
        for variant in detail.variants:
            quantities = {(lv.location_code, lv.location_name): lv.quantity for lv in variant.stock}
            cells = [
                QStandardItem(variant.title or "Default"),
                QStandardItem(variant.sku),
                QStandardItem(variant.barcode or ""),
                _right(self.money.format(variant.price)),
            ]
            for place in locations:
                quantity = quantities.get(place, 0)
                total += quantity
                cells.append(_right(self.money.count(quantity)))
            model.appendRow(cells)
        # Variant names are never cut; the last location column takes any spare width.
        self.variants_view.horizontalHeader().setStretchLastSection(True)
        count = len(detail.variants)
        self.stock_label.setText(
            f"{count} variant{'s' if count != 1 else ''}  ·  in stock across all locations: "
            f"{self.money.count(total)}"
        )


def _two_lines(name: str) -> str:
    """Long location names wrap in the header so every location fits beside the variant columns."""
    if len(name) <= 12 or " " not in name:
        return name
    middle = len(name) // 2
    split = min((i for i, ch in enumerate(name) if ch == " "), key=lambda i: abs(i - middle))
    return name[:split] + "\n" + name[split + 1:]


def _right(text: str) -> QStandardItem:
    item = QStandardItem(text)
    item.setTextAlignment(RIGHT)
    return item
