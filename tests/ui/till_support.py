"""The main window with people and cash wired as pos.app wires them (one SignedIn shared by every
service and screen), on a test's own copy of the synced replica from the real reference shop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pos.services.audit import AuditLog
from pos.services.cash_sessions import CashSessions
from pos.services.catalog import CatalogService
from pos.services.checkout import CheckoutService
from pos.services.signed_in import SignedIn
from pos.services.staff import StaffService
from pos.services.sync_problems import SyncProblems
from pos.ui import launcher
from pos.ui.formatting import MoneyFormatter
from pos.ui.main_window import MainWindow
from pos.ui.sell.services import Selling
from pos.ui.staff.services import Staffing
from tests.ui.sell_support import Nudges


def till_window(qtbot: Any, replica: Any, tasks: Any, folder: Path, idle_seconds: float = 300) -> MainWindow:
    launcher.make_application()
    who = SignedIn(recheck=StaffService(replica).current)  # as pos.app.open_window makes it
    staffing = Staffing(who=who, staff=StaffService(replica), cash=CashSessions(replica, limits=who.limits),
                        audit=AuditLog(replica), idle_lock_seconds=idle_seconds,
                        reports_folder=folder / "reports")  # fmt: skip
    selling = Selling(checkout=CheckoutService(replica, who=who), problems=SyncProblems(replica, who=who),
                      nudge=Nudges(), who=who, staff=staffing.staff)  # fmt: skip
    window = MainWindow(CatalogService(replica), tasks, MoneyFormatter("EUR", "en_GB"), "Test shop",
                        "http://127.0.0.1", restore_geometry=False, selling=selling,
                        staffing=staffing)  # fmt: skip
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.sell.cart_shown, timeout=5000):
        window.show()
        window.start()
    qtbot.waitUntil(lambda: window.lock.screen.people.model.rowCount() > 0, timeout=5000)
    return window
