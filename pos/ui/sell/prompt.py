"""A one-field dialog for the sell screen's quick entries (quantity, discount): Enter, or Esc.

The parser turns the text into a value or raises EntryError; a refused entry shows its message
under the field and the dialog stays open with the text selected, so nothing changes until the
cashier types something usable.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QVBoxLayout, QWidget

from pos.ui.sell.entry import EntryError

log = logging.getLogger(__name__)


class PromptDialog(QDialog):
    accepted_value = Signal(object)

    def __init__(
        self,
        title: str,
        question: str,
        parse: Callable[[str], Any],
        text: str = "",
        hint: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("promptDialog")
        self.setWindowTitle(title)
        self.setModal(True)
        self._parse = parse
        self.value: Any = None
        self.question = QLabel(question, self)
        self.question.setObjectName("promptQuestion")
        self.edit = QLineEdit(text, self)
        self.edit.setObjectName("promptEdit")
        self.edit.selectAll()
        self.hint = QLabel(hint, self)
        self.hint.setObjectName("promptHint")
        self.hint.setVisible(bool(hint))
        self.error = QLabel(self)
        self.error.setObjectName("dialogError")
        self.error.setWordWrap(True)
        self.error.hide()
        layout = QVBoxLayout(self)
        for widget in (self.question, self.edit, self.hint, self.error):
            layout.addWidget(widget)
        self.edit.returnPressed.connect(self._submit)
        self.setMinimumWidth(380)

    def _submit(self) -> None:
        try:
            value = self._parse(self.edit.text())
        except (EntryError, ValueError) as exc:
            self.error.setText(str(exc))
            self.error.show()
            self.edit.selectAll()
            return
        self.value = value
        self.accepted_value.emit(value)
        self.accept()
