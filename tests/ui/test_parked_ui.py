"""F7 parks the cart, F8 lists parked carts to resume or discard; they survive reopening the till."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from pos.services.customers import CustomerService
from pos.services.parked import ParkedCarts
from pos.store.database import open_replica
from pos.ui.sell.parked_dialog import ParkedCartsDialog
from tests.staffing import as_manager
from tests.ui import sell_support
from tests.ui.sell_support import active_dialog, make_selling, open_screen, query, save_png, scan, variants

sell_shop, replica, ui_tasks = sell_support.sell_shop, sell_support.replica, sell_support.ui_tasks


def screen_on(qtbot, engine, tasks):
    selling = make_selling(engine, parked=ParkedCarts(engine, who=as_manager()),
                           customers=CustomerService(engine, who=as_manager()))
    return open_screen(qtbot, selling, tasks)


def park(qtbot, screen) -> None:
    with qtbot.waitSignal(screen.cart_shown, timeout=5000):
        qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F7)


def open_parked(qtbot, screen) -> ParkedCartsDialog:
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F8)
    dialog = active_dialog(qtbot, screen, ParkedCartsDialog)
    qtbot.waitUntil(lambda: dialog.status.text() != "Loading…")
    return dialog


def test_park_then_resume_after_reopening_the_till(qtbot, replica, ui_tasks):
    screen = screen_on(qtbot, replica, ui_tasks)
    first, second = variants(replica)[:2]
    scan(qtbot, screen, "2*" + first["barcode"])
    scan(qtbot, screen, second["barcode"])
    parked_view = screen.view
    park(qtbot, screen)
    assert screen.view.is_empty and screen.message == "Cart parked. F8 lists parked carts."
    assert query(replica, "SELECT item_count, total FROM parked_cart") == [
        (3, parked_view.totals.total.minor)
    ]
    screen.close()

    # The till restarts: a new engine and screen on the same replica file.
    engine = open_replica(replica.replica_path)
    try:
        again = screen_on(qtbot, engine, ui_tasks)
        dialog = open_parked(qtbot, again)
        assert dialog.model.rowCount() == 1
        save_png(qtbot, dialog, "parked")
        with qtbot.waitSignal(again.cart_shown, timeout=5000):
            qtbot.keyClick(dialog.list, Qt.Key.Key_Return)
        assert [(line.variant_id, line.quantity) for line in again.view.lines] == [
            (first["id"], 2),
            (second["id"], 1),
        ]
        assert again.view.totals.total == parked_view.totals.total
        assert again.message == "Parked cart resumed."
        assert query(replica, "SELECT count(*) FROM parked_cart") == [(0,)]
        qtbot.waitUntil(lambda: again.focusWidget() is again.scan_edit)
    finally:
        engine.dispose()


def test_discard_asks_first_and_an_empty_cart_is_not_parked(qtbot, replica, ui_tasks):
    screen = screen_on(qtbot, replica, ui_tasks)
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F7)
    assert screen.message == "The cart is empty: there is nothing to park."
    scan(qtbot, screen, variants(replica)[0]["barcode"])
    park(qtbot, screen)
    dialog = open_parked(qtbot, screen)
    qtbot.keyClick(dialog.list, Qt.Key.Key_Delete)
    box = dialog.confirm_box
    qtbot.waitUntil(lambda: box.isActiveWindow())
    qtbot.keyClick(box, Qt.Key.Key_Escape)  # "Keep": nothing changes
    assert query(replica, "SELECT count(*) FROM parked_cart") == [(1,)]
    qtbot.keyClick(dialog.list, Qt.Key.Key_Delete)
    box = dialog.confirm_box
    assert isinstance(box, QMessageBox)
    qtbot.waitUntil(lambda: box.isActiveWindow())
    with qtbot.waitSignal(dialog.listed, timeout=5000):
        qtbot.keyClick(box, Qt.Key.Key_Return)  # Discard
    assert dialog.model.rowCount() == 0
    assert query(replica, "SELECT count(*) FROM parked_cart") == [(0,)]


def test_a_cashiers_discard_asks_a_manager_as_a_void_does(qtbot, replica, ui_tasks):
    from tests.ui.sell_support import signed_in_as
    from tests.ui.staff_support import type_name_and_pin
    from tests.ui.test_staff_ui import approval

    sam = signed_in_as(replica, "Sam Cashier", "1111")
    selling = make_selling(replica, who=sam, parked=ParkedCarts(replica, who=sam))
    screen = open_screen(qtbot, selling, ui_tasks)
    scan(qtbot, screen, variants(replica)[0]["barcode"])
    park(qtbot, screen)
    dialog = open_parked(qtbot, screen)
    for answer in ("no", "yes"):
        qtbot.keyClick(dialog.list, Qt.Key.Key_Delete)
        box = dialog.confirm_box
        qtbot.waitUntil(lambda box=box: box.isActiveWindow())
        qtbot.keyClick(box, Qt.Key.Key_Return)  # Discard
        asked = approval(qtbot, screen)
        assert asked.what.text() == "To void a sale a cashier needs a manager's approval."
        if answer == "no":
            qtbot.keyClick(asked.people.filter_edit, Qt.Key.Key_Escape)
            qtbot.waitUntil(lambda: dialog.status.text() == "Not approved: the cart stays parked.")
            assert query(replica, "SELECT count(*) FROM parked_cart") == [(1,)]
        else:
            with qtbot.waitSignal(dialog.listed, timeout=5000):
                type_name_and_pin(qtbot, asked.people, "Alex", "1234")
    assert query(replica, "SELECT count(*) FROM parked_cart") == [(0,)]
    assert query(replica, "SELECT action, subject FROM audit_log WHERE approved_by IS NOT NULL") == [
        ("void.sale", "parked cart")
    ]
