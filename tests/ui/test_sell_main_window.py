"""The main window with selling services: Sell is the default tab, counts reach the status area."""

from __future__ import annotations

from PySide6.QtCore import Qt

from pos.services.catalog import CatalogService
from pos.services.customers import CustomerService
from pos.services.parked import ParkedCarts
from pos.services.returns import ReturnsService
from pos.services.sync_problems import SyncProblems
from pos.ui import launcher
from pos.ui.formatting import MoneyFormatter
from pos.ui.main_window import MainWindow
from pos.ui.sell.payment_dialog import PaymentDialog
from tests.staffing import as_manager
from tests.ui import sell_support
from tests.ui.sell_support import active_dialog, make_selling, save_png, scan, variants

sell_shop, replica, ui_tasks = sell_support.sell_shop, sell_support.replica, sell_support.ui_tasks


def test_sell_tab_is_the_default_and_the_status_area_counts_what_waits(qtbot, replica, ui_tasks):
    launcher.make_application()
    selling = make_selling(
        replica,
        returns=ReturnsService(replica, who=as_manager()),
        customers=CustomerService(replica, who=as_manager()),
        parked=ParkedCarts(replica, who=as_manager()),
        problems=SyncProblems(replica, who=as_manager()),
    )
    window = MainWindow(
        CatalogService(replica),
        ui_tasks,
        MoneyFormatter("EUR", "en_GB"),
        "Test shop",
        "http://127.0.0.1",
        restore_geometry=False,
        selling=selling,
    )
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.sell.cart_shown, timeout=5000):
        window.show()
        window.start()
    assert window.tabs.currentWidget() is window.sell
    qtbot.waitUntil(lambda: window.focusWidget() is window.sell.scan_edit)
    # The shift's opening is audited: its entry waits to be sent.
    qtbot.waitUntil(lambda: window.status_area.outbox_label.text() == "1 waiting to send")

    sell = window.sell
    scan(qtbot, sell, variants(replica)[0]["barcode"])
    qtbot.keyClick(sell.scan_edit, Qt.Key.Key_F12)
    pay = active_dialog(qtbot, sell, PaymentDialog)
    with qtbot.waitSignal(sell.sale_completed, timeout=10_000):
        qtbot.keyClick(pay.amount_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.status_area.outbox_label.text() == "2 waiting to send")
    qtbot.keyClick(pay.done_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.focusWidget() is sell.scan_edit)
    save_png(qtbot, window, "main-window-sell")

    qtbot.keyClick(sell.scan_edit, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentWidget() is window.customers
    assert window.focusWidget() is window.customers.search_edit
    qtbot.keyClick(window.customers.search_edit, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentWidget() is window.browser
    assert window.focusWidget() is window.browser.search_edit
    qtbot.keyClick(window.browser.search_edit, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.focusWidget() is sell.scan_edit
    qtbot.keyClicks(sell.scan_edit, "12/3")  # "/" is a character here, not the catalog's shortcut
    assert sell.scan_edit.text() == "12/3"
