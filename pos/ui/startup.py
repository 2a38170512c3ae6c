"""The first window: it appears at once and says what start-up is doing while the work runs elsewhere.

Starting the demo shop, reading the keyring and opening (perhaps upgrading) the replica all run on
the task runner's lanes (pos.app drives them); this window only shows their progress messages.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QCloseEvent, QFont
from PySide6.QtWidgets import QLabel, QProgressBar, QVBoxLayout, QWidget

log = logging.getLogger(__name__)


class Progress(QObject):
    """Create on the UI thread; `report` may be called from any thread (a queued signal carries it)."""

    message = Signal(str)

    def report(self, text: str) -> None:
        log.info("%s", text)
        self.message.emit(text)


class StartupWindow(QWidget):
    """Shown while Countertop starts. Closing it asks to cancel the start (`cancelled`)."""

    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("startupWindow")
        self.setWindowTitle("Countertop")
        self.setMinimumWidth(460)
        title = QLabel("Countertop", self)
        title.setObjectName("startupTitle")
        font = QFont(title.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        title.setFont(font)
        self.message_label = QLabel("Starting…", self)
        self.message_label.setObjectName("startupMessage")
        self.message_label.setWordWrap(True)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setObjectName("startupProgress")
        self.progress_bar.setRange(0, 0)  # busy: the steps cannot say how far along they are
        self.progress_bar.setTextVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addWidget(title)
        layout.addWidget(self.message_label)
        layout.addWidget(self.progress_bar)
        self.messages: list[str] = []  # every message shown, in order (tests, logs)
        self._finishing = False

    @Slot(str)
    def set_message(self, text: str) -> None:
        self.messages.append(text)
        self.message_label.setText(text)

    def finish(self) -> None:
        """Close without cancelling: start-up is done (or failed and says so elsewhere)."""
        self._finishing = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._finishing:
            self.cancelled.emit()
        super().closeEvent(event)
