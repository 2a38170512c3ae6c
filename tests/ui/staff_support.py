"""Keyboard helpers for the lock screen, the manager's approval and the Shift menu (tests/ui)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from pos.ui.cash.open_shift import OpenShiftDialog


def type_name_and_pin(qtbot: Any, people: Any, name: str, pin: str) -> None:
    """Type to filter the names, Enter, the PIN, Enter (pos.ui.staff.people.PersonAndPin)."""
    qtbot.waitUntil(lambda: people.model.rowCount() > 0, timeout=10_000)
    people.filter_edit.selectAll()
    qtbot.keyClicks(people.filter_edit, name)
    qtbot.keyClick(people.filter_edit, Qt.Key.Key_Return)
    assert people.pin_edit.hasFocus()
    qtbot.keyClicks(people.pin_edit, pin)
    qtbot.keyClick(people.pin_edit, Qt.Key.Key_Return)


def sign_in(qtbot: Any, window: Any, name: str, pin: str) -> Any:
    """Sign in on the lock screen by keyboard; the Actor signed in."""
    lock = window.lock
    assert lock.locked
    with qtbot.waitSignal(lock.changed, timeout=10_000) as changed:
        type_name_and_pin(qtbot, lock.screen.people, name, pin)
    return changed.args[0]


def open_shift_by_keyboard(qtbot: Any, window: Any, counts: dict[int, str]) -> Any:
    """Ctrl+Shift+O, the float by denomination, Ctrl+Enter; the CashSession."""
    shift = window.shift
    focus = window.focusWidget()
    keys = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(focus, Qt.Key.Key_O, keys)
    qtbot.waitUntil(lambda: isinstance(shift.dialog, OpenShiftDialog) and shift.dialog.isActiveWindow(),
                    timeout=5000)  # fmt: skip
    dialog = shift.dialog
    for value, count in counts.items():
        edit = dialog.grid.edits[value]
        edit.setFocus()
        qtbot.keyClicks(edit, count)
    with qtbot.waitSignal(shift.state_changed, timeout=5000) as opened:
        qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    return opened.args[0]
