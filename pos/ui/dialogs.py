"""Open a dialog window-modal and keep track of it, so a screen knows its open dialog and gets the
keyboard back when it closes (every screen used its own copy of this)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDialog


def open_tracked(
    owner: object, attr: str, dialog: QDialog, closed: Callable[[int], None] | None = None
) -> None:
    """Open `dialog` (never exec()) as `owner.<attr>`; when it finishes, `owner.<attr>` is cleared
    (unless another dialog took its place), the dialog deleted, then `closed(result)` called."""
    setattr(owner, attr, dialog)

    def finished(result: int) -> None:
        if getattr(owner, attr) is dialog:
            setattr(owner, attr, None)
        dialog.deleteLater()
        if closed is not None:
            closed(result)

    dialog.finished.connect(finished)
    dialog.open()
    dialog.activateWindow()  # its shortcuts are window shortcuts: it must be the active window
