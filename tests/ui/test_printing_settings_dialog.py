"""The printer settings dialog: bad input shows its message and saves nothing; good input is saved;
"test print" reaches a 127.0.0.1 TCP printer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pos.printing.config import PrinterConfig, PrintingSettings
from pos.services.printing import PrintService
from pos.settings import Settings
from pos.ui import launcher
from pos.ui.printing.settings_dialog import PrinterSettingsDialog
from tests.printing import conftest as printing_fixtures
from tests.printing.printer_server import PrinterServer
from tests.ui.sell_support import save_png

printing_shop, replica = printing_fixtures.printing_shop, printing_fixtures.replica


def open_dialog(qtbot: Any, engine: Any, folder: Path, printer: PrinterConfig) -> tuple[Any, Settings]:
    launcher.make_application()
    settings = Settings(folder)
    settings.printing = PrintingSettings((printer,), {"receipt": printer.name})
    settings.save()
    dialog = PrinterSettingsDialog(PrintService.for_settings(engine, settings))
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog, settings


def test_bad_address_and_logo_are_refused_and_nothing_saved(qtbot: Any, replica: Any, tmp_path: Path) -> None:
    printer = PrinterConfig(name="Counter", address="10.0.0.5:9100")
    dialog, settings = open_dialog(qtbot, replica, tmp_path, printer)
    before = settings.path.read_text(encoding="utf-8")
    dialog.address.setText("not an address at all")
    dialog.save()
    assert "is not a network address" in dialog.error.text() and "Nothing was saved" in dialog.error.text()
    dialog.address.setText("10.0.0.6:9100")
    fake = tmp_path / "logo.png"
    fake.write_text("text", encoding="utf-8")
    dialog.logo.setText(str(fake))
    dialog.save()
    assert "logo.png is not an image" in dialog.error.text()
    dialog.logo.setText("")
    dialog.paper.setCurrentText("a4")  # a thermal printer takes rolls only
    dialog.save()
    assert "Paper width 'a4' is not supported: receipt printers take 58mm or 80mm" in dialog.error.text()
    assert not dialog.columns.isEnabled() and not dialog.code_page.isEnabled()  # no roll: no columns
    save_png(qtbot, dialog, "printer-settings-error")
    assert settings.path.read_text(encoding="utf-8") == before and dialog.isVisible()
    dialog.paper.setCurrentText("58mm")  # only the columns that fit are offered
    assert [dialog.columns.itemText(i) for i in range(dialog.columns.count())] == ["32"]
    dialog.save()
    saved = Settings.load(tmp_path).printing.printer("Counter")
    assert (saved.address, saved.paper, saved.columns) == ("10.0.0.6:9100", "58mm", 32)
    assert not dialog.isVisible()


def test_test_print_reaches_the_printer(qtbot: Any, replica: Any, tmp_path: Path) -> None:
    server = PrinterServer()
    try:
        dialog, _settings = open_dialog(qtbot, replica, tmp_path, PrinterConfig(name="Counter",
                                                                              address=server.address))
        dialog.test_print()
        qtbot.waitUntil(lambda: "Test print sent to Counter" in dialog.status.text(), timeout=5000)
        (job,) = server.wait_jobs(1)
        assert "Café crème".encode("cp858") in job.data and b"{BTEST-0001" in job.data
        dialog.drawer_test()
        qtbot.waitUntil(lambda: "has no cash drawer set" in dialog.error.text(), timeout=5000)
    finally:
        server.stop()


def _not_an_image(dialog: Any, folder: Path) -> None:
    fake = folder / "logo.png"
    fake.write_bytes(b"%PDF-1.4 this is no picture")
    dialog.logo.setText(str(fake))


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (lambda d, _f: d.address.setText("10.0.0.300:9100"), "'10.0.0.300' is no host name or IP"),
        (lambda d, _f: d.address.setText("till printer"), "is not a network address"),
        (lambda d, _f: d.address.setText("10.0.0.5:91000"), "port must be a number from 1 to 65535"),
        (_not_an_image, "logo.png is not an image: choose a PNG, JPEG, GIF or BMP file"),
        (lambda d, _f: d.logo.setText("/nowhere/logo.png"), "There is no logo file"),
        (lambda d, _f: d.paper.setCurrentText("a4"), "Paper width 'a4' is not supported: receipt printers"),
        (lambda d, _f: d.kind.setCurrentIndex(d.kind.findData("usb")), "'10.0.0.5' is not a USB printer id"),
        (lambda d, _f: d.name.setText(" "), "Give the printer a name"),
    ],
)
def test_each_bad_input_says_why_and_nothing_is_saved_or_used(
    qtbot: Any, replica: Any, tmp_path: Path, typed: Any, message: str
) -> None:
    counter = PrinterConfig(name="Counter", address="10.0.0.5")
    dialog, settings = open_dialog(qtbot, replica, tmp_path, counter)
    before_file, before_used = settings.path.read_text(encoding="utf-8"), dialog.service.settings
    typed(dialog, tmp_path)
    dialog.save_button.click()
    assert message in dialog.error.text() and dialog.error.text().endswith("Nothing was saved.")
    assert dialog.isVisible()
    assert settings.path.read_text(encoding="utf-8") == before_file
    assert dialog.service.settings == before_used and settings.printing == before_used


def test_the_printer_a_message_is_about_is_shown(qtbot: Any, replica: Any, tmp_path: Path) -> None:
    counter = PrinterConfig(name="Counter", address="10.0.0.5")
    dialog, settings = open_dialog(qtbot, replica, tmp_path, counter)
    before = settings.path.read_text(encoding="utf-8")
    dialog.address.setText("10.0.0.5:0")
    dialog.add_button.click()  # "Printer 2", shown now; Counter's bad address is out of sight
    dialog.address.setText("10.0.0.9")
    dialog.save_button.click()
    assert dialog.printer_list.currentRow() == 0 and dialog.address.text() == "10.0.0.5:0"
    assert dialog.error.text().startswith("Counter: '10.0.0.5:0' is not a network address")
    assert settings.path.read_text(encoding="utf-8") == before


def test_receipts_write_money_in_the_locale_chosen(qtbot: Any, replica: Any, tmp_path: Path) -> None:
    server = PrinterServer()
    try:
        dialog, settings = open_dialog(qtbot, replica, tmp_path, PrinterConfig(name="Counter",
                                                                              address=server.address))
        assert dialog.money_locale.text() == ""  # until chosen: as on the till's screen
        before = settings.path.read_text(encoding="utf-8")
        dialog.money_locale.setText("Deutsch")
        assert dialog.money_sample.text() == "not a locale (e.g. de_DE)"
        dialog.save()
        assert "Money format: 'Deutsch' is not a locale" in dialog.error.text()
        assert settings.path.read_text(encoding="utf-8") == before and dialog.isVisible()

        dialog.money_locale.setText("de-de")
        assert dialog.money_sample.text() == "1.234,56 (de_DE)"
        save_png(qtbot, dialog, "printer-settings-money-format")
        dialog.save()
        assert Settings.load(tmp_path).printing.look.locale == "de_DE"
        dialog = open_dialog_again(qtbot, dialog.service)
        assert dialog.money_locale.text() == "de_DE"
        dialog.test_print()
        (job,) = server.wait_jobs(1)
        # 12,34 EUR: a no-break space, then the euro sign (cp858)
        assert b"12,34\xff\xd5" in job.data and b"12.34" not in job.data
    finally:
        server.stop()


def open_dialog_again(qtbot: Any, service: PrintService) -> PrinterSettingsDialog:
    dialog = PrinterSettingsDialog(service)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog
