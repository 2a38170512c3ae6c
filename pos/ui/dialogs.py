"""What dialogs share: opening one window-modal and keeping track of it, so a screen knows its open
dialog and gets the keyboard back when it closes (every screen used its own copy of this); and
growing one to fit a message it just showed."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QDialog, QWidget


def fit_height(window: QWidget) -> None:
    """Grow `window` to fit a message just shown. A window's minimum size leaves out the extra lines
    of wrapped labels, so Qt alone keeps the old height and squashes the fields and headline."""
    # A label's new text reaches a layout nested in a group box only through posted layout
    # requests; without them the window would measure the old text.
    QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    window.layout().activate()
    needed = window.heightForWidth(window.width())
    if needed > window.height():
        window.resize(window.width(), needed)


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
