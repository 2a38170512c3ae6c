"""Running totals beside the cart: subtotal, discounts, tax per rate and the total due."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from pos.ui.formatting import MoneyFormatter
from pos.ui.sell.cart_keeper import CartView

log = logging.getLogger(__name__)


def rate_text(entry: object) -> str:
    rate = getattr(entry, "rate", None)
    if rate is None:
        return "No tax"
    percent = f"{rate.rate.normalize():f}"
    return f"{rate.name} {percent} %" if rate.name else f"{percent} %"


class TotalsPanel(QFrame):
    """Rows of (name, amount) above the total due; labels are reused, never rebuilt per scan."""

    def __init__(self, money: MoneyFormatter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("totalsPanel")
        self.money = money
        self.basis_label = QLabel(self)
        self.basis_label.setObjectName("priceBasis")
        self.count_label = QLabel(self)
        self.count_label.setObjectName("itemCount")
        self.count_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.total_label = QLabel(self)
        self.total_label.setObjectName("totalDue")
        self.total_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        due = QLabel("Total", self)
        due.setObjectName("totalDueName")
        self.rows: list[tuple[str, str]] = []  # what the panel shows, for tests and people alike
        self._pairs: list[tuple[QLabel, QLabel]] = []
        self._grid = QGridLayout()
        self._grid.setVerticalSpacing(4)
        self._grid.setColumnStretch(0, 1)
        head = QHBoxLayout()
        head.addWidget(self.basis_label)
        head.addWidget(self.count_label)
        bottom = QHBoxLayout()
        bottom.addWidget(due)
        bottom.addWidget(self.total_label, 1)
        line = QFrame(self)
        line.setFrameShape(QFrame.Shape.HLine)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.addLayout(head)
        layout.addLayout(self._grid)
        layout.addStretch(1)
        layout.addWidget(line)
        layout.addLayout(bottom)

    def show_view(self, view: CartView) -> None:
        money, totals = self.money, view.totals
        rows: list[tuple[str, str]] = [("Subtotal", money.format(totals.subtotal.minor))]
        if totals.discount.minor:
            label = f"Discounts (cart {view.cart_discount_text})" if view.cart_discount_text else "Discounts"
            rows.append((label, f"−{money.format(totals.discount.minor)}"))
        entries = totals.breakdown.entries
        if view.prices_include_tax:
            self.basis_label.setText("Prices include tax")
            rows += [
                (f"incl. {rate_text(e)}", money.format(e.tax.minor)) for e in entries if e.rate is not None
            ]
        else:
            self.basis_label.setText("Prices exclude tax")
            rows += [(f"+ {rate_text(e)}", money.format(e.tax.minor)) for e in entries if e.rate is not None]
        self.rows = rows
        self.total_label.setText(money.format(totals.total.minor))
        count = view.item_count
        self.count_label.setText(f"{count:,} item{'s' if count != 1 else ''}")
        self._show_rows(rows)

    def _show_rows(self, rows: list[tuple[str, str]]) -> None:
        while len(self._pairs) < len(rows):
            left, right = QLabel(self), QLabel(self)
            left.setObjectName("totalsName")
            right.setObjectName("totalsValue")
            right.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self._grid.addWidget(left, len(self._pairs), 0)
            self._grid.addWidget(right, len(self._pairs), 1)
            self._pairs.append((left, right))
        for position, (left, right) in enumerate(self._pairs):
            shown = position < len(rows)
            left.setVisible(shown)
            right.setVisible(shown)
            if shown:
                left.setText(rows[position][0])
                right.setText(rows[position][1])
