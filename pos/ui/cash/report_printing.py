"""Print a cash report: on the printer set up for reports, else as an A4 PDF in a folder.

Runs on a worker lane ("net": a printer may take seconds to answer). The report document comes
from pos.ui.cash.report_rows; the printing layer renders it (pos.services.printing.PrintService
for a configured printer, pos.printing's PDF renderer for the fallback).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from pos.printing.document import PrintDocument, ShopHeader
from pos.printing.printers import DocumentPrinter

log = logging.getLogger(__name__)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def report_header(printing: Any, shop_name: str) -> ShopHeader:
    """The shop header the receipts print (db read: call off the UI thread)."""
    if printing is not None:
        try:
            return printing.receipts.header_now()
        except Exception:  # a header is decoration: the report prints without it
            log.exception("cannot read the shop header for a report")
    return ShopHeader(shop_name)


def print_report(printing: Any, document: PrintDocument, pdf_folder: Path | None) -> str:
    """Print `document`; returns what happened, for the person. RuntimeError if nothing came out."""
    if printing is not None and printing.settings.printer_for("report") is not None:
        result = printing.run(printing.job(document, "report"))
        if not result.ok:
            raise RuntimeError(result.message)
        return result.message
    if pdf_folder is None:
        raise RuntimeError("No printer is set up for reports: choose one in Settings > Printers.")
    pdf_folder.mkdir(parents=True, exist_ok=True)
    stamp = document.created_at.strftime("%Y%m%d-%H%M%S") if document.created_at else "report"
    stem = _UNSAFE.sub("-", f"{document.title}-{stamp}").strip("-")
    path = pdf_folder / f"{stem}.pdf"
    counter = 1
    while path.exists():
        counter += 1
        path = pdf_folder / f"{stem}-{counter}.pdf"
    locale = printing.settings.look.locale if printing is not None else ""
    path.write_bytes(DocumentPrinter(locale).pdf_bytes(document, "a4"))
    return f"{document.title} saved as a PDF: {path}"
