"""Ask before something that cannot be undone: Enter confirms, Esc keeps things as they are."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget


def confirm(parent: QWidget, title: str, text: str, yes_text: str, on_yes: Callable[[], None]) -> QMessageBox:
    """Open (never exec) a question box; `on_yes` runs only when the person confirms."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
    box.setObjectName("confirmBox")
    yes = box.addButton(yes_text, QMessageBox.ButtonRole.DestructiveRole)
    box.addButton("Keep", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(yes)

    def answered() -> None:
        if box.clickedButton() is yes:
            on_yes()
        box.deleteLater()

    box.finished.connect(lambda _result: answered())
    box.open()
    return box
