"""Search as you type without a query per key: the search runs once typing pauses."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QLineEdit


def search_as_you_type(edit: QLineEdit, search: Callable[[], None], delay_ms: int, parent: QObject) -> QTimer:
    """Run `search` `delay_ms` after the last change of `edit`; returns the timer (stop it when the
    search runs for another reason, check isActive() for a search still due)."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(delay_ms)
    timer.timeout.connect(search)
    edit.textChanged.connect(timer.start)
    return timer
