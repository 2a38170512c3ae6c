"""PDF receipts (80 mm roll and A4) and the Qt system-printer path, read back with poppler."""

from __future__ import annotations

import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pos.printing.config import PrinterConfig
from pos.printing.layout import MoneyText
from pos.printing.qt_render import print_blocks
from pos.services.printing import PrintService
from tests.printing.conftest import ARTIFACTS, sell, service_for

money = MoneyText("en_GB")


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def keep_png(pdf: Path, name: str) -> Path:
    """Page 1 as a PNG under the artefacts folder, for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = ARTIFACTS / name
    command = ["pdftoppm", "-png", "-r", "110", "-singlefile", "-f", "1", str(pdf), str(stem)]
    subprocess.run(command, check=True)
    png = stem.with_suffix(".png")
    assert png.stat().st_size > 5000
    return png


def assert_sale_in(text: str, payload: dict[str, Any]) -> None:
    def eur(minor: int) -> str:
        from pos.domain.money import Money

        return money(Money(minor, payload["currency"]))

    rows = [" ".join(line.split()) for line in text.splitlines()]
    for line in payload["lines"]:
        detail = f"{line['quantity']} x {eur(line['unit_price'])} {eur(line['total'])}"
        assert detail in rows, (detail, rows)
        assert any(line["title"][:25] in row for row in rows)
    assert f"Subtotal {eur(payload['subtotal'])}" in rows
    assert f"TOTAL {eur(payload['total'])}" in rows
    for pay in payload["payments"]:
        assert f"{pay['method'].title()} {eur(pay['tendered'])}" in rows
    assert f"Change {eur(payload['change'])}" in rows
    # One tax row per rate ("Tax 20% incl. €6.00 €1.00"): their tax adds up to the sale's, to the cent.
    taxes = [Decimal(row.rsplit("€", 1)[1]) for row in rows if row.startswith("Tax ") and " incl. " in row]
    assert taxes and sum(taxes) * 100 == payload["tax"], (taxes, payload["tax"])
    assert payload["number"] in text and "Café Zentral" in text and "Merci, à bientôt!" in text


@pytest.mark.parametrize("paper", ["80mm", "a4"])
def test_pdf_receipt_shows_every_line_total_and_tender_to_the_cent(
    replica: Any, tmp_path: Path, paper: str
) -> None:
    printer = PrinterConfig(name="Files", kind="pdf", address=str(tmp_path), paper=paper)
    service = service_for(replica, printer)
    sale = sell(replica, cash=True, items=4)
    result = service.print_sale(sale.payload)
    assert result is not None and result.ok, result.message
    pdf = Path(result.printed.path)
    assert pdf == tmp_path / f"{sale.number}.pdf"
    assert_sale_in(pdf_text(pdf), sale.payload)
    keep_png(pdf, f"receipt-{paper}")


def test_system_printer_through_qt_prints_the_same_receipt(replica: Any, tmp_path: Path, qapp: Any) -> None:
    out = tmp_path / "qt.pdf"

    def to_pdf(blocks: Any, printer: PrinterConfig, *, title: str) -> None:
        print_blocks(blocks, printer, title=title, output_pdf=str(out))

    printer = PrinterConfig(name="Office", kind="system", address="", paper="80mm")
    base = service_for(replica, printer)
    service = PrintService(replica, base.settings, system=to_pdf)
    sale = sell(replica, cash=False, items=2)
    result = service.print_sale(sale.payload)
    assert result is not None and result.ok, result.message
    text = pdf_text(out)
    assert sale.number in text and "Café Zentral" in text
    total = " ".join(text.split())
    from pos.domain.money import Money

    assert money(Money(sale.payload["total"], "EUR")) in total and "Card" in total
    keep_png(out, "receipt-qt-80mm")


def test_system_printer_without_a_window_says_so(replica: Any) -> None:
    printer = PrinterConfig(name="Office", kind="system", address="", paper="a4")
    result = service_for(replica, printer).print_sale(sell(replica).payload)
    assert result is not None and not result.ok
    assert "System printers can be used from the Countertop window only" in result.message
