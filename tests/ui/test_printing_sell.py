"""A sale paid on the sell screen prints its receipt on a 127.0.0.1 TCP printer, off the UI thread:
the scan field takes the next scan while the (slow) printer is still printing."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt

from pos.printing.config import PrinterConfig, PrintingSettings
from pos.services.printing import PrintService
from pos.ui.sell.payment_dialog import PaymentDialog
from tests.printing import conftest as printing_fixtures
from tests.printing.printer_server import PrinterServer
from tests.ui import sell_support
from tests.ui.sell_support import active_dialog, make_selling, open_screen, save_png, variants

LOOK = printing_fixtures.LOOK
printing_shop, replica = printing_fixtures.printing_shop, printing_fixtures.replica
ui_tasks = sell_support.ui_tasks


def printing_service(engine: Any, server: PrinterServer) -> PrintService:
    printer = PrinterConfig(name="Counter", kind="network", address=server.address, drawer=True)
    return PrintService(engine, PrintingSettings((printer,), {"receipt": "Counter"}, LOOK))


def scan_and_wait(qtbot: Any, screen: Any, code: str) -> None:
    with qtbot.waitSignal(screen.cart_shown, timeout=5000):
        qtbot.keyClicks(screen.scan_edit, code)
        qtbot.keyClick(screen.scan_edit, Qt.Key.Key_Return)


def pay_cash(qtbot: Any, screen: Any) -> Any:
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F12)
    dialog = active_dialog(qtbot, screen, PaymentDialog)
    with qtbot.waitSignal(screen.sale_completed, timeout=5000) as paid:
        qtbot.keyClick(dialog.amount_edit, Qt.Key.Key_Return)  # the amount due, in cash
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # "paid": Esc closes, the scan field has the keyboard
    qtbot.waitUntil(lambda: screen.dialog is None and screen.scan_edit.hasFocus(), timeout=5000)
    return paid.args[0]


def test_paid_sale_prints_while_the_next_scan_is_taken(qtbot: Any, replica: Any, ui_tasks: Any) -> None:
    server = PrinterServer(mode="slow", delay_s=1.5)
    try:
        selling = make_selling(replica, printing=printing_service(replica, server))
        screen = open_screen(qtbot, selling, ui_tasks)
        codes = [v["barcode"] for v in variants(replica)]
        scan_and_wait(qtbot, screen, codes[0])
        completed = pay_cash(qtbot, screen)
        started = time.perf_counter()
        scan_and_wait(qtbot, screen, codes[1])  # the printer is still asleep: the cart answers at once
        assert time.perf_counter() - started < 1.0 and server.jobs == []
        assert [line.sku for line in screen.view.lines] == [variants(replica)[1]["sku"]]
        assert screen.scan_edit.hasFocus()
        (job,) = server.wait_jobs(1, timeout=10)
        assert completed.number.encode() in job.data and b"\x1bp\x00" in job.data  # cash: drawer kick
        qtbot.waitUntil(lambda: "printed on Counter" in screen.message, timeout=5000)
    finally:
        server.stop()


def test_printer_off_shows_retry_and_print_later_and_selling_goes_on(
    qtbot: Any, replica: Any, ui_tasks: Any
) -> None:
    server = PrinterServer(mode="off")
    try:
        selling = make_selling(replica, printing=printing_service(replica, server))
        screen = open_screen(qtbot, selling, ui_tasks)
        codes = [v["barcode"] for v in variants(replica)]
        scan_and_wait(qtbot, screen, codes[0])
        completed = pay_cash(qtbot, screen)
        qtbot.waitUntil(lambda: screen.print_bar.isVisible(), timeout=5000)
        assert "refused the connection" in screen.print_bar.text.text()
        assert completed.number in screen.print_bar.text.text()
        save_png(qtbot, screen, "sell-printer-off")
        scan_and_wait(qtbot, screen, codes[1])  # still selling
        assert screen.scan_edit.hasFocus()
        server.switch_on()
        qtbot.keyClick(screen.scan_edit, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
        (job,) = server.wait_jobs(1, timeout=5)
        assert completed.number.encode() in job.data and not screen.print_bar.isVisible()
    finally:
        server.stop()


def test_print_later_keeps_the_receipt_and_prints_it_when_asked(
    qtbot: Any, replica: Any, ui_tasks: Any
) -> None:
    server = PrinterServer(mode="off")
    try:
        selling = make_selling(replica, printing=printing_service(replica, server))
        screen = open_screen(qtbot, selling, ui_tasks)
        scan_and_wait(qtbot, screen, variants(replica)[0]["barcode"])
        completed = pay_cash(qtbot, screen)
        qtbot.waitUntil(lambda: screen.print_bar.isVisible(), timeout=5000)
        qtbot.keyClick(screen.scan_edit, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)  # print later
        qtbot.waitUntil(lambda: "1 receipt(s) wait to be printed" in screen.message, timeout=5000)
        assert screen.scan_edit.hasFocus()
        server.switch_on()
        assert screen.printing is not None
        screen.printing.print_held()
        (job,) = server.wait_jobs(1, timeout=5)
        assert completed.number.encode() in job.data
        qtbot.waitUntil(lambda: screen.printing.busy == 0, timeout=5000)
        assert selling.printing.held_count() == 0
    finally:
        server.stop()


def test_a_printer_low_on_paper_prints_and_the_cashier_is_warned_in_amber(
    qtbot: Any, replica: Any, ui_tasks: Any
) -> None:
    server = PrinterServer()
    server.paper_near_end()
    try:
        selling = make_selling(replica, printing=printing_service(replica, server))
        screen = open_screen(qtbot, selling, ui_tasks)
        scan_and_wait(qtbot, screen, variants(replica)[0]["barcode"])
        completed = pay_cash(qtbot, screen)
        (job,) = server.wait_jobs(1, timeout=5)
        assert completed.number.encode() in job.data
        qtbot.waitUntil(lambda: screen.message_state == "warning", timeout=5000)
        assert f"{completed.number} printed on Counter" in screen.message
        assert "its paper is running low: have a new roll ready" in screen.message
        save_png(qtbot, screen, "sell-paper-low")
    finally:
        server.stop()
