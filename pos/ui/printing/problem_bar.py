"""A bar over the cart when a receipt did not print: what happened, "Retry" and "Print later".

It never takes the keyboard: its buttons have no focus, so the scan field keeps selling while it is
shown. Ctrl+R retries and Ctrl+L holds the receipt for later (shortcuts of the sell screen).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

BAR_STYLE = """
QFrame#printProblem { background: #fff4e5; border: 1px solid #e0a030; border-radius: 4px; }
QLabel#printProblemText { color: #6b4200; font-weight: 600; }
"""


class PrintProblemBar(QFrame):
    retry_requested = Signal(object)  # the PrintJob
    later_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("printProblem")
        self.setStyleSheet(BAR_STYLE)
        self.job: Any = None
        self.text = QLabel(self)
        self.text.setObjectName("printProblemText")
        self.text.setWordWrap(True)
        self.retry_button = QPushButton("Retry  (Ctrl+R)", self)
        self.later_button = QPushButton("Print later  (Ctrl+L)", self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.text, 1)
        for button in (self.retry_button, self.later_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            layout.addWidget(button)
        self.retry_button.clicked.connect(self.retry)
        self.later_button.clicked.connect(self.later)
        self.hide()

    def show_failure(self, result: Any) -> None:
        self.job = result.job
        self.text.setText(result.message)
        self.show()

    def retry(self) -> None:
        job, self.job = self.job, None
        self.hide()
        if job is not None:
            self.retry_requested.emit(job)

    def later(self) -> None:
        job, self.job = self.job, None
        self.hide()
        if job is not None:
            self.later_requested.emit(job)
