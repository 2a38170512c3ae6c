"""The main window: the catalog browser and the status area, refreshed by what sync changed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QByteArray, QElapsedTimer, QSettings, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QMainWindow, QWidget

from pos.ui.catalog.browser import CatalogBrowser
from pos.ui.formatting import MoneyFormatter
from pos.ui.status_area import StatusArea
from pos.ui.sync_bridge import SyncBridge
from pos.ui.sync_control import SyncControl
from pos.ui.tasks import Tasks
from sync.events import CaughtUp, ChangesApplied, SnapshotProgress

log = logging.getLogger(__name__)

# Entities whose changes alter what the catalog table or detail shows.
ROW_ENTITIES = {"inventory_level", "tax_rate", "location"}
# During a first sync the table catches up with what has arrived at most this often.
SNAPSHOT_REFRESH_MS = 1000


class MainWindow(QMainWindow):
    def __init__(
        self,
        catalog: Any,
        tasks: Tasks,
        money: MoneyFormatter,
        shop_name: str,
        shop_url: str,
        last_success_at: str | None = None,
        bridge: SyncBridge | None = None,
        restore_geometry: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle(f"Countertop — {shop_name}")
        self.browser = CatalogBrowser(catalog, tasks, money, self)
        self.setCentralWidget(self.browser)
        self.status_area = StatusArea(last_success_at, self)
        shop_label = QLabel(f"{shop_name}  ·  {shop_url}", self)
        shop_label.setObjectName("shopLabel")
        self.statusBar().addWidget(self.status_area, 1)
        self.statusBar().addPermanentWidget(shop_label)
        self.statusBar().setSizeGripEnabled(False)
        # First-sync progress is coalesced: new products re-query the keys, new stock only
        # re-reads the visible rows; at most once per SNAPSHOT_REFRESH_MS, and once more at the end.
        self._keys_dirty = False
        self._rows_dirty = False
        self._since_flush = QElapsedTimer()
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.timeout.connect(self._flush_snapshot)
        self._install_shortcuts()
        if bridge is not None:
            self.connect_bridge(bridge)
        self._remember_geometry = restore_geometry
        if restore_geometry:
            self._restore_geometry()
        else:
            self.resize(1280, 780)

    def _install_shortcuts(self) -> None:
        for sequence in (QKeySequence.StandardKey.Find, QKeySequence("/")):
            shortcut = QShortcut(sequence, self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(self.browser.focus_search)

    def start(self) -> None:
        """Show the whole catalog (the first search) and put the cursor in the search field."""
        self.browser.search_now()
        self.browser.focus_search()

    # --- sync events ------------------------------------------------------------------------------

    def connect_bridge(self, bridge: SyncBridge) -> None:
        status = self.status_area
        bridge.connected.connect(status.on_connected)
        bridge.disconnected.connect(status.on_disconnected)
        bridge.snapshot_progress.connect(status.on_snapshot_progress)
        bridge.changes_applied.connect(status.on_changes_applied)
        bridge.caught_up.connect(status.on_caught_up)
        bridge.problem.connect(status.on_problem)
        bridge.snapshot_progress.connect(self.on_snapshot_progress)
        bridge.changes_applied.connect(self.on_changes_applied)
        bridge.caught_up.connect(self.on_caught_up)

    def connect_sync_control(self, control: SyncControl, reconnect: Callable[[], None] | None = None) -> None:
        """Wire the status area's Stop / Resume buttons to the sync thread, Reconnect to a dialog."""
        status = self.status_area
        status.stop_requested.connect(control.stop_syncing)
        status.resume_requested.connect(lambda: control.resume())
        control.state_changed.connect(status.on_sync_state)
        control.state_changed.connect(self._on_sync_state)
        if reconnect is not None:
            status.reconnect_requested.connect(reconnect)

    def on_snapshot_progress(self, event: SnapshotProgress) -> None:
        if event.entity == "product":
            self._keys_dirty = True
        elif event.entity in ROW_ENTITIES:
            self._rows_dirty = True
        else:
            return
        if self._flush_timer.isActive():
            return
        elapsed = self._since_flush.elapsed() if self._since_flush.isValid() else SNAPSHOT_REFRESH_MS
        self._flush_timer.start(max(0, SNAPSHOT_REFRESH_MS - elapsed))

    def _flush_snapshot(self) -> None:
        self._flush_timer.stop()
        self._since_flush.start()
        keys, rows = self._keys_dirty, self._rows_dirty
        self._keys_dirty = self._rows_dirty = False
        if keys:
            self.browser.refresh()  # the product set changed; the person keeps their place
        elif rows:
            self.browser.rows_changed()  # same products, new stock: re-read what is on screen

    def _on_sync_state(self, state: str) -> None:
        if state == "paused":  # show everything the stopped run loaded
            self._flush_snapshot()

    def on_caught_up(self, _event: CaughtUp) -> None:
        self._flush_snapshot()

    def on_changes_applied(self, event: ChangesApplied) -> None:
        touched = event.changes.entities()
        if "product" in touched:
            self.browser.refresh()  # new, changed or removed products: the list itself may differ
        elif touched & ROW_ENTITIES:
            self.browser.rows_changed()

    # --- window state (the only thing kept in QSettings) -----------------------------------------

    def _restore_geometry(self) -> None:
        geometry = QSettings().value("mainWindow/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 780)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._remember_geometry:
            QSettings().setValue("mainWindow/geometry", self.saveGeometry())
        super().closeEvent(event)

