"""Qt start-up pieces the composition root uses: the application object, the style, readiness hooks."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QMessageLogContext,
    Qt,
    QTimer,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtGui import QFont, QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from pos.ui.main_window import MainWindow
from pos.ui.sync_bridge import SyncBridge
from sync.events import CaughtUp

log = logging.getLogger(__name__)


def resources_dir() -> Path:
    """`resources/` next to the packages in a source tree, or inside a PyInstaller bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def make_application() -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    QCoreApplication.setOrganizationName("Countertop")
    QCoreApplication.setApplicationName("Countertop")
    app.setStyle("Fusion")  # the same look on every platform and offscreen
    apply_style(app)
    return app


def apply_style(app: QApplication) -> None:
    resources = resources_dir()
    icon = resources / "icons" / "countertop.svg"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    font = QFont(app.font())
    font.setPointSizeF(max(font.pointSizeF(), 10.0))
    app.setFont(font)
    style = resources / "style.qss"
    if style.exists():
        try:
            app.setStyleSheet(style.read_text(encoding="utf-8"))
        except OSError as exc:
            log.warning("cannot read the style sheet %s: %s", style, exc)


def quiet_offscreen_messages() -> None:
    """Offscreen, Qt warns that it cannot pass size hints to a window manager it lacks: drop that."""

    def handler(_mode: QtMsgType, _context: QMessageLogContext, message: str) -> None:
        if "propagateSizeHints" not in message:
            sys.stderr.write(message + "\n")

    qInstallMessageHandler(handler)


def drop_pending_quit(app: QApplication) -> None:
    """Discard a Quit event left queued after the event loop ended.

    Qt closes every window when the application quits, and the last one closing posts one more
    Quit. Delivered after exec() returned, it would mark the thread as quitting for good: every
    event loop run later in this process (a second run_gui, a test) would end at once and deliver
    no queued signal.
    """
    QCoreApplication.removePostedEvents(app, QEvent.Type.Quit)


def is_offscreen() -> bool:
    return os.environ.get("QT_QPA_PLATFORM", "").startswith("offscreen") or (
        QApplication.platformName() == "offscreen"
    )


def show_startup_failure(
    headline: str, detail: str, inspect: Callable[[QMessageBox], None] | None = None
) -> None:
    """Tell the person why the app cannot open, in a box they must close (the caller then exits 1).

    Offscreen nobody could close it, so it is shown, handed to `inspect`, and closed at once.
    """
    box = QMessageBox(QMessageBox.Icon.Critical, "Countertop could not start", headline,
                      QMessageBox.StandardButton.Close)
    box.setObjectName("startupFailure")
    box.setInformativeText(detail)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.show()
    if inspect is not None:
        inspect(box)
    if is_offscreen():
        box.close()
    else:
        box.exec()
    box.deleteLater()


def when_first_rows_shown(window: MainWindow, callback: Callable[[MainWindow], None]) -> None:
    """Call back once, after the first search result is in the catalog (painted, if the catalog is
    showing; the till opens on its sign-in screen with the catalog behind it)."""
    fired = False

    def shown(_count: int) -> None:
        nonlocal fired
        if fired:
            return
        fired = True
        window.browser.results_shown.disconnect(shown)
        window.browser.table.viewport().repaint()  # make the rows real before the callback
        QTimer.singleShot(0, lambda: callback(window))

    window.browser.results_shown.connect(shown)


def screenshot_after_first_sync(
    window: MainWindow, bridge: SyncBridge, path: Path, done: Callable[[Path], None]
) -> None:
    """Save a PNG of the window once the shop is caught up and the catalog refreshed after it."""
    state = {"caught_up": False, "saved": False}

    def caught_up(_event: CaughtUp) -> None:
        state["caught_up"] = True
        # The window re-runs its search after a first sync; wait for that answer, then shoot.
        QTimer.singleShot(400, shoot)

    def shoot() -> None:
        if state["saved"]:
            return
        if window.browser.model.rowCount() == 0 and window.browser.searches_run < 2:
            QTimer.singleShot(200, shoot)
            return
        state["saved"] = True
        bridge.caught_up.disconnect(caught_up)
        if _select_first_product(window):
            QTimer.singleShot(300, save)  # the detail pane fills from the db lane
        else:
            save()

    def save() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(path))
        done(path)

    bridge.caught_up.connect(caught_up)


def _select_first_product(window: MainWindow) -> bool:
    if window.browser.model.rowCount() == 0:
        return False
    window.browser.select_row(0)
    return True
