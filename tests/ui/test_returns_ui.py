"""F9 returns: find the sale by its receipt number, choose quantities, refund, restock."""

from __future__ import annotations

import json
from decimal import Decimal

from PySide6.QtCore import Qt

from pos.domain.money import Money
from pos.domain.tender import Tender
from pos.services.checkout import CheckoutService
from pos.services.returns import ReturnsService
from pos.ui.sell.returns_dialog import ReturnsDialog
from tests.staffing import as_manager, open_shift
from tests.ui import sell_support
from tests.ui.sell_support import active_dialog, make_selling, open_screen, query, save_png, variants

sell_shop, replica, ui_tasks = sell_support.sell_shop, sell_support.replica, sell_support.ui_tasks


def euros(minor: int) -> str:
    return f"€{Decimal(minor) / 100:,.2f}"


def sell(replica, quantities: list[int]):
    """A sale made through the headless checkout API: the same service the screen uses."""
    open_shift(replica)
    checkout = CheckoutService(replica, who=as_manager())
    cart = checkout.new_cart()
    for variant, quantity in zip(variants(replica), quantities, strict=False):
        checkout.add_variant(cart, variant["id"], quantity)
    total = cart.totals().total
    return checkout.checkout(cart, [Tender("cash", Money(total.minor + 1000, total.currency))])


def open_returns(qtbot, replica, ui_tasks):
    selling = make_selling(replica, returns=ReturnsService(replica, who=as_manager()))
    screen = open_screen(qtbot, selling, ui_tasks)
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F9)
    return screen, selling, active_dialog(qtbot, screen, ReturnsDialog)


def find(qtbot, dialog: ReturnsDialog, number: str, signal) -> None:
    with qtbot.waitSignal(signal, timeout=5000):
        qtbot.keyClicks(dialog.number_edit, number)
        qtbot.keyClick(dialog.number_edit, Qt.Key.Key_Return)


def test_return_by_receipt_number(qtbot, replica, ui_tasks):
    sale = sell(replica, [3, 1])
    screen, selling, dialog = open_returns(qtbot, replica, ui_tasks)
    find(qtbot, dialog, sale.number.lower(), dialog.sale_shown)  # typed in lower case: still found
    model = dialog.model
    assert model.rowCount() == 2
    assert [model.index(0, c).data() for c in (1, 2, 3, 5)] == ["3", "0", "3", "0"]
    table = dialog.table
    assert dialog.focusWidget() is table

    qtbot.keyClick(table, Qt.Key.Key_Plus)
    qtbot.keyClick(table, Qt.Key.Key_Plus)  # two of the three come back
    assert model.index(0, 5).data() == "2"
    line = sale.payload["lines"][0]
    refund = (line["total"] * 2 * 2 + line["quantity"]) // (2 * line["quantity"])  # half up
    assert dialog.refund_label.text() == f"Refund {euros(refund)}  (cash {euros(refund)})"
    save_png(qtbot, dialog, "returns")
    with qtbot.waitSignal(dialog.return_completed, timeout=10_000) as done:
        qtbot.keyClick(table, Qt.Key.Key_F12)
    completed = done.args[0]
    assert completed.total.minor == refund
    qtbot.waitUntil(lambda: screen.dialog is None)
    assert screen.message == f"Return {completed.number} recorded — refund {euros(refund)}"
    assert selling.nudge.count == 1
    [(number, total)] = query(replica, "SELECT number, total FROM sale_return")
    assert (number, total) == (completed.number, refund)
    [(payload,)] = query(replica, "SELECT payload FROM outbox WHERE type = 'return.create'")
    lines = json.loads(payload)["lines"]
    assert [(x["line_id"], x["quantity"], x["restock"]) for x in lines] == [(line["id"], 2, True)]

    # The same receipt again: one left of that line; asking for two is refused, nothing written.
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F9)
    again = active_dialog(qtbot, screen, ReturnsDialog)
    find(qtbot, again, sale.number, again.sale_shown)
    assert [again.model.index(0, c).data() for c in (1, 2, 3)] == ["3", "2", "1"]
    with qtbot.waitSignal(again.refused, timeout=2000):
        qtbot.keyClicks(again.table, "2")
    assert again.error_text.startswith("“") and "only 1 can still be returned" in again.error_text
    with qtbot.waitSignal(again.refused, timeout=2000):
        qtbot.keyClicks(again.table, "x")
    assert again.error_text == "“x” is not a quantity: type a number, or + and − on a line."
    assert again.model.quantities() == {}
    qtbot.keyClick(again.table, Qt.Key.Key_F12)
    assert "Choose how many" in again.error_text
    assert query(replica, "SELECT count(*) FROM sale_return") == [(1,)]


def test_unknown_or_malformed_receipt_numbers_are_explained(qtbot, replica, ui_tasks):
    _screen, _selling, dialog = open_returns(qtbot, replica, ui_tasks)
    find(qtbot, dialog, "T9-999999", dialog.refused)
    assert "No sale has receipt number T9-999999" in dialog.error_text
    dialog.number_edit.clear()
    find(qtbot, dialog, "hello there", dialog.refused)
    assert "is not a receipt number" in dialog.error_text
    assert dialog.model.rowCount() == 0
    assert query(replica, "SELECT count(*) FROM outbox WHERE type != 'audit.entry'") == [(0,)]
