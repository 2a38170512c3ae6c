"""What the cash dialogs (open shift, pay in/out and drop, close shift) share: one submit at a time,
Ctrl+Enter from any field, a refusal shown in the dialog with nothing saved."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QLabel, QWidget

from pos.domain.errors import sentence
from pos.ui.dialogs import fit_height

log = logging.getLogger(__name__)

DIALOG_STYLE = """
QLabel#dialogError { color: #b3261e; font-weight: 600; }
QLabel#cashHint { color: #4a5553; }
QLabel#cashHeadline { font-size: 14pt; font-weight: 600; color: #1d2424; }
"""


class CashDialog(QDialog):
    """A modal cash dialog; subclasses lay out their fields, `error` among them."""

    refused = Signal(str)  # what the dialog said

    def __init__(self, name: str, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setWindowTitle(title)
        self.setModal(True)
        self.setStyleSheet(DIALOG_STYLE)
        self.busy = False
        self.error = QLabel(self)
        self.error.setObjectName("dialogError")
        self.error.setWordWrap(True)
        self.error.hide()

    def label(self, text: str, name: str) -> QLabel:
        """A wrapped label styled as `name` ("cashHeadline" or "cashHint")."""
        label = QLabel(text, self)
        label.setObjectName(name)
        label.setWordWrap(True)
        return label

    def submit_on_ctrl_enter(self, submit: Callable[[], None]) -> None:
        """Ctrl+Enter (both Enter keys) submits from any field."""
        for key in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(submit)

    def done_with(self, signal: SignalInstance, result: Any) -> None:
        """The action went through: tell the caller and close."""
        self.busy = False
        signal.emit(result)
        self.accept()

    def refuse(self, text: str) -> None:
        self.busy = False
        self.error.setText(text)
        self.error.show()
        fit_height(self)
        self.refused.emit(text)

    def failed(self, exc: BaseException) -> None:
        """A refusal (ValueError: said as it is) or an unexpected failure (logged); nothing saved."""
        if not isinstance(exc, ValueError):
            log.error("cash session action failed", exc_info=exc)
        text = str(exc) or "That did not work; nothing was saved."
        self.refuse(f"{sentence(text)}. Nothing was saved." if not text.endswith(".") else text)
