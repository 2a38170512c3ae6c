"""Customers: the screen (find, edit, create, orders) and F6 on the sell screen (attach, create)."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt

from pos.domain.money import Money
from pos.domain.tender import Tender
from pos.services.checkout import CheckoutService
from pos.services.customers import CustomerService
from pos.ui import launcher
from pos.ui.customers.picker import CustomerPicker
from pos.ui.customers.screen import CustomersScreen
from pos.ui.formatting import MoneyFormatter
from tests.staffing import as_manager, open_shift
from tests.ui import sell_support
from tests.ui.sell_support import active_dialog, make_selling, open_screen, query, save_png, scan, variants

sell_shop, replica, ui_tasks = sell_support.sell_shop, sell_support.replica, sell_support.ui_tasks


def known_customer(replica) -> tuple[str, str, str]:
    [(customer_id, name, email)] = query(
        replica, "SELECT id, name, email FROM customer ORDER BY name LIMIT 1"
    )
    return customer_id, name, email


def open_customers(qtbot, replica, tasks) -> CustomersScreen:
    launcher.make_application()
    screen = CustomersScreen(
        CustomerService(replica, who=as_manager()), tasks, MoneyFormatter("EUR", "en_GB")
    )
    qtbot.addWidget(screen)
    screen.resize(1100, 650)
    with qtbot.waitSignal(screen.results_shown, timeout=5000):
        screen.show()
    screen.focus_search()
    return screen


def test_find_edit_and_see_orders_of_every_channel(qtbot, replica, ui_tasks):
    customer_id, name, _email = known_customer(replica)
    open_shift(replica)
    # a sale at this till, not yet synced, for this customer
    checkout = CheckoutService(replica, who=as_manager())
    cart = checkout.new_cart()
    checkout.add_variant(cart, variants(replica)[0]["id"], 2)
    cart.customer_id = customer_id
    sale = checkout.checkout(cart, [Tender("card", cart.totals().total)])
    web = query(replica, "SELECT count(*) FROM orders WHERE customer_id = ?", customer_id)[0][0]

    screen = open_customers(qtbot, replica, ui_tasks)
    with qtbot.waitSignal(screen.results_shown, timeout=5000):
        qtbot.keyClicks(screen.search_edit, name[:4].lower())  # search as you type, any case
    assert name in [c.name for c in screen.model.items()]
    row = [c.name for c in screen.model.items()].index(name)
    qtbot.keyClick(screen.search_edit, Qt.Key.Key_Down)
    for _ in range(row):
        qtbot.keyClick(screen.list, Qt.Key.Key_Down)
    with qtbot.waitSignal(screen.orders_shown, timeout=5000):
        qtbot.keyClick(screen.list, Qt.Key.Key_Return)
    assert screen.form.name_edit.text() == name
    orders = screen.orders_model
    numbers = [orders.row_at(r).number for r in range(orders.rowCount())]
    assert sale.number in numbers and orders.rowCount() == web + 1
    till_row = numbers.index(sale.number)
    assert orders.index(till_row, 2).data() == "Till (not synced yet)"
    save_png(qtbot, screen, "customers")

    screen.form.phone_edit.setFocus()
    screen.form.phone_edit.clear()
    qtbot.keyClicks(screen.form.phone_edit, "+44 20 7946 0000")
    with qtbot.waitSignal(screen.saved, timeout=5000):
        qtbot.keyClick(screen.form.phone_edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert query(replica, "SELECT phone FROM customer WHERE id = ?", customer_id) == [("+44 20 7946 0000",)]
    [(payload,)] = query(replica, "SELECT payload FROM outbox WHERE type = 'customer.upsert'")
    assert json.loads(payload)["id"] == customer_id


def test_a_customer_needs_a_name_and_a_real_email(qtbot, replica, ui_tasks):
    screen = open_customers(qtbot, replica, ui_tasks)
    before = query(replica, "SELECT count(*) FROM customer")
    qtbot.keyClick(screen.search_edit, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(screen.form.email_edit, "not-an-email")
    qtbot.keyClick(screen.form.email_edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: screen.form.error_label.isVisible())
    assert "name" in screen.form.error_label.text().lower()
    qtbot.keyClicks(screen.form.name_edit, "Ada Lovelace")
    qtbot.keyClick(screen.form.email_edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "email" in screen.form.error_label.text().lower())
    assert query(replica, "SELECT count(*) FROM customer") == before
    assert query(replica, "SELECT count(*) FROM outbox WHERE type != 'audit.entry'") == [(0,)]


def test_f6_creates_a_customer_offline_and_the_sale_carries_it(qtbot, replica, ui_tasks):
    selling = make_selling(replica, customers=CustomerService(replica, who=as_manager()))
    screen = open_screen(qtbot, selling, ui_tasks)
    scan(qtbot, screen, variants(replica)[0]["barcode"])
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F6)
    picker = active_dialog(qtbot, screen, CustomerPicker)
    qtbot.keyClicks(picker.edit, "Grace Hopper")
    qtbot.keyClick(picker.edit, Qt.Key.Key_F2)
    assert picker.form.name_edit.text() == "Grace Hopper"
    qtbot.keyClicks(picker.form.email_edit, "grace@example.org")
    save_png(qtbot, picker, "customer-new")
    with qtbot.waitSignal(screen.cart_shown, timeout=5000):
        qtbot.keyClick(picker.form.email_edit, Qt.Key.Key_Return)
    assert screen.customer_label.text() == "Customer: Grace Hopper"
    [(customer_id,)] = query(replica, "SELECT id FROM customer WHERE name = 'Grace Hopper'")
    assert screen.view.customer_id == customer_id
    # pay through the screen's own cart keeper, on the db lane
    sale = CheckoutService(replica, who=as_manager())
    del sale
    with qtbot.waitSignal(screen.sale_completed, timeout=10_000):
        from pos.ui.sell.payment_dialog import PaymentDialog

        qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F12)
        pay = active_dialog(qtbot, screen, PaymentDialog)
        qtbot.keyClick(pay.amount_edit, Qt.Key.Key_Return)
    assert query(replica, "SELECT customer_id FROM sale") == [(customer_id,)]
    kinds = [kind for (kind,) in query(replica, "SELECT type FROM outbox WHERE type != 'audit.entry' "
                                       "ORDER BY position")]  # the shift's opening is audited too
    assert kinds == ["customer.upsert", "sale.create"]
    assert Money  # imported for readers: totals are Money


def test_a_save_waiting_for_a_catalog_load_holds_up_no_scan(qtbot, replica, ui_tasks, monkeypatch):
    # A catalog load from the shop can hold the replica's write lock for seconds (a re-snapshot's
    # final merge at 1M products): a customer saved meanwhile waits for it, and must not hold up
    # the sell screen that shares the window's task lanes.
    import sqlite3

    from pos.store import database

    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 20_000)
    selling = make_selling(replica)
    sell = open_screen(qtbot, selling, ui_tasks)
    customers = open_customers(qtbot, replica, ui_tasks)
    load = sqlite3.connect(str(replica.replica_path), isolation_level=None)
    try:
        load.execute("BEGIN IMMEDIATE")
        qtbot.keyClick(customers.search_edit, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClicks(customers.form.name_edit, "Ada Lovelace")
        qtbot.keyClick(customers.form.name_edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
        assert customers.form.saving
        barcode = variants(replica)[0]["barcode"]
        scan(qtbot, sell, barcode)  # answered within scan()'s 5 s while the save still waits
        assert sell.model.rowCount() == 1 and customers.form.saving
        assert query(replica, "SELECT count(*) FROM customer WHERE name = 'Ada Lovelace'") == [(0,)]
        with qtbot.waitSignal(customers.saved, timeout=10_000):
            load.execute("ROLLBACK")  # the load is done: the save gets in
    finally:
        load.close()
    assert query(replica, "SELECT count(*) FROM customer WHERE name = 'Ada Lovelace'") == [(1,)]


def test_an_unexpected_save_failure_is_said_logged_and_changes_nothing(qtbot, replica, ui_tasks, caplog):
    # A failure the service does not expect (here the replica's own trigger aborting the insert,
    # standing in for a damaged file): the F6 picker must say the customer was not saved, log
    # why, and stay open with what was typed.
    import sqlite3

    con = sqlite3.connect(str(replica.replica_path))
    with con:
        con.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON customer BEGIN SELECT RAISE(ABORT, 'damaged'); END"
        )
    con.close()
    selling = make_selling(replica, customers=CustomerService(replica, who=as_manager()))
    screen = open_screen(qtbot, selling, ui_tasks)
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F6)
    picker = active_dialog(qtbot, screen, CustomerPicker)
    qtbot.keyClicks(picker.edit, "Grace Hopper")
    qtbot.keyClick(picker.edit, Qt.Key.Key_F2)
    with caplog.at_level("ERROR", logger="pos.ui.customers.form"):
        qtbot.keyClick(picker.form.name_edit, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: not picker.form.saving, timeout=10_000)
    assert picker.isVisible() and picker.form.name_edit.text() == "Grace Hopper"
    said = picker.form.error_label.text()
    assert said == "The customer was not saved (damaged). Nothing changed: try again."
    assert [r.message for r in caplog.records if r.name == "pos.ui.customers.form"] == [
        "saving a customer failed"
    ]
    assert query(replica, "SELECT count(*) FROM customer WHERE name = 'Grace Hopper'") == [(0,)]
    assert query(replica, "SELECT count(*) FROM outbox WHERE type = 'customer.upsert'") == [(0,)]
