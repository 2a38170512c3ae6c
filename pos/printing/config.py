"""Printer settings: which printers this till has, how receipts look, which document goes where.

`PrintingSettings` lives in the till's settings file (pos.settings, key "printing"). Everything a
person types is checked by `check_printing` / `check_printer`: an address that is no address, a logo
that is no image, a paper width the renderers do not support raise PrinterSettingsError with a
message saying what to type instead, and the caller saves nothing.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from pos.domain.errors import DomainError
from pos.domain.locales import checked_locale

KINDS = {
    "network": "Network (raw TCP, port 9100)",
    "usb": "USB (ESC/POS)",
    "serial": "Serial port (ESC/POS)",
    "file": "File or device path (ESC/POS)",
    "queue": "OS print queue (lp / CUPS)",
    "system": "System printer (Qt)",
    "pdf": "PDF files in a folder",
}
ESCPOS_KINDS = frozenset({"network", "usb", "serial", "file", "queue"})
PAGE_PAPERS = ("a4", "80mm")  # PDF and system printers
ROLL_COLUMNS = {"58mm": (32,), "80mm": (42, 48)}  # ESC/POS paper and its font-A columns
CODE_PAGES = ("CP858", "CP1252", "CP850", "ISO_8859-15", "CP437")  # CP437 has no euro sign
DOCUMENTS = ("receipt", "report", "labels")
BAUD_RATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
DEFAULT_PORT = 9100
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_USB_ID = re.compile(r"^(0x)?([0-9a-fA-F]{4}):(0x)?([0-9a-fA-F]{4})$")
_QUEUE = re.compile(r"^[A-Za-z0-9_.-]{1,127}$")


class PrinterSettingsError(ValueError):
    """A printer setting a person gave is unusable; the message says which and why."""


@dataclass(frozen=True)
class PrinterConfig:
    name: str
    kind: str = "network"
    address: str = ""  # network host:port, usb vvvv:pppp, serial/file path, queue or system name, pdf folder
    paper: str = "80mm"  # "58mm" / "80mm" (ESC/POS); "a4" / "80mm" (pdf, system, queue with a4)
    columns: int = 48
    code_page: str = "CP858"
    cut: bool = True
    drawer: bool = False  # a cash drawer is plugged into this printer
    drawer_pin: int = 2
    baudrate: int = 9600

    @property
    def speaks_escpos(self) -> bool:
        return self.kind in ESCPOS_KINDS and self.paper != "a4"


# 2: ReceiptLook.locale empty means the till's own locale (in format 1 every till saved "en_GB").
FORMAT = 2


@dataclass(frozen=True)
class ReceiptLook:
    address: str = ""  # several lines
    tax_id: str = ""
    logo: str = ""  # path of an image file
    footer: str = "Thank you!"
    locale: str = ""  # how amounts are written ("de_DE": 19,99 €); empty: as on this till's screen


@dataclass(frozen=True)
class PrintingSettings:
    printers: tuple[PrinterConfig, ...] = ()
    routes: Mapping[str, str] = field(default_factory=dict)  # document -> printer name
    look: ReceiptLook = ReceiptLook()
    auto_print: bool = True  # print the receipt after every sale and return
    # A person saved these in Printers; until then the demo shop prints PDF receipts to a folder
    # (pos.services.printing.till_printing). Removing every printer then means "print nothing".
    configured: bool = False

    def printer(self, name: str) -> PrinterConfig | None:
        return next((p for p in self.printers if p.name == name), None)

    def printer_for(self, document: str) -> PrinterConfig | None:
        name = self.routes.get(document)
        return self.printer(name) if name else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "printers": [asdict(p) for p in self.printers],
            "routes": dict(self.routes),
            "look": asdict(self.look),
            "auto_print": self.auto_print,
            "configured": self.configured,
        }

    @classmethod
    def from_dict(cls, raw: object) -> PrintingSettings:
        """Parse and check the stored form; PrinterSettingsError if anything is unusable."""
        if not isinstance(raw, dict):
            raise PrinterSettingsError("'printing' must be an object")
        try:
            printers = tuple(PrinterConfig(**p) for p in raw.get("printers") or [])
            look = ReceiptLook(**(raw.get("look") or {}))
            if _format(raw) < 2 and look.locale == "en_GB":
                # Written when every till printed en_GB and saved it whatever its own locale was:
                # nobody chose it, so it means "as on this till's screen" now.
                look = replace(look, locale="")
        except TypeError as exc:
            raise PrinterSettingsError(f"'printing' has an unknown or missing field: {exc}") from None
        routes = raw.get("routes") or {}
        if not isinstance(routes, dict):
            raise PrinterSettingsError("'printing.routes' must map documents to printer names")
        settings = cls(printers, {str(k): str(v) for k, v in routes.items()}, look,
                       bool(raw.get("auto_print", True)), bool(raw.get("configured", False)))
        return check_printing(settings, check_files=False)


def _format(raw: dict[str, Any]) -> int:
    value = raw.get("format", 1)
    if isinstance(value, bool) or not isinstance(value, int):
        raise PrinterSettingsError(f"'printing.format' must be a whole number, not {value!r}")
    return value


def parse_host_port(text: str) -> tuple[str, int]:
    """ "192.168.1.50:9100" -> ("192.168.1.50", 9100); a host alone gets port 9100."""
    value = (text or "").strip()
    example = "Example: 192.168.1.50:9100 or printer.local:9100"
    if not value:
        raise PrinterSettingsError(f"The printer's network address is empty. {example}")
    host, port_text = value, str(DEFAULT_PORT)
    if value.startswith("["):  # [IPv6]:port
        close = value.find("]")
        host, rest = value[1:close], value[close + 1 :]
        if close < 0 or (rest and not rest.startswith(":")):
            raise PrinterSettingsError(f"{value!r} is not a network address. {example}")
        port_text = rest[1:] if rest else port_text
    elif value.count(":") == 1:
        host, port_text = value.split(":")
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise PrinterSettingsError(
            f"{value!r} is not a network address: the port must be a number from 1 to 65535. {example}"
        )
    if not _valid_host(host):
        raise PrinterSettingsError(f"{value!r} is not a network address: {host!r} is no host name or IP. "
                                   f"{example}")
    return host, int(port_text)


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    return bool(host) and len(host) <= 253 and all(_HOST_LABEL.match(label) for label in labels) \
        and not labels[-1].isdigit()


def check_printer(printer: PrinterConfig, *, check_files: bool = True) -> PrinterConfig:
    """The printer with its fields cleaned, or PrinterSettingsError saying what is wrong."""
    name = printer.name.strip()
    if not name:
        raise PrinterSettingsError("Give the printer a name, such as “Counter”.")
    if printer.kind not in KINDS:
        raise PrinterSettingsError(f"{printer.kind!r} is not a kind of printer: choose one of "
                                   + ", ".join(KINDS))
    cleaned = replace(printer, name=name, address=printer.address.strip())
    _check_paper(cleaned)
    _check_address(cleaned, check_files)
    if cleaned.code_page not in CODE_PAGES:
        raise PrinterSettingsError(f"Code page {cleaned.code_page!r} is not supported: choose one of "
                                   + ", ".join(CODE_PAGES))
    if cleaned.drawer_pin not in (2, 5):
        raise PrinterSettingsError("The cash drawer is on pin 2 or pin 5 of the printer's drawer port.")
    return cleaned


def _check_paper(printer: PrinterConfig) -> None:
    if printer.kind in ("pdf", "system") or (printer.kind == "queue" and printer.paper == "a4"):
        if printer.paper not in PAGE_PAPERS:
            raise PrinterSettingsError(
                f"Paper {printer.paper!r} is not supported for {KINDS[printer.kind]}: choose a4 or 80mm."
            )
        return
    columns = ROLL_COLUMNS.get(printer.paper)
    if columns is None:
        raise PrinterSettingsError(
            f"Paper width {printer.paper!r} is not supported: receipt printers take 58mm or 80mm rolls."
        )
    if printer.columns not in columns:
        allowed = " or ".join(str(c) for c in columns)
        raise PrinterSettingsError(
            f"{printer.columns} columns do not fit {printer.paper} paper: use {allowed} columns."
        )


def _check_address(printer: PrinterConfig, check_files: bool) -> None:
    kind, address = printer.kind, printer.address
    if kind == "network":
        parse_host_port(address)
    elif kind == "usb" and not _USB_ID.match(address):
        raise PrinterSettingsError(
            f"{address!r} is not a USB printer id: type the vendor and product id in hex, such as 04b8:0202 "
            "(lsusb shows them)."
        )
    elif kind == "serial":
        if not address:
            raise PrinterSettingsError("Type the serial port, such as /dev/ttyUSB0 or COM3.")
        if printer.baudrate not in BAUD_RATES:
            raise PrinterSettingsError(f"{printer.baudrate} baud is not a serial speed: use one of "
                                       + ", ".join(str(b) for b in BAUD_RATES))
    elif kind == "file":
        if not address:
            raise PrinterSettingsError("Type the file or device path, such as /dev/usb/lp0.")
        if check_files and not Path(address).expanduser().parent.is_dir():
            raise PrinterSettingsError(f"There is no folder {str(Path(address).parent)!r} for {address!r}.")
    elif kind == "queue" and not _QUEUE.match(address):
        raise PrinterSettingsError(
            f"{address!r} is not a print queue name: use the name lpstat -p shows (letters, digits, - _ .)."
        )
    elif kind == "pdf" and check_files and not Path(address).expanduser().is_dir():
        raise PrinterSettingsError(f"{address!r} is not a folder: choose the folder the PDF files go to.")


def check_look(look: ReceiptLook, *, check_files: bool = True) -> ReceiptLook:
    logo = look.logo.strip()
    if logo and check_files:
        check_image(logo)
    if len(look.address) > 500 or len(look.footer) > 500 or len(look.tax_id) > 64:
        raise PrinterSettingsError("The receipt header and footer take at most 500 characters each.")
    locale = look.locale.strip()
    if locale:
        try:
            locale = checked_locale(locale)
        except DomainError as exc:
            raise PrinterSettingsError(f"Money format: {exc}") from None
    return replace(look, logo=logo, tax_id=look.tax_id.strip(), locale=locale)


def check_image(path: str) -> None:
    """PrinterSettingsError unless `path` is an image file Pillow can read."""
    from PIL import Image, UnidentifiedImageError  # Pillow comes with python-escpos

    file = Path(path).expanduser()
    if not file.is_file():
        raise PrinterSettingsError(f"There is no logo file {path!r}.")
    try:
        with Image.open(file) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise PrinterSettingsError(
            f"{file.name} is not an image: choose a PNG, JPEG, GIF or BMP file for the logo."
        ) from None


def check_printing(settings: PrintingSettings, *, check_files: bool = True) -> PrintingSettings:
    """The whole printing settings checked: printers, unique names, routes to known printers, look."""
    printers = tuple(check_printer(p, check_files=check_files) for p in settings.printers)
    names = [p.name for p in printers]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise PrinterSettingsError(f"Two printers are called {duplicates[0]!r}: give each its own name.")
    routes = {}
    for document, name in settings.routes.items():
        if document not in DOCUMENTS:
            raise PrinterSettingsError(f"{document!r} is not a document: use one of " + ", ".join(DOCUMENTS))
        if name and name not in names:
            raise PrinterSettingsError(f"The {document} goes to printer {name!r}, which is not set up.")
        if name:
            routes[document] = name
    look = check_look(settings.look, check_files=check_files)
    return PrintingSettings(printers, routes, look, settings.auto_print, settings.configured)
