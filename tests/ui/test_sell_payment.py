"""The payment dialog: split tender, and bad input that changes nothing."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt

from pos.ui.sell.payment_dialog import PaymentDialog
from tests.ui import sell_support
from tests.ui.sell_support import active_dialog, make_selling, open_screen, query, save_png, scan, variants

sell_shop, replica, ui_tasks = sell_support.sell_shop, sell_support.replica, sell_support.ui_tasks


def euros(minor: int) -> str:
    return f"€{Decimal(minor) / 100:,.2f}"


def type_amount(qtbot, dialog: PaymentDialog, text: str) -> None:
    dialog.amount_edit.selectAll()
    qtbot.keyClicks(dialog.amount_edit, text)


def open_payment(qtbot, replica, ui_tasks, items: int = 2):
    screen = open_screen(qtbot, make_selling(replica), ui_tasks)
    for variant in variants(replica)[:items]:
        scan(qtbot, screen, variant["barcode"])
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F12)
    return screen, active_dialog(qtbot, screen, PaymentDialog)


def test_split_tender_card_then_cash_with_change(qtbot, replica, ui_tasks):
    screen, pay = open_payment(qtbot, replica, ui_tasks, items=3)
    total = screen.view.totals.total.minor
    card = total // 2
    type_amount(qtbot, pay, f"{Decimal(card) / 100}")
    pay.reference_edit.setText("AUTH 7781")  # typed into the reference field by Tab in real use
    qtbot.keyClick(pay.amount_edit, Qt.Key.Key_F3)
    assert pay.tenders_label.text() == f"Card  {euros(card)}  (ref AUTH 7781)"
    left = total - card
    assert pay.remaining_label.text() == f"Still to pay  {euros(left)}"
    assert pay.amount_edit.text() == f"{Decimal(left) / 100:.2f}"
    assert query(replica, "SELECT count(*) FROM sale") == [(0,)]  # nothing until the total is covered

    part = 100
    type_amount(qtbot, pay, "1")
    qtbot.keyClick(pay.amount_edit, Qt.Key.Key_F4)  # one euro in cash as a part payment
    left -= part
    assert pay.remaining_label.text() == f"Still to pay  {euros(left)}"
    save_png(qtbot, pay, "payment-split")

    handed = left + 500
    with qtbot.waitSignal(screen.sale_completed, timeout=10_000) as done:
        type_amount(qtbot, pay, f"{Decimal(handed) / 100}")
        qtbot.keyClick(pay.amount_edit, Qt.Key.Key_Return)
    completed = done.args[0]
    assert pay.change_label.text() == f"Change  {euros(500)}"
    payments = query(
        replica, "SELECT method, amount, tendered, reference FROM sale_payment ORDER BY position"
    )
    assert payments == [
        ("card", card, card, "AUTH 7781"),
        ("cash", part, part, None),
        ("cash", left, handed, None),
    ]
    assert query(replica, "SELECT number, total, change FROM sale") == [(completed.number, total, 500)]


def test_bad_amounts_show_a_message_and_change_nothing(qtbot, replica, ui_tasks):
    screen, pay = open_payment(qtbot, replica, ui_tasks)
    total = screen.view.totals.total.minor
    for text, says in (
        ("abc", "is not an amount"),
        ("12.3.4", "is not an amount"),
        ("0", "more than zero"),
        ("-5", "more than zero"),
        ("0.001", "more decimals"),
    ):
        type_amount(qtbot, pay, text)
        qtbot.keyClick(pay.amount_edit, Qt.Key.Key_Return)
        assert says in pay.error_text, (text, pay.error_text)
        assert pay.tenders == [] and pay.completed is None
    below = total - 1
    type_amount(qtbot, pay, f"{Decimal(below) / 100}")
    qtbot.keyClick(pay.amount_edit, Qt.Key.Key_Return)  # a final cash tender below the total
    assert pay.error_text.startswith(f"{euros(below)} is less than the {euros(total)} still to pay")
    type_amount(qtbot, pay, f"{Decimal(total + 1) / 100}")
    qtbot.keyClick(pay.amount_edit, Qt.Key.Key_F3)  # a card above what is due: no change from cards
    assert "change is given only from cash" in pay.error_text
    assert pay.tenders == [] and pay.isVisible()
    save_png(qtbot, pay, "payment-bad-input")
    qtbot.keyClick(pay.amount_edit, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: screen.dialog is None)
    assert query(replica, "SELECT count(*) FROM sale") == [(0,)]
    assert query(replica, "SELECT count(*) FROM outbox WHERE type != 'audit.entry'") == [(0,)]
    assert screen.model.rowCount() == 2  # the cart is still there to pay
    assert screen.focusWidget() is screen.scan_edit


def test_quick_cash_pays_with_a_round_note(qtbot, replica, ui_tasks):
    screen, pay = open_payment(qtbot, replica, ui_tasks, items=1)
    total = screen.view.totals.total.minor
    amounts = [a.minor for a in pay.quick_amounts]
    assert amounts[0] == total and amounts == sorted(amounts)
    with qtbot.waitSignal(screen.sale_completed, timeout=10_000):
        qtbot.keyClick(pay.amount_edit, Qt.Key.Key_F6)  # the second quick-cash amount
    assert pay.change_label.text() == f"Change  {euros(amounts[1] - total)}"
