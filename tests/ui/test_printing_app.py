"""Printing as `countertop` wires it (pos.app.open_window on a settings file read back with
Settings.load): a sale made with the keyboard prints on the printer the settings name, the demo
shop's PDF receipts land in the data folder, and printers saved in Settings > Printers… are kept in
the settings file and used from the next sale on, without a restart."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from pos.app import open_session, open_window
from pos.domain.money import Money
from pos.printing.config import PrinterConfig, PrintingSettings
from pos.printing.layout import MoneyText
from pos.services.connection import TokenStore
from pos.services.printing import DEMO_PRINTER
from pos.settings import Settings, ShopConnection
from pos.ui.main_window import MainWindow
from pos.ui.printing.settings_dialog import PrinterSettingsDialog
from pos.ui.sell.payment_dialog import PaymentDialog
from tests.printing.printer_server import PrinterServer
from tests.ui.sell_support import active_dialog, save_png
from tests.ui.staff_support import open_shift_by_keyboard, sign_in

READY = "Ready to sell: scan an item."


class Till:
    """Settings file -> Settings.load -> open_session -> open_window, as run_gui does."""

    def __init__(self, shop: Any, folder: Path, tasks: Any, printing: PrintingSettings | None,
                 demo: bool = False) -> None:  # fmt: skip
        written = Settings(folder)
        written.connection = ShopConnection(shop.url, shop.device_id, "till", "Test shop", "EUR", demo=demo)
        if printing is not None:
            written.printing = printing
        written.save()
        self.settings = Settings.load(folder)
        tokens = TokenStore(environ={})
        tokens.save(shop.url, shop.device_token)
        assert self.settings.connection is not None
        self.session = open_session(self.settings, self.settings.connection, shop.device_token)
        self.running: list[Any] = []
        self.window: MainWindow = open_window(self.session, tasks, self.running, None, screenshot=False,
                                              settings=self.settings, tokens=tokens)  # fmt: skip

    def close(self) -> None:
        for cleanup in reversed(self.running):
            cleanup()
        self.session.close()


@pytest.fixture
def open_till(qtbot: Any, tmp_path: Path, tasks: Any, memory_keyring: Any) -> Iterator[Any]:
    tills: list[Till] = []

    def opener(shop: Any, printing: PrintingSettings | None = None, demo: bool = False) -> Till:
        till = Till(shop, tmp_path / f"till{len(tills)}", tasks, printing, demo)
        tills.append(till)
        qtbot.addWidget(till.window)
        till.window.show()
        till.window.start()
        qtbot.waitUntil(lambda: till.window.sell.message == READY, timeout=30_000)  # first sync done
        sign_in(qtbot, till.window, "Alex Manager", "1234")  # printers are a manager's to set up
        open_shift_by_keyboard(qtbot, till.window, {2000: "5"})
        qtbot.waitUntil(lambda: till.window.shift.dialog is None and till.window.sell.scan_edit.hasFocus())
        return till

    yield opener
    for till in tills:
        till.close()


@pytest.fixture
def printer() -> Iterator[PrinterServer]:
    server = PrinterServer()
    yield server
    server.stop()


def barcodes(shop: Any) -> list[str]:
    products = shop.admin_get("products", params={"limit": 20}).json()
    return [v["barcode"] for p in products for v in p["variants"] if v["barcode"]]


def keyboard_sale(qtbot: Any, window: MainWindow, code: str) -> Any:
    """Scan, F12, Enter (the amount due in cash), Esc: what a cashier types. The CompletedSale."""
    sell = window.sell
    with qtbot.waitSignal(sell.cart_shown, timeout=5000):
        qtbot.keyClicks(sell.scan_edit, code)
        qtbot.keyClick(sell.scan_edit, Qt.Key.Key_Return)
    qtbot.keyClick(sell.scan_edit, Qt.Key.Key_F12)
    pay = active_dialog(qtbot, sell, PaymentDialog)
    with qtbot.waitSignal(sell.sale_completed, timeout=10_000) as paid:
        qtbot.keyClick(pay.amount_edit, Qt.Key.Key_Return)
    qtbot.keyClick(pay, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: sell.dialog is None and sell.scan_edit.hasFocus(), timeout=5000)
    return paid.args[0]


def printers_action(window: MainWindow) -> Any:
    (settings_menu,) = [a.menu() for a in window.menuBar().actions() if a.text() == "&Settings"]
    (action,) = [a for a in settings_menu.actions() if a.text() == "&Printers…"]
    return action


def test_a_keyboard_sale_prints_on_the_receipt_printer_named_in_the_settings_file(
    qtbot: Any, live_shop: Any, open_till: Any, printer: PrinterServer
) -> None:
    counter = PrinterConfig(name="Counter", kind="network", address=printer.address, drawer=True)
    till = open_till(live_shop, PrintingSettings((counter,), {"receipt": "Counter"}))
    assert printers_action(till.window).isEnabled()

    completed = keyboard_sale(qtbot, till.window, barcodes(live_shop)[0])
    (job,) = printer.wait_jobs(1, timeout=10)
    assert job.data.startswith(b"\x1b@")  # initialise
    assert completed.number.encode() in job.data and b"\x1bp\x00" in job.data  # cash: drawer kick
    qtbot.waitUntil(lambda: "printed on Counter" in till.window.sell.message, timeout=5000)
    assert till.window.sell.scan_edit.hasFocus()
    save_png(qtbot, till.window, "main-window-receipt-printed")


def test_demo_till_writes_pdf_receipts_until_printers_saved_in_settings_take_over(
    qtbot: Any, live_shop: Any, open_till: Any, printer: PrinterServer
) -> None:
    till = open_till(live_shop, demo=True)
    window, sell, data_dir = till.window, till.window.sell, till.settings.data_dir
    codes = barcodes(live_shop)

    first = keyboard_sale(qtbot, window, codes[0])
    pdf = data_dir / "receipts" / f"{first.number}.pdf"
    qtbot.waitUntil(lambda: f"printed on {DEMO_PRINTER}" in sell.message, timeout=10_000)
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    total = MoneyText("en_GB")(Money(first.payload["total"], first.payload["currency"]))
    assert first.number in text and total in text
    assert Settings.load(data_dir).printing == PrintingSettings()  # the demo default is not written down

    printers_action(window).trigger()
    dialog = window.printer_dialog
    assert isinstance(dialog, PrinterSettingsDialog)
    assert [p.name for p in dialog.printers] == [DEMO_PRINTER]
    dialog.add_button.click()
    dialog.routes["receipt"].setCurrentText("Printer 2")
    dialog.name.selectAll()
    qtbot.keyClicks(dialog.name, "Counter")  # the list and the routes follow the new name
    assert dialog.printer_list.currentItem().text() == dialog.routes["receipt"].currentText() == "Counter"
    dialog.kind.setCurrentIndex(dialog.kind.findData("network"))
    dialog.address.setText(printer.address)
    save_png(qtbot, dialog, "printer-settings-app")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: window.printer_dialog is None, timeout=5000)
    assert dialog.error.text() == ""
    saved = Settings.load(data_dir).printing
    assert saved.configured and saved.printer_for("receipt") == PrinterConfig(
        name="Counter", kind="network", address=printer.address
    )
    assert saved.printer_for("report").name == DEMO_PRINTER  # kept as it was shown
    qtbot.waitUntil(lambda: window.focusWidget() is sell.scan_edit, timeout=5000)
    window.activateWindow()  # what the window manager does when a dialog closes (offscreen has none)
    qtbot.waitUntil(lambda: sell.scan_edit.hasFocus(), timeout=5000)

    second = keyboard_sale(qtbot, window, codes[1])  # same window, no restart
    (job,) = printer.wait_jobs(1, timeout=10)
    assert second.number.encode() in job.data
    assert sorted(p.name for p in pdf.parent.iterdir()) == [pdf.name]
