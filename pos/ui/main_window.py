"""The main window: Sell (the default), Customers and Catalog tabs over the status area.

Screens are refreshed by what sync changed. Without selling services (older tests, the catalog
alone) the window is the catalog browser as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QByteArray, QElapsedTimer, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QMainWindow, QTabWidget, QWidget

from pos.ui.catalog.browser import CatalogBrowser
from pos.ui.dialogs import open_tracked
from pos.ui.formatting import MoneyFormatter
from pos.ui.sell.services import Selling
from pos.ui.staff.services import Staffing
from pos.ui.status_area import StatusArea
from pos.ui.sync_bridge import SyncBridge
from pos.ui.sync_control import SyncControl
from pos.ui.tasks import Tasks
from sync.events import CaughtUp, ChangesApplied, OutboxChanged, SnapshotProgress, SyncEvent

log = logging.getLogger(__name__)

# Entities whose changes alter what the catalog table or detail shows.
ROW_ENTITIES = {"inventory_level", "tax_rate", "location"}
# During a first sync the table catches up with what has arrived at most this often.
SNAPSHOT_REFRESH_MS = 1000


class MainWindow(QMainWindow):
    # A service found the person signed in revoked (on the db lane): locked on the UI thread.
    person_revoked = Signal(str)

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
        selling: Selling | None = None,
        staffing: Staffing | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle(f"Countertop — {shop_name}")
        self.tasks = tasks
        self.money = money
        self.selling = selling
        self.browser = CatalogBrowser(catalog, tasks, money, self)
        self.sell: Any = None  # SellScreen
        self.customers: Any = None  # CustomersScreen
        self.tabs: QTabWidget | None = None
        self.problems_dialog: Any = None
        self.status_area = StatusArea(last_success_at, self)
        self.staffing = staffing
        self.lock: Any = None  # TillLock: the sign-in screen in front of everything
        self.shift: Any = None  # ShiftActions: the Shift menu
        self.approvals: Any = None
        self.audit_dialog: Any = None
        self.audit_action: Any = None
        content = self.browser if selling is None else self._build_tabs(selling)
        if staffing is None:
            self.setCentralWidget(content)
        else:
            self._build_staffing(staffing, content, shop_name)
        shop_label = QLabel(f"{shop_name}  ·  {shop_url}", self)
        shop_label.setObjectName("shopLabel")
        self.statusBar().addWidget(self.status_area, 1)
        self.statusBar().addPermanentWidget(shop_label)
        self.statusBar().setSizeGripEnabled(False)
        # First-sync progress is coalesced: new products re-query the keys, new stock only
        # re-reads the visible rows; at most once per SNAPSHOT_REFRESH_MS, and once more at the end.
        self._keys_dirty = False
        self._rows_dirty = False
        # A progress event reports a batch received, not committed: the last batches of an entity
        # (and the products' search rows) land after the last event. So the end of a snapshot run,
        # and each entity's end, re-reads whatever the run touched, dirty or not.
        self._run_keys = False
        self._run_rows = False
        self._loading_entity: str | None = None
        self._since_flush = QElapsedTimer()
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.timeout.connect(self._flush_snapshot)
        self._install_shortcuts()
        self.printer_dialog: Any = None
        self.printers_action: Any = None
        if selling is not None and selling.printing is not None:
            menu = self.menuBar().addMenu("&Settings")
            action = menu.addAction("&Printers…")
            action.triggered.connect(self.open_printer_settings)
            self.printers_action = action
            if self.lock is not None:
                self.lock.guarded.append(action)
        if bridge is not None:
            self.connect_bridge(bridge)
        self._remember_geometry = restore_geometry
        if restore_geometry:
            self._restore_geometry()
        else:
            self.resize(1280, 780)

    def _build_tabs(self, selling: Selling) -> QTabWidget:
        from pos.ui.sell.sell_screen import SellScreen

        tabs = QTabWidget(self)
        tabs.setObjectName("mainTabs")
        tabs.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        tabs.tabBar().setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the screens keep the keyboard
        self.sell = SellScreen(selling, self.tasks, self.money, tabs)
        tabs.addTab(self.sell, "Sell  (Ctrl+1)")
        if selling.customers is not None:
            from pos.ui.customers.screen import CustomersScreen

            self.customers = CustomersScreen(selling.customers, self.tasks, self.money, tabs)
            tabs.addTab(self.customers, "Customers  (Ctrl+2)")
        tabs.addTab(self.browser, "Catalog  (Ctrl+3)")
        tabs.currentChanged.connect(self._tab_changed)
        self.tabs = tabs
        self.sell.outbox_touched.connect(self.refresh_outbox)
        if self.customers is not None:
            self.customers.outbox_touched.connect(self.refresh_outbox)
        self.status_area.problems_requested.connect(self.open_sync_problems)
        return tabs

    def _build_staffing(self, staffing: Staffing, content: QWidget, shop_name: str) -> None:
        """The lock in front of `content`, the Shift and Manager menus (pos.ui.staff, pos.ui.cash)."""
        from pos.ui.staff.approval import Approvals
        from pos.ui.staff.till_lock import TillLock

        self.approvals = Approvals(staffing.staff, staffing.who, self.tasks)
        self.lock = TillLock(self, content, staffing.staff, staffing.who, self.tasks,
                             staffing.idle_lock_seconds, shop_name, staffing.sign_in_hint)  # fmt: skip
        self.setCentralWidget(self.lock.stack)
        self.person_revoked.connect(self._revoked)
        staffing.who.watch_revoked(lambda actor: self.person_revoked.emit(actor.name))
        if staffing.cash is not None:
            from pos.ui.cash.shift_menu import ShiftActions

            self.shift = ShiftActions(
                self, staffing.cash, staffing.who, self.approvals, self.tasks, self.money,
                printing=self.selling.printing if self.selling is not None else None,
                reports_folder=staffing.reports_folder, shop_name=shop_name,
            )
            menu = self.shift.build_menu()
            menu.addSeparator()
            menu.addAction(self.lock.switch_action)
            self.lock.guarded.extend(self.shift.actions.values())
            if self.sell is not None:
                self.shift.state_changed.connect(self.sell.set_shift)
                self.shift.message.connect(self.sell.show_message)
                self.sell.shift_needed.connect(self.shift.open_shift)
        if staffing.audit is not None:
            manager = self.menuBar().addMenu("&Manager")
            action = manager.addAction("&Audit log…")
            action.setShortcut(QKeySequence("Ctrl+Shift+A"))
            action.triggered.connect(self.open_audit_log)
            self.addAction(action)
            self.lock.guarded.append(action)
            self.audit_action = action
        self.lock.changed.connect(self._person_changed)

    def _person_changed(self, actor: Any) -> None:
        self.status_area.show_person(actor)
        if self.shift is not None and actor is not None:
            self.shift.allow_for(actor)
            self.shift.refresh()
        if self.sell is not None:
            self.sell.person_changed(actor)
        if actor is not None and self.staffing is not None:
            from pos.domain.permissions import Outcome, Permission

            who = self.staffing.who
            for action, permission in ((self.audit_action, Permission.VIEW_AUDIT_LOG),
                                       (self.printers_action, Permission.MANAGE_SETTINGS)):  # fmt: skip
                if action is not None:
                    action.setEnabled(who.decide(permission).outcome is not Outcome.REFUSED)
        if actor is not None and self.tabs is not None:
            self._focus_screen(self.tabs.currentWidget())

    def _revoked(self, name: str) -> None:
        if self.lock is not None and not self.lock.locked:
            self.lock.lock(f"The shop has revoked {name}'s access: someone else signs in.")

    def _recheck_person(self) -> None:
        """The shop changed its staff: the person signed in may have lost their access or role."""
        assert self.staffing is not None and self.lock is not None
        who, actor = self.staffing.who, self.staffing.who.actor
        if actor is None:
            return

        def checked(now: Any) -> None:
            current = who.actor  # None: locked meanwhile, or a service's re-read found the revocation
            if now is None:
                if current is None or current.id == actor.id:
                    self._revoked(actor.name)  # locks, unless the till is locked already
                return
            if current is None or current.id != actor.id:
                return  # locked, or someone else signed in, meanwhile: nobody to bring up to date
            if now != current:
                who.sign_in(now)
                self._person_changed(now)

        self.tasks.run(self.staffing.staff.current, actor.id, lane="db", on_success=checked)

    def open_audit_log(self) -> None:
        """Manager > Audit log…: who did what at this till (managers only; the service checks)."""
        if self.staffing is None or self.staffing.audit is None:
            return
        from pos.ui.audit.screen import AuditLogDialog

        if self.audit_dialog is not None:
            self.audit_dialog.close()
        dialog = AuditLogDialog(self.staffing.audit, self.staffing.staff, self.staffing.who, self.tasks, self)
        open_tracked(self, "audit_dialog", dialog, self._refocus_screen)

    def _refocus_screen(self, _result: int = 0) -> None:
        if self.tabs is not None:
            self._focus_screen(self.tabs.currentWidget())

    def _install_shortcuts(self) -> None:
        find = QShortcut(QKeySequence.StandardKey.Find, self)
        find.setContext(Qt.ShortcutContext.WindowShortcut)
        find.activated.connect(self.show_catalog)
        # "/" only inside the catalog: on the sell screen it is a character like any other.
        slash = QShortcut(QKeySequence("/"), self.browser)
        slash.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        slash.activated.connect(self.browser.focus_search)
        if self.tabs is not None:
            for number, screen in enumerate((self.sell, self.customers, self.browser), start=1):
                if screen is None:
                    continue
                shortcut = QShortcut(QKeySequence(f"Ctrl+{number}"), self)
                shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
                shortcut.activated.connect(lambda s=screen: self.show_screen(s))

    def start(self) -> None:
        """Show the whole catalog (the first search); the sell screen's scan field, else the search, has
        the keyboard."""
        self.browser.search_now()
        if self.sell is not None:
            self.sell.start()
            self.refresh_outbox()
        else:
            self.browser.focus_search()
        if self.lock is not None:  # the till starts locked: someone signs in first
            self.lock.lock("Sign in with your PIN to start.")

    # --- tabs -------------------------------------------------------------------------------------

    def show_screen(self, screen: QWidget) -> None:
        if self.tabs is not None:
            self.tabs.setCurrentWidget(screen)
        self._focus_screen(screen)

    def show_catalog(self) -> None:
        if self.tabs is not None:
            self.tabs.setCurrentWidget(self.browser)
        self.browser.focus_search()

    def _tab_changed(self, _index: int) -> None:
        if self.tabs is not None:
            self._focus_screen(self.tabs.currentWidget())

    def _focus_screen(self, screen: QWidget) -> None:
        if self.lock is not None and self.lock.locked:
            self.lock.screen.focus()
            return
        if screen is self.sell:
            self.sell.focus_scan()
        elif screen is self.customers:
            self.customers.focus_search()
        elif screen is self.browser:
            self.browser.focus_search()

    # --- the outbox -------------------------------------------------------------------------------

    def refresh_outbox(self) -> None:
        """Read the waiting / parked counts (db lane) after this till queued something."""
        problems = self.selling.problems if self.selling is not None else None
        if problems is None:
            return
        self.tasks.run(problems.counts, lane="db",
                       on_success=lambda counts: self.status_area.on_outbox(counts.waiting, counts.parked),
                       on_failure=lambda exc: log.warning("outbox counts: %s", exc))

    def on_sync_event(self, event: SyncEvent) -> None:
        if isinstance(event, OutboxChanged):
            self.status_area.on_outbox(event.waiting, event.parked)

    def open_sync_problems(self) -> None:
        problems = self.selling.problems if self.selling is not None else None
        if problems is None:
            return
        from pos.ui.sync_problems import SyncProblemsDialog

        if self.problems_dialog is not None:
            self.problems_dialog.close()
        dialog = SyncProblemsDialog(problems, self.tasks, self, approvals=self.approvals)
        dialog.changed.connect(self.refresh_outbox)
        open_tracked(self, "problems_dialog", dialog, self._refocus_screen)

    def open_printer_settings(self) -> None:
        """Settings > Printers…: the till's printers, receipt header and footer, document routes."""
        from pos.ui.printing.settings_dialog import PrinterSettingsDialog

        if self.selling is None or self.selling.printing is None:
            return
        dialog = PrinterSettingsDialog(self.selling.printing, self)
        open_tracked(self, "printer_dialog", dialog, self._refocus_screen)

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
        bridge.disconnected.connect(self._on_run_failed)
        bridge.problem.connect(self._on_run_failed)
        bridge.event.connect(self.on_sync_event)

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
        if event.entity != self._loading_entity:
            # The previous entity's load has returned, so its last chunk is committed.
            self._mark_dirty(self._loading_entity)
            self._loading_entity = event.entity
        if event.entity == "product":
            self._run_keys = True
        elif event.entity in ROW_ENTITIES:
            self._run_rows = True
        self._mark_dirty(event.entity)

    def _mark_dirty(self, entity: str | None) -> None:
        if entity == "product":
            self._keys_dirty = True
        elif entity in ROW_ENTITIES:
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

    def _snapshot_run_ended(self) -> None:
        """Caught up, stopped, failed or a changes page applied: show everything the run committed
        and what the page changed, in one refresh. Idle polls (nothing since) search nothing."""
        self._keys_dirty = self._keys_dirty or self._run_keys
        self._rows_dirty = self._rows_dirty or self._run_rows
        self._run_keys = self._run_rows = False
        self._loading_entity = None
        self._flush_snapshot()

    def _on_run_failed(self, _event: object) -> None:
        self._snapshot_run_ended()  # what the run committed before it failed stays

    def _on_sync_state(self, state: str) -> None:
        if state == "paused":  # show everything the stopped run loaded
            self._snapshot_run_ended()

    def on_caught_up(self, _event: CaughtUp) -> None:
        self._snapshot_run_ended()
        if self.lock is not None and self.lock.locked:
            self.lock.screen.refresh()  # a first sync brings the staff list
        if self.sell is not None:
            self.sell.shop_ready()

    def on_changes_applied(self, event: ChangesApplied) -> None:
        touched = event.changes.entities()
        if "staff" in touched and self.lock is not None:
            if self.lock.locked:
                self.lock.screen.refresh()  # someone added or revoked on the shop
            else:
                self._recheck_person()
        if self.sell is not None and touched & {"inventory_level", "product"}:
            self.tasks.run(self.sell.keeper.forget_stock, lane="db")  # shown stock moved
        # New, changed or removed products: the list itself may differ; other entities: the rows.
        self._keys_dirty = self._keys_dirty or "product" in touched
        self._rows_dirty = self._rows_dirty or bool(touched & ROW_ENTITIES)
        # Changes are pulled after a snapshot run has finished: one refresh also shows all it loaded,
        # and takes the place of one still waiting on the throttle (not a second search after it).
        self._snapshot_run_ended()

    # --- window state (the only thing kept in QSettings) -----------------------------------------

    def _restore_geometry(self) -> None:
        geometry = QSettings().value("mainWindow/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 780)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.lock is not None:
            self.lock.close()
        if self._remember_geometry:
            QSettings().setValue("mainWindow/geometry", self.saveGeometry())
        super().closeEvent(event)

