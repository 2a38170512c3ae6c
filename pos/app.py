"""Composition root: builds the services for one shop connection and hands them to the UI or a command.

Nothing else wires parts together: services get their collaborators passed in, and no QApplication
subclass doubles as a service locator. Qt is imported only by the GUI entry point.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from pos.services.catalog import CatalogService, ShopSummary
from pos.services.connection import (
    TokenStore,
    test_connection,
)
from pos.services.demo import DEMO_SIGN_IN_HINT, DemoShop, DemoShopError, start_demo_shop
from pos.settings import TOKEN_ENV, Settings, ShopConnection
from pos.snapshot_child import ChildSnapshot
from pos.store.database import ReplicaSchemaError, head_in_files, open_replica, stored_revision
from pos.store.outbox import SqliteOutbox
from pos.store.replica import SqliteReplica
from pos.store.till_file import read_only_uri, till_path
from sync.connectors.countertop import CountertopConnector
from sync.engine import SnapshotRunner, SyncEngine
from sync.events import EventBus

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class ReplicaUnreadable(RuntimeError):
    """The replica file exists but is not a database this till can open (damaged, or no access)."""


# Failures a person can act on, reported without a traceback (exit status 1).
RUNTIME_FAILURES: tuple[type[Exception], ...] = (DemoShopError, ReplicaSchemaError, ReplicaUnreadable)
# The first line of the message box the app shows for each, before the exception's own text.
STARTUP_HEADLINES: dict[type[Exception], str] = {
    DemoShopError: "The demo shop did not start.",
    ReplicaSchemaError: "This till's data file was written by a newer version of Countertop.",
    ReplicaUnreadable: "Countertop cannot read this till's data file.",
}


class CommandError(Exception):
    """A clear message for stderr and an exit status (2: bad input, nothing changed)."""

    def __init__(self, message: str, status: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class ShopSession:
    """Everything opened for one shop: two database engines (UI reads, sync writes), the services."""

    connection: ShopConnection
    catalog: CatalogService
    sync: SyncEngine
    bus: EventBus
    ui_db: Engine
    sync_db: Engine
    token: str = field(default="", repr=False)
    summary: ShopSummary | None = None  # read off the UI thread before the window opens
    last_success_at: str | None = None  # as the session opened
    snapshot_in_child: bool = False  # snapshot runs load in a child process (pos.snapshot_child)
    runner: ChildSnapshot | None = field(default=None, repr=False)  # the engine's, when in a child
    _closed: bool = field(default=False, repr=False)

    def renew_engine(self, token: str | None = None) -> SyncEngine:
        """A fresh engine on the same replica and bus, with a new device token if given.

        A cancelled engine stays cancelled, so resuming needs a new one; call only once the old
        engine's run has ended (its connector is closed here).
        """
        if token:
            self.token = token
        self.sync.connector.close()
        if self.runner is not None:
            self.runner.close()
        # No spare child: the run starts at once, so its start has nothing to overlap.
        self.runner = _runner(self.sync_db, self.connection, self.token, self.snapshot_in_child, spare=False)
        self.sync = _sync_engine(self.sync_db, self.connection, self.token, self.bus, self.runner)
        return self.sync

    def nudge(self) -> None:
        """Push now (after a sale, a return, "send again"); thread-safe, never waits.

        Goes through the session because renew_engine replaces the engine.
        """
        self.sync.nudge()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.sync.connector.close()
        if self.runner is not None:
            self.runner.close()
        self.sync_db.dispose()
        self.ui_db.dispose()


def open_session(
    settings: Settings, connection: ShopConnection, token: str, *, snapshot_in_child: bool = False
) -> ShopSession:
    """Open (create or migrate) the replica and build the catalog service and the sync engine.

    `snapshot_in_child`: the window's session loads snapshots in a child process
    (pos.snapshot_child), so a sale never waits for a first sync in this process."""
    path = settings.replica_path(connection)
    ui_db = open_replica_file(path)
    # The engine thread gets its own engine (own connections), so UI reads never queue behind it.
    try:
        sync_db = open_replica_file(path)
    except Exception:
        ui_db.dispose()
        raise
    bus = EventBus()
    runner = None
    try:
        state = SqliteReplica(sync_db).sync_state()
        # A replica never loaded gets its child started now, while the window is built.
        spare = snapshot_in_child and state.cursor is None
        runner = _runner(sync_db, connection, token, snapshot_in_child, spare=spare)
        engine = _sync_engine(sync_db, connection, token, bus, runner)
    except Exception:
        if runner is not None:
            runner.close()
        sync_db.dispose()
        ui_db.dispose()
        raise
    return ShopSession(connection, CatalogService(ui_db), engine, bus, ui_db, sync_db, token,
                       last_success_at=state.last_success_at, snapshot_in_child=snapshot_in_child,
                       runner=runner)  # fmt: skip


def _runner(
    sync_db: Engine, connection: ShopConnection, token: str, in_child: bool, *, spare: bool
) -> ChildSnapshot | None:
    """The window's snapshot runs load in a child process (pos.snapshot_child); headless ones here."""
    if not in_child:
        return None
    return ChildSnapshot(Path(str(sync_db.url.database)), connection.url, token, spare=spare)


def _sync_engine(
    sync_db: Engine, connection: ShopConnection, token: str, bus: EventBus, runner: SnapshotRunner | None
) -> SyncEngine:
    return SyncEngine(
        SqliteReplica(sync_db), CountertopConnector(connection.url, token), bus, outbox=SqliteOutbox(sync_db),
        snapshot_runner=runner,
    )


def staffing_services(session: ShopSession, settings: Settings) -> Any:
    """Who is at the till and the services about people and cash: sign-in and approvals by PIN,
    the shift (cash session) and the audit log; with the idle-lock time for the window."""
    from pos.services.audit import AuditLog
    from pos.services.cash_sessions import CashSessions
    from pos.services.signed_in import SignedIn
    from pos.services.staff import StaffService
    from pos.ui.staff.services import Staffing

    db = session.ui_db
    staff = StaffService(db)
    # One per till: the sign-in screen sets it, every service asks it, and each time it reads the
    # person again from the replica (a role the shop took away is gone at the next action).
    who = SignedIn(recheck=staff.current)
    return Staffing(
        who=who,
        staff=staff,
        cash=CashSessions(db, limits=who.limits),
        audit=AuditLog(db),
        idle_lock_seconds=settings.idle_lock_seconds,
        reports_folder=settings.data_dir / "reports",
        sign_in_hint=DEMO_SIGN_IN_HINT if session.connection.demo else "",
    )


def selling_services(session: ShopSession, settings: Settings, who: Any, staff: Any = None) -> Any:
    """The services behind the sell, customers and sync-problems screens, on the UI's engine
    (the screens call them on the task runner's database lane only). `who` is the till's one
    SignedIn: every service asks it whether the person at the till may do what they ask."""
    from pos.services.checkout import CheckoutService
    from pos.services.customers import CustomerService
    from pos.services.parked import ParkedCarts
    from pos.services.returns import ReturnsService
    from pos.services.sync_problems import SyncProblems
    from pos.ui.sell.services import Selling

    db = session.ui_db
    return Selling(
        checkout=CheckoutService(db, settings, who=who),
        returns=ReturnsService(db, who=who),
        customers=CustomerService(db, who=who),
        parked=ParkedCarts(db, who=who),
        problems=SyncProblems(db, who=who, nudge=session.nudge),
        printing=print_service(session.ui_db, settings, window=True),
        nudge=session.nudge,
        who=who,
        staff=staff,
    )


def print_service(db: Engine, settings: Settings, *, window: bool = False) -> Any:
    """Receipts and the Printers settings for this till (pos.services.printing.PrintService).

    Built from the till's settings (pos.services.printing.till_printing: the saved printers, or PDF
    receipts in the data folder on the demo shop); what a person saves in Printers goes to the
    settings file and applies from the next receipt on. `window`: system printers draw through Qt
    (pos.printing.qt_render), which needs the app's QApplication; headless commands go without.
    """
    from pos.services.printing import PrintService

    system = None
    if window:
        from pos.printing.qt_render import print_blocks

        system = print_blocks
    return PrintService.for_settings(db, settings, system=system)


def open_replica_file(path: Path) -> Engine:
    """open_replica, its failures said as what to do (ReplicaUnreadable): a folder that cannot be
    written, a damaged replica (a copy of the shop: loaded again), or a damaged till file (this
    till's own sales and shifts: never to be thrown away)."""
    try:
        return open_replica(path)
    except ReplicaSchemaError:
        raise
    except (SQLAlchemyError, sqlite3.Error, OSError) as exc:
        reason = getattr(exc, "orig", None) or exc
        raise ReplicaUnreadable(_unreadable(path, reason)) from exc


# SQLite's answers for a file it may not open or write (a read-only disk, missing rights), and for
# one that is not a database or is damaged; and the OS's for the first kind.
_NO_ACCESS = {sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH}
_DAMAGED = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}
_NO_ACCESS_ERRNO = {errno.EACCES, errno.EPERM, errno.EROFS}


def _unreadable(path: Path, reason: BaseException) -> str:
    code = getattr(reason, "sqlite_errorcode", None)
    code = code & 0xFF if isinstance(code, int) else None
    if code in _NO_ACCESS or getattr(reason, "errno", None) in _NO_ACCESS_ERRNO:
        return (f"The folder {path.parent} or a file in it cannot be opened or written ({reason}): "
                "check the disk and its permissions. Nothing was changed.")  # fmt: skip
    till = till_path(path)
    if code in _DAMAGED and _damaged(till):
        return (f"This till's own file {till} is damaged ({reason}). Nothing was changed. Do not "
                "remove it: it holds this till's sales and shifts, some perhaps not yet sent to the "
                "shop. Restore it from a backup, or ask for help.")  # fmt: skip
    return (f"The replica {path} cannot be opened ({reason}). Nothing was changed. Move the file away "
            "and Countertop loads the shop again from scratch, or restore it from a backup.")  # fmt: skip


def _damaged(path: Path) -> bool:
    """Whether SQLite finds `path` corrupt (a read-only check, on the failure path only)."""
    if not path.exists():
        return False
    try:
        return _peek(path, "PRAGMA quick_check") != ("ok",)
    except sqlite3.DatabaseError as exc:  # not a database, or damaged
        return (exc.sqlite_errorcode & 0xFF) in _DAMAGED if exc.sqlite_errorcode else False


def _peek(path: Path, sql: str) -> Any:
    """The first row of `sql` on `path`, opened read-only (it can never take a lock to write)."""
    con = sqlite3.connect(read_only_uri(path), uri=True)
    try:
        return con.execute(sql).fetchone()
    finally:
        con.close()


# --- the app --------------------------------------------------------------------------------------


def demo_connection(shop: DemoShop) -> ShopConnection:
    info = shop.info
    return ShopConnection(
        shop.url, info.device_id, info.device_name, info.shop_name, info.currency, demo=True
    )


def run_gui(
    settings: Settings,
    demo: bool = False,
    demo_products: int | None = None,
    on_ready: Callable[[Any], None] | None = None,
    on_startup_failure: Callable[[Any], None] | None = None,
) -> int:
    """Open the window on the active shop (the wizard first if there is none); returns the exit code.

    A start-up window appears at once; the slow steps (demo shop, keyring, replica upgrade) run on
    the task runner's lanes. A start-up failure (RUNTIME_FAILURES) is shown in a message box, then
    raised for the command line to print and exit 1; `on_startup_failure` receives the box while it
    is shown (tests).
    """
    from pos.ui import launcher
    from pos.ui.gc_guard import UiThreadGarbageCollector
    from pos.ui.tasks import TaskRunner

    qapp = launcher.make_application()
    if launcher.is_offscreen():
        launcher.quiet_offscreen_messages()
    collector = UiThreadGarbageCollector(qapp)
    tasks = TaskRunner()
    start = _GuiStart(settings, tasks, TokenStore(), demo, demo_products, on_ready)
    try:
        start.begin()
        code = int(qapp.exec())
        if start.failure is not None:
            raise start.failure
        return code if start.opened else EXIT_OK
    except RUNTIME_FAILURES as exc:
        headline = next((text for kind, text in STARTUP_HEADLINES.items() if isinstance(exc, kind)),
                        "Countertop could not start.")
        launcher.show_startup_failure(headline, str(exc), on_startup_failure)
        raise
    finally:
        start.close()
        tasks.shutdown()
        start.stop_shop()
        collector.stop()  # after the workers are gone: nothing else can trigger a collection now
        launcher.drop_pending_quit(qapp)


class _GuiStart:
    """run_gui's start-up as a chain of tasks: demo shop or keyring token (net lane), or the wizard,
    then the replica (db lane, where migrations and their backup run), then the window."""

    def __init__(self, settings: Settings, tasks: Any, tokens: TokenStore, demo: bool,
                 demo_products: int | None, on_ready: Callable[[Any], None] | None) -> None:
        from pos.ui.startup import Progress, StartupWindow

        self.settings, self.tasks, self.tokens = settings, tasks, tokens
        self.demo, self.demo_products, self.on_ready = demo, demo_products, on_ready
        self.failure: BaseException | None = None
        self.opened = False
        self.session: ShopSession | None = None
        self.demo_shop: DemoShop | None = None
        self.running: list[Callable[[], object]] = []  # cleanups, run in reverse order
        self.window = StartupWindow()
        self.progress = Progress(self.window)
        self.progress.message.connect(self.window.set_message)
        self.window.cancelled.connect(self._quit)

    def begin(self) -> None:
        from PySide6.QtWidgets import QApplication

        QApplication.setQuitOnLastWindowClosed(False)  # between the start-up window and the next
        self.window.show()
        current = self.settings.connection
        if self.demo or (current is not None and current.demo):  # the demo shop is ours to run
            self.progress.report("Starting the demo shop…")
            products = self.demo_products if self.demo else None
            self.tasks.run(start_demo_shop, self.settings.data_dir, products, self._tell, lane="net",
                           on_success=self._demo_started, on_failure=self._fail)
        elif current is not None:
            self.progress.report("Reading the device token…")
            self.tasks.run(self.tokens.get, current.url, lane="net",
                           on_success=lambda token: self._have_token(current, token), on_failure=self._fail)
        else:
            self._wizard(None)

    def _tell(self, message: str) -> None:
        """The demo shop's progress, in the window and on the terminal that started it (any thread)."""
        print(message, flush=True)
        self.progress.report(message)

    def _demo_started(self, shop: DemoShop, replace_shop: bool = False) -> None:
        self.demo_shop = shop
        connection = demo_connection(shop)
        current = self.settings.connection
        if replace_shop or current is None or current.demo:  # never replace a real shop unasked
            self._save(connection)
        self.tokens.keep_for_session(shop.url, shop.token)
        self._open(connection, shop.token)

    def _have_token(self, current: ShopConnection, token: str | None) -> None:
        if token:
            self._open(current, token)
        else:
            self._wizard(current)

    def _wizard(self, current: ShopConnection | None) -> None:
        from pos.ui.wizard import FirstRunWizard

        self.window.hide()
        wizard = FirstRunWizard(
            self.tasks, self.tokens, test_connection,
            start_demo=lambda: start_demo_shop(self.settings.data_dir, None),
            demo_products=self.settings.demo_products,
        )
        if current is not None:
            wizard.url_edit.setText(current.url)
        wizard.finished.connect(lambda result: self._guarded(self._wizard_done, wizard, result))
        wizard.open()

    def _wizard_done(self, wizard: Any, result: int) -> None:
        outcome = wizard.outcome
        wizard.deleteLater()
        if result != wizard.DialogCode.Accepted.value or outcome is None:
            self._quit()
            return
        self.window.show()
        if outcome.kind == "demo":
            self._demo_started(outcome.demo, replace_shop=True)
            return
        info = outcome.info
        assert info is not None
        if not outcome.token:
            raise CommandError("The device token was not kept; run Countertop again.", EXIT_FAILED)
        connection = ShopConnection(outcome.url, info.device_id, info.device_name, info.shop_name,
                                    info.currency)
        self._save(connection.kept_for(self.settings.connection))  # a moved shop keeps its till file
        assert self.settings.connection is not None
        self._open(self.settings.connection, outcome.token)

    def _save(self, connection: ShopConnection) -> None:
        self.settings.connection = connection
        self.settings.save()

    def _open(self, connection: ShopConnection, token: str) -> None:
        self.tasks.run(open_shop, self.settings, connection, token, self.progress.report, lane="db",
                       on_success=lambda session: self._guarded(self._opened, session), on_failure=self._fail)

    def _opened(self, session: ShopSession) -> None:
        from PySide6.QtWidgets import QApplication

        from pos.ui import launcher

        self.session = session
        window = open_window(session, self.tasks, self.running, self.on_ready,
                             screenshot=self.demo and launcher.is_offscreen(),
                             settings=self.settings, tokens=self.tokens)
        window.show()
        window.start()
        self.opened = True
        self.window.finish()
        QApplication.setQuitOnLastWindowClosed(True)

    def _guarded(self, step: Callable[..., None], *args: Any) -> None:
        try:
            step(*args)
        except Exception as exc:  # reported after the event loop ends, like a failed task
            self._fail(exc)

    def _fail(self, exc: BaseException) -> None:
        self.failure = exc
        self._quit()

    def _quit(self) -> None:
        from PySide6.QtWidgets import QApplication

        self.window.finish()
        QApplication.quit()

    def close(self) -> None:
        from PySide6.QtWidgets import QApplication

        QApplication.setQuitOnLastWindowClosed(True)  # Qt's default, for whoever runs next
        for cleanup in reversed(self.running):
            cleanup()
        self.running.clear()
        self.window.finish()
        if self.session is not None:
            self.session.close()

    def stop_shop(self) -> None:
        if self.demo_shop is not None:
            self.demo_shop.stop()


def replica_needs_upgrade(path: Path) -> bool:
    """Whether opening the replica will migrate it (a read-only peek; unreadable files say no:
    opening them says what is wrong)."""
    if not path.exists():
        return False
    revision = stored_revision(path)
    return revision is not None and revision != head_in_files()


def open_shop(settings: Settings, connection: ShopConnection, token: str,
              report: Callable[[str], None]) -> ShopSession:
    """Open the session and read what the window shows first (runs on the db lane)."""
    path = settings.replica_path(connection)
    if replica_needs_upgrade(path):
        report("Upgrading the local catalog… (a backup of it is made first)")
    else:
        report("Opening the local catalog…")
    session = open_session(settings, connection, token, snapshot_in_child=True)
    try:
        session.summary = session.catalog.shop()  # last_success_at: read by open_session
    except Exception:
        session.close()
        raise
    return session


def open_window(
    session: ShopSession,
    tasks: Any,
    running: list[Callable[[], object]],
    on_ready: Callable[[Any], None] | None,
    screenshot: bool,
    settings: Settings,
    tokens: TokenStore,
) -> Any:
    """The main window on an open session, its sync running (run_gui, tests, scripts/screenshot.py).

    Appends to `running` what must be undone when the window goes, in order.
    """
    from PySide6.QtWidgets import QApplication

    from pos.ui import launcher
    from pos.ui.formatting import MoneyFormatter
    from pos.ui.main_window import MainWindow
    from pos.ui.reconnect import Reconnector
    from pos.ui.sync_bridge import SyncBridge
    from pos.ui.sync_control import SyncControl

    # Read on the db lane by open_shop; tests and scripts that open a session directly read here.
    summary = session.summary or session.catalog.shop()
    last_success_at = session.last_success_at  # read by open_session, off the UI thread
    connection = session.connection
    currency = connection.currency or summary.currency or "EUR"
    bridge = SyncBridge(session.bus)
    running.append(bridge.close)
    staffing = staffing_services(session, settings)
    window = MainWindow(
        session.catalog, tasks, MoneyFormatter(currency),
        shop_name=connection.shop_name or summary.name or connection.url,
        shop_url=connection.url,
        last_success_at=last_success_at,
        bridge=bridge,
        restore_geometry=not launcher.is_offscreen(),  # the offscreen screen is 800x600: keep our size
        selling=selling_services(session, settings, staffing.who, staffing.staff),
        staffing=staffing,
    )
    running.append(window.close)
    if tokens.env_token():
        window.status_area.token_env = TOKEN_ENV
    if on_ready is not None:
        launcher.when_first_rows_shown(window, on_ready)
    if screenshot:
        target = settings.data_dir / "demo-screenshot.png"

        def saved(path: Path) -> None:
            print(f"No display: saved a screenshot of the window to {path}", flush=True)
            QApplication.quit()

        launcher.screenshot_after_first_sync(window, bridge, target, saved)
    control = SyncControl(session.sync, session.renew_engine, parent=window)
    reconnector = Reconnector(
        window, tasks, tokens, test_connection, connection.url, control,
        on_reconnected=lambda outcome: _record_reconnected(settings, connection, outcome),
    )
    window.connect_sync_control(control, reconnector.open)
    control.start()
    running.append(control.shutdown)
    return window


def _record_reconnected(settings: Settings, previous: ShopConnection, outcome: Any) -> None:
    """The new token may belong to another device of the same shop: keep the settings truthful."""
    info = outcome.info
    settings.connection = replace(  # the same address, so the same replica folder (a moved shop's too)
        previous, device_id=info.device_id, device_name=info.device_name, shop_name=info.shop_name,
        currency=info.currency,
    )
    settings.save()
