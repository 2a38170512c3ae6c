"""The sell screen by keyboard only, on a replica synced from the real shop: scan, quantity, pay cash."""

from __future__ import annotations

import json
from decimal import Decimal

from PySide6.QtCore import Qt

from pos.ui.sell.payment_dialog import PaymentDialog
from pos.ui.sell.prompt import PromptDialog
from tests.ui import sell_support
from tests.ui.sell_support import active_dialog, make_selling, open_screen, query, save_png, scan, variants

sell_shop, replica, ui_tasks = sell_support.sell_shop, sell_support.replica, sell_support.ui_tasks


def euros(minor: int) -> str:
    return f"€{Decimal(minor) / 100:,.2f}"


def test_full_sale_by_keyboard_only(qtbot, replica, ui_tasks):
    selling = make_selling(replica)
    screen = open_screen(qtbot, selling, ui_tasks)
    first, second = variants(replica)[:2]

    scan(qtbot, screen, first["barcode"])
    scan(qtbot, screen, first["barcode"])  # the same item again: one line, quantity 2
    scan(qtbot, screen, second["sku"])
    model = screen.model
    assert model.rowCount() == 2
    assert model.index(0, 1).data() == "2"
    assert model.index(0, 2).data() == euros(first["price"])
    assert screen.focusWidget() is screen.scan_edit

    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_Up)  # select the first line, then F3: quantity 3
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F3)
    prompt = active_dialog(qtbot, screen, PromptDialog)
    with qtbot.waitSignal(screen.cart_shown, timeout=5000):
        qtbot.keyClicks(prompt.edit, "3")
        qtbot.keyClick(prompt.edit, Qt.Key.Key_Return)
    assert model.index(0, 1).data() == "3"
    qtbot.waitUntil(lambda: screen.focusWidget() is screen.scan_edit)
    total = screen.view.totals.total.minor
    assert screen.totals.total_label.text() == euros(total)
    save_png(qtbot, screen, "sell-cart")

    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F12)
    pay = active_dialog(qtbot, screen, PaymentDialog)
    assert pay.amount_edit.text() == f"{Decimal(total) / 100:.2f}"
    handed = (total // 1000 + 1) * 1000  # the next 10 euros above the total
    with qtbot.waitSignal(screen.sale_completed, timeout=10_000) as done:
        pay.amount_edit.selectAll()
        qtbot.keyClicks(pay.amount_edit, f"{Decimal(handed) / 100}")
        qtbot.keyClick(pay.amount_edit, Qt.Key.Key_Return)
    completed = done.args[0]
    change = handed - total
    assert pay.change_label.text() == f"Change  {euros(change)}"
    assert pay.paid_label.text() == f"Paid — change {euros(change)} — receipt {completed.number}"
    assert screen.message == f"Paid — change {euros(change)} — receipt {completed.number}"
    assert screen.model.rowCount() == 0 and screen.view.is_empty
    assert selling.nudge.count == 1
    save_png(qtbot, pay, "payment-paid")
    qtbot.keyClick(pay.done_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.dialog is None and screen.focusWidget() is screen.scan_edit)

    # The sale is in the replica, with its outbox row, exactly as the screen showed it.
    [(number, sale_total, sale_change, doc)] = query(replica, "SELECT number, total, change, doc FROM sale")
    assert (number, sale_total, sale_change) == (completed.number, total, change)
    lines = json.loads(doc)["lines"]
    assert [(line["variant_id"], line["quantity"]) for line in lines] == [(first["id"], 3), (second["id"], 1)]
    payments = query(replica, "SELECT method, amount, tendered FROM sale_payment")
    assert payments == [("cash", total, handed)]
    [(kind, payload)] = query(replica, "SELECT type, payload FROM outbox WHERE type != 'audit.entry'")
    assert kind == "sale.create" and json.loads(payload)["number"] == completed.number


def test_unknown_barcode_says_so_and_leaves_the_cart_alone(qtbot, replica, ui_tasks):
    screen = open_screen(qtbot, make_selling(replica), ui_tasks)
    first = variants(replica)[0]
    scan(qtbot, screen, first["barcode"])
    before = screen.view
    beeps = []
    import pos.ui.sell.sell_screen as sell_screen

    original = sell_screen.QApplication.beep
    sell_screen.QApplication.beep = staticmethod(lambda: beeps.append(1))  # the speaker is hardware
    try:
        scan(qtbot, screen, "4006381333931")  # a valid EAN-13 the shop does not sell
    finally:
        sell_screen.QApplication.beep = original
    assert screen.message_state == "error"
    assert "4006381333931" in screen.message and "Nothing was added" in screen.message
    assert beeps == [1]
    assert screen.view.lines == before.lines
    assert screen.model.rowCount() == 1 and screen.model.index(0, 1).data() == "1"
    assert screen.focusWidget() is screen.scan_edit
    save_png(qtbot, screen, "sell-unknown")
