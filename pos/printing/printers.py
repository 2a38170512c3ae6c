"""Print a PrintDocument on a configured printer: render it in the printer's language, then send it.

ESC/POS printers (network, USB, serial, file, OS queue with a roll) get bytes from EscposRenderer;
"pdf" printers get a PDF file in their folder; an OS queue with A4 paper gets a PDF through `lp`;
"system" printers are drawn by the `system` function given (pos.printing.qt_render.print_blocks,
passed in by the UI so that services never load Qt). Failures are PrinterError with a clear message.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pos.domain.money import Money
from pos.printing.backends import PrinterError, send_file, send_queue, send_raw
from pos.printing.config import PrinterConfig
from pos.printing.document import AmountRow, DocLine, PrintDocument, ShopHeader
from pos.printing.escpos_render import EscposOptions, EscposRenderer
from pos.printing.layout import Block, MoneyText, lay_out
from pos.printing.pdf_render import render_pdf

log = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
SystemPrint = Callable[..., None]  # (blocks, printer, *, title) -> None; PrinterError on failure


@dataclass(frozen=True)
class Printed:
    printer: str
    size: int  # bytes sent or written
    path: str = ""  # the PDF file, for "pdf" printers
    note: str = ""  # what the printer said although it printed, the end of a sentence (paper low)


class DocumentPrinter:
    """Thread-safe for one job at a time (the print worker is a single thread)."""

    def __init__(self, locale: str = "", system: SystemPrint | None = None) -> None:
        self._escpos = EscposRenderer()
        self._system = system
        self._money = MoneyText(locale)

    def blocks(self, doc: PrintDocument) -> list[Block]:
        return lay_out(doc, self._money)

    def escpos_bytes(self, doc: PrintDocument, printer: PrinterConfig) -> bytes:
        options = EscposOptions.for_printer(printer, kick=doc.opens_drawer)
        return self._escpos.render(self.blocks(doc), options)

    def pdf_bytes(self, doc: PrintDocument, paper: str = "80mm") -> bytes:
        return render_pdf(self.blocks(doc), "a4" if paper == "a4" else "80mm", title=_title(doc))

    def print(self, doc: PrintDocument, printer: PrinterConfig) -> Printed:
        """Render and send; returns when the printer has the whole job, PrinterError if not."""
        if printer.speaks_escpos:
            data = self.escpos_bytes(doc, printer)
            note = send_raw(printer, data)
            return Printed(printer.name, len(data), note=note)
        if printer.kind == "queue":  # A4 paper on an OS queue: a PDF
            data = self.pdf_bytes(doc, printer.paper)
            send_queue(printer.address, data, raw=False)
            return Printed(printer.name, len(data))
        if printer.kind == "pdf":
            data = self.pdf_bytes(doc, printer.paper)
            path = _pdf_path(Path(printer.address).expanduser(), doc)
            send_file(path, data, name=printer.name)
            return Printed(printer.name, len(data), str(path))
        if printer.kind == "system":
            if self._system is None:
                raise PrinterError("System printers can be used from the Countertop window only.")
            self._system(self.blocks(doc), printer, title=_title(doc))
            return Printed(printer.name, 0)
        raise PrinterError(f"Printer “{printer.name}” has an unknown kind {printer.kind!r}.")

    def open_drawer(self, printer: PrinterConfig) -> None:
        """The drawer test: the kick alone (ESC/POS printers with a drawer only)."""
        if not printer.speaks_escpos:
            raise PrinterError(f"“{printer.name}” is not a receipt printer: no cash drawer hangs off it.")
        if not printer.drawer:
            raise PrinterError(f"“{printer.name}” has no cash drawer set: tick “Cash drawer” first.")
        send_raw(printer, self._escpos.drawer_kick(printer.drawer_pin))


def test_document(header: ShopHeader, printer: PrinterConfig, currency: str = "EUR") -> PrintDocument:
    """What "test print" prints: accents, the euro sign, columns, the barcode, the cut."""
    euro = Money(1234, currency)
    return PrintDocument(
        kind="test", title="Test print", header=header, currency=currency, number="TEST-0001",
        barcode="TEST-0001", created_at=datetime.now(UTC),
        references=(f"Printer: {printer.name}", f"Paper {printer.paper}, {printer.columns} columns, "
                    f"code page {printer.code_page}"),
        lines=(DocLine("Café crème, thé à la menthe, Größe ÄÖÜ ñ", "TEST", 1, euro, None, euro, None),),
        totals=(AmountRow("Total", euro, strong=True),),
        notes=("1234567890" * 6,),
    )  # fmt: skip


def _title(doc: PrintDocument) -> str:
    return f"{doc.title} {doc.number}".strip()


def _pdf_path(folder: Path, doc: PrintDocument) -> Path:
    if not folder.is_dir():
        raise PrinterError(f"The PDF folder {folder} does not exist any more: choose another in settings.")
    stem = _UNSAFE.sub("-", doc.number or doc.title).strip("-") or "document"
    path = folder / f"{stem}.pdf"
    counter = 1
    while path.exists():  # a reprint keeps the first copy
        counter += 1
        path = folder / f"{stem}-{counter}.pdf"
    return path
