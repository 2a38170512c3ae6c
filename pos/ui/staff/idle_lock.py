"""The idle lock: after `seconds` without a key press, a click or a scan, `idle` fires once.

An application-wide event filter restarts a single-shot timer on every key or mouse press (a
scanner types keys, so scanning counts as activity). 0 seconds means never.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

ACTIVITY = frozenset({QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.Wheel,
                      QEvent.Type.TouchBegin})  # fmt: skip


class IdleWatch(QObject):
    idle = Signal()

    def __init__(self, seconds: float, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.seconds = seconds
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.idle.emit)
        self._watching = False

    @property
    def enabled(self) -> bool:
        return self.seconds > 0

    def start(self) -> None:
        """Watch from now (after someone signed in)."""
        if not self.enabled:
            return
        if not self._watching:
            app = QApplication.instance()
            if app is not None:
                app.installEventFilter(self)
            self._watching = True
        self._timer.start(int(self.seconds * 1000))

    def stop(self) -> None:
        """Locked, or the window closes: nothing to watch."""
        self._timer.stop()
        if self._watching:
            app = QApplication.instance()
            if app is not None:
                app.removeEventFilter(self)
            self._watching = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in ACTIVITY and self._timer.isActive():
            self._timer.start(int(self.seconds * 1000))
        return False
