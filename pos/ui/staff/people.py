"""Pick a person by name and type their PIN: the list both the sign-in screen and the manager's
approval use. Keyboard: type to filter the names, ↑ ↓ to choose, Enter moves to the PIN, Enter
again submits; the PIN is masked and cleared after every answer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractListModel, QEvent, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLabel, QLineEdit, QListView, QVBoxLayout, QWidget

from pos.domain.errors import sentence

ModelIndex = QModelIndex | QPersistentModelIndex
ROLE_NAMES = {"cashier": "Cashier", "warehouse": "Warehouse", "manager": "Manager"}

PEOPLE_STYLE = """
QLineEdit#staffFilter, QLineEdit#pinEdit { font-size: 15pt; padding: 6px 8px; }
QListView#staffList { font-size: 13pt; background: #ffffff;
    selection-background-color: #1f6f5c; selection-color: #ffffff; }
QLabel#signInError { color: #b3261e; font-weight: 600; font-size: 11pt; }
QLabel#signInHint { color: #4a5553; }
"""


class MembersModel(QAbstractListModel):
    """The staff members (pos.services.staff.StaffMember) matching the typed filter, by name."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._all: tuple[Any, ...] = ()
        self._shown: tuple[Any, ...] = ()
        self._filter = ""

    def set_members(self, members: Sequence[Any]) -> None:
        self._all = tuple(members)
        self.set_filter(self._filter)

    def set_filter(self, text: str) -> None:
        self.beginResetModel()
        self._filter = text
        words = text.casefold().split()
        self._shown = tuple(m for m in self._all if all(w in m.name.casefold() for w in words))
        self.endResetModel()

    def member_at(self, row: int) -> Any:
        return self._shown[row] if 0 <= row < len(self._shown) else None

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._shown)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        member = self.member_at(index.row()) if index.isValid() else None
        if member is None or role != Qt.ItemDataRole.DisplayRole:
            return None
        return f"{member.name}   ·   {ROLE_NAMES.get(str(member.role), str(member.role))}"


class PersonAndPin(QWidget):
    """Name list with a filter field, and a masked PIN field. `submitted(member, pin)` on Enter."""

    submitted = Signal(object, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(PEOPLE_STYLE)
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setObjectName("staffFilter")
        self.filter_edit.setPlaceholderText("Type your name…")
        self.model = MembersModel(self)
        self.list = QListView(self)
        self.list.setObjectName("staffList")
        self.list.setModel(self.model)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the fields keep the keyboard; ↑ ↓ move here
        self.list.setMinimumHeight(150)
        self.list.clicked.connect(lambda _index: self.pin_edit.setFocus())
        self.pin_edit = QLineEdit(self)
        self.pin_edit.setObjectName("pinEdit")
        self.pin_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin_edit.setPlaceholderText("PIN")
        self.pin_edit.setMaxLength(12)
        self.error = QLabel(self)
        self.error.setObjectName("signInError")
        self.error.setWordWrap(True)
        self.error.hide()
        self.hint = QLabel("Type to find your name, ↑ ↓ to choose, Enter, then your PIN and Enter.", self)
        self.hint.setObjectName("signInHint")
        self.hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.filter_edit, self.list, self.pin_edit, self.error, self.hint):
            layout.addWidget(widget)
        self.filter_edit.textChanged.connect(self._filtered)
        self.filter_edit.returnPressed.connect(self._name_chosen)
        self.pin_edit.returnPressed.connect(self._submit)
        self.filter_edit.installEventFilter(self)
        self.pin_edit.installEventFilter(self)
        self.busy = False

    def set_members(self, members: Sequence[Any]) -> None:
        self.model.set_members(members)
        self._select(0)

    def reset(self) -> None:
        """Empty fields, first name chosen, keyboard in the name filter."""
        self.busy = False
        self.filter_edit.clear()
        self.pin_edit.clear()
        self.clear_error()
        self._select(0)
        self.filter_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def current(self) -> Any:
        index = self.list.currentIndex()
        return self.model.member_at(index.row()) if index.isValid() else None

    def choose(self, staff_id: str) -> None:
        for row in range(self.model.rowCount()):
            if self.model.member_at(row).id == staff_id:
                self._select(row)

    def show_error(self, text: str) -> None:
        self.busy = False
        self.error.setText(sentence(text))
        self.error.show()
        self.pin_edit.clear()
        self.pin_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def clear_error(self) -> None:
        self.error.clear()
        self.error.hide()

    def _filtered(self, text: str) -> None:
        self.model.set_filter(text)
        self._select(0)

    def _select(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.list.setCurrentIndex(self.model.index(row, 0))

    def _name_chosen(self) -> None:
        if self.current() is None:
            self.show_error("No one on the staff list matches that name.")
            self.filter_edit.setFocus()
            return
        self.pin_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def _submit(self) -> None:
        member, pin = self.current(), self.pin_edit.text()
        if member is None:
            self.show_error("Choose your name first.")
            self.filter_edit.setFocus()
            return
        if not pin:
            return
        if self.busy:
            return
        self.busy = True
        self.pin_edit.clear()
        self.submitted.emit(member, pin)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and self.model.rowCount():
                row = self.list.currentIndex().row()
                step = -1 if key == Qt.Key.Key_Up else 1
                self._select(max(0, min(self.model.rowCount() - 1, row + step)))
                return True
        return super().eventFilter(watched, event)
