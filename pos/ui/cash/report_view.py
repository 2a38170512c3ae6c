"""An X or Z report on screen: the figures as labelled amounts, Ctrl+P prints, Enter or Esc closes.

For a Z report the per-tender table (expected, counted, variance) comes first: that is what the
cashier sees only after the blind count.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from pos.domain.money import Money
from pos.ui.cash.dialog import DIALOG_STYLE
from pos.ui.formatting import MoneyFormatter

REPORT_STYLE = DIALOG_STYLE + """
QLabel#reportTitle { font-size: 16pt; font-weight: 700; color: #1d2424; }
QLabel#varianceHeader { font-weight: 600; color: #4a5553; }
QLabel#variance[state="short"] { color: #b3261e; font-weight: 700; }
QLabel#variance[state="over"] { color: #8a5a12; font-weight: 700; }
QLabel#variance[state="even"] { color: #1f6f5c; font-weight: 700; }
QLabel#printStatus { color: #4a5553; }
"""


def amount_grid(parent: QWidget, rows: Sequence[tuple[str, Money]], money: MoneyFormatter) -> QGridLayout:
    grid = QGridLayout()
    grid.setHorizontalSpacing(24)
    for row, (label, amount) in enumerate(rows):
        grid.addWidget(QLabel(label, parent), row, 0)
        value = QLabel(money.format(amount.minor), parent)
        value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        grid.addWidget(value, row, 1)
    return grid


def variance_grid(parent: QWidget, rows: Sequence[tuple[str, Money, Money, Money]],
                  money: MoneyFormatter) -> QGridLayout:  # fmt: skip
    """Tender | Expected | Counted | Variance, the variance coloured: short, over or even."""
    grid = QGridLayout()
    grid.setHorizontalSpacing(24)
    for column, text in enumerate(("Tender", "Expected", "Counted", "Variance")):
        header = QLabel(text, parent)
        header.setObjectName("varianceHeader")
        grid.addWidget(header, 0, column)
    for row, (name, expected, counted, variance) in enumerate(rows, start=1):
        grid.addWidget(QLabel(name, parent), row, 0)
        for column, amount in enumerate((expected, counted, variance), start=1):
            text = money.format(amount.minor)
            if column == 3 and amount.minor > 0:
                text = "+" + text
            label = QLabel(text, parent)
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if column == 3:
                label.setObjectName("variance")
                state = "short" if amount.minor < 0 else "over" if amount.minor else "even"
                label.setProperty("state", state)
            grid.addWidget(label, row, column)
    return grid


class ReportDialog(QDialog):
    """`print_requested` is a callable the owner gives: it prints off the UI thread and calls
    `printed(text)` / `print_failed(text)` back."""

    def __init__(self, title: str, headline: str, rows: Sequence[tuple[str, Money]], money: MoneyFormatter,
                 print_report: Callable[[], None] | None, parent: QWidget | None = None,
                 variances: Sequence[tuple[str, Money, Money, Money]] = ()) -> None:  # fmt: skip
        super().__init__(parent)
        self.setObjectName("reportDialog")
        self.setWindowTitle(title)
        self.setModal(True)
        self.setStyleSheet(REPORT_STYLE)
        layout = QVBoxLayout(self)
        heading = QLabel(headline, self)
        heading.setObjectName("reportTitle")
        heading.setWordWrap(True)
        layout.addWidget(heading)
        if variances:
            layout.addLayout(variance_grid(self, variances, money))
        layout.addLayout(amount_grid(self, rows, money))
        self.print_status = QLabel(self)
        self.print_status.setObjectName("printStatus")
        self.print_status.setWordWrap(True)
        layout.addWidget(self.print_status)
        self._print = print_report
        self.print_button = QPushButton("Print (Ctrl+P)", self)
        self.print_button.setAutoDefault(False)
        self.print_button.setEnabled(print_report is not None)
        self.print_button.clicked.connect(self.print_now)
        close = QPushButton("Close (Enter)", self)
        close.setDefault(True)
        close.clicked.connect(self.accept)
        layout.addWidget(self.print_button)
        layout.addWidget(close)
        shortcut = QShortcut(QKeySequence("Ctrl+P"), self)
        shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        shortcut.activated.connect(self.print_now)
        self.setMinimumWidth(460)

    def print_now(self) -> None:
        if self._print is None:
            return
        self.print_status.setText("Printing…")
        self._print()

    def printed(self, text: str) -> None:
        self.print_status.setText(text)

    def print_failed(self, text: str) -> None:
        self.print_status.setText(text)
