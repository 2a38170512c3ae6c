"""Printer settings: good ones are saved and read back; bad input is refused with a clear message
and nothing is saved. USB and serial printers can only be built here (no hardware)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from pos.printing.backends import escpos_device
from pos.printing.config import (
    PrinterConfig,
    PrinterSettingsError,
    PrintingSettings,
    ReceiptLook,
    parse_host_port,
)
from pos.services.printing import PrintService
from pos.settings import Settings, SettingsError

GOOD = PrinterConfig(name="Counter", kind="network", address="192.168.1.50:9100", paper="80mm", columns=42,
                     drawer=True)


@pytest.fixture
def till_settings(tmp_path: Path, replica: Any) -> tuple[Settings, PrintService]:
    settings = Settings(tmp_path / "data")
    settings.save()
    return settings, PrintService.for_settings(replica, settings)


def saved_text(settings: Settings) -> str:
    return settings.path.read_text(encoding="utf-8")


def test_good_settings_are_saved_and_read_back(till_settings: Any, tmp_path: Path) -> None:
    settings, service = till_settings
    logo = tmp_path / "logo.png"
    Image.new("RGB", (120, 40), "black").save(logo)
    new = PrintingSettings(
        (GOOD, PrinterConfig(name="Office", kind="pdf", address=str(tmp_path), paper="a4")),
        {"receipt": "Counter", "report": "Office"},
        ReceiptLook(address="Café Zentral", tax_id=" DE1 ", logo=str(logo), footer="Danke"),
    )
    stored = service.update_settings(new)
    assert stored.look.tax_id == "DE1"
    loaded = Settings.load(settings.data_dir).printing
    assert loaded == stored and loaded.printer_for("report").kind == "pdf"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"address": "printer one"}, "is not a network address"),
        ({"address": "10.0.0.5:99999"}, "port must be a number from 1 to 65535"),
        ({"address": "10.0.0.5:abc"}, "port must be a number from 1 to 65535"),
        ({"address": ""}, "network address is empty"),
        ({"paper": "110mm"}, "Paper width '110mm' is not supported"),
        ({"paper": "58mm", "columns": 42}, "42 columns do not fit 58mm paper: use 32 columns"),
        ({"columns": 40}, "40 columns do not fit 80mm paper: use 42 or 48 columns"),
        ({"code_page": "UTF-8"}, "Code page 'UTF-8' is not supported"),
        ({"kind": "usb", "address": "epson"}, "is not a USB printer id"),
        ({"kind": "queue", "address": "my printer/1"}, "is not a print queue name"),
        ({"name": "  "}, "Give the printer a name"),
        ({"drawer_pin": 3}, "pin 2 or pin 5"),
    ],
)
def test_bad_printer_input_is_refused_and_nothing_saved(
    till_settings: Any, change: dict[str, Any], message: str
) -> None:
    settings, service = till_settings
    before = saved_text(settings)
    bad = PrintingSettings((replace(GOOD, **change),), {"receipt": GOOD.name})
    with pytest.raises(PrinterSettingsError, match=message):
        service.update_settings(bad)
    assert saved_text(settings) == before and service.settings == PrintingSettings()


def test_a_logo_that_is_not_an_image_is_refused(till_settings: Any, tmp_path: Path) -> None:
    settings, service = till_settings
    before = saved_text(settings)
    fake = tmp_path / "logo.png"
    fake.write_text("not a picture at all", encoding="utf-8")
    for logo, message in ((fake, "logo.png is not an image"), (tmp_path / "none.png", "no logo file")):
        with pytest.raises(PrinterSettingsError, match=message):
            service.update_settings(PrintingSettings((GOOD,), {}, ReceiptLook(logo=str(logo))))
    assert saved_text(settings) == before


def test_routes_must_name_known_printers_and_names_are_unique(till_settings: Any) -> None:
    _settings, service = till_settings
    with pytest.raises(PrinterSettingsError, match="goes to printer 'Kitchen', which is not set up"):
        service.update_settings(PrintingSettings((GOOD,), {"receipt": "Kitchen"}))
    with pytest.raises(PrinterSettingsError, match="Two printers are called 'Counter'"):
        service.update_settings(PrintingSettings((GOOD, GOOD), {}))


def test_a_hand_broken_settings_file_is_reported(tmp_path: Path) -> None:
    settings = Settings(tmp_path)
    settings.printing = PrintingSettings((GOOD,), {"receipt": "Counter"})
    settings.save()
    settings.path.write_text(saved_text(settings).replace("192.168.1.50:9100", "nowhere:0"), encoding="utf-8")
    with pytest.raises(SettingsError, match="'printing': 'nowhere:0' is not a network address"):
        Settings.load(tmp_path)


def test_settings_saved_before_the_locale_was_chosen_follow_the_till(tmp_path: Path) -> None:
    settings = Settings(tmp_path)
    settings.printing = PrintingSettings((GOOD,), {"receipt": "Counter"}, ReceiptLook(locale="en_GB"))
    settings.save()
    assert Settings.load(tmp_path).printing.look.locale == "en_GB"  # chosen and saved now: kept
    import json

    doc = json.loads(saved_text(settings))
    del doc["printing"]["format"]  # as every till saved it before: "en_GB" whatever its locale
    settings.path.write_text(json.dumps(doc), encoding="utf-8")
    assert Settings.load(tmp_path).printing.look.locale == ""  # the till's own from now on
    doc["printing"]["look"]["locale"] = "fr_FR"  # set by hand back then: a choice, kept
    settings.path.write_text(json.dumps(doc), encoding="utf-8")
    assert Settings.load(tmp_path).printing.look.locale == "fr_FR"
    doc["printing"]["format"] = "two"
    settings.path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(SettingsError, match=r"'printing\.format' must be a whole number, not 'two'"):
        Settings.load(tmp_path)


def test_host_port_parsing() -> None:
    assert parse_host_port("printer.local") == ("printer.local", 9100)
    assert parse_host_port(" 10.0.0.7:9101 ") == ("10.0.0.7", 9101)
    assert parse_host_port("[fe80::1]:9100") == ("fe80::1", 9100)


def test_usb_and_serial_printers_are_built_from_their_settings() -> None:
    usb = escpos_device(PrinterConfig(name="U", kind="usb", address="04b8:0202"))
    assert usb.usb_args == {"idVendor": 0x04B8, "idProduct": 0x0202}  # type: ignore[attr-defined]
    serial = escpos_device(PrinterConfig(name="S", kind="serial", address="/dev/ttyUSB0", baudrate=19200))
    assert (serial.devfile, serial.baudrate) == ("/dev/ttyUSB0", 19200)  # type: ignore[attr-defined]


def test_usb_and_serial_printers_that_are_not_there_give_a_clear_error() -> None:
    from pos.printing.backends import PrinterError, send_raw

    for printer in (PrinterConfig(name="U", kind="usb", address="04b8:0202"),
                    PrinterConfig(name="S", kind="serial", address="/dev/ttyNOPE0")):
        with pytest.raises(PrinterError, match=r"did not take the receipt.*Check that it is plugged in"):
            send_raw(printer, b"\x1b@")
