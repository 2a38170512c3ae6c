"""The printer settings dialog: bad input shows its message and saves nothing; good input is saved;
"test print" reaches a 127.0.0.1 TCP printer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
    dialog.paper.setCurrentText("58mm")  # 48 columns do not fit
    dialog.save()
    assert "48 columns do not fit 58mm paper" in dialog.error.text()
    save_png(qtbot, dialog, "printer-settings-error")
    assert settings.path.read_text(encoding="utf-8") == before and dialog.isVisible()
    dialog.columns.setCurrentText("32")
    dialog.save()
    assert Settings.load(tmp_path).printing.printer("Counter").address == "10.0.0.6:9100"
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
