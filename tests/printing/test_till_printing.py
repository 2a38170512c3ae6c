"""Which printer a till uses (pos.services.printing.till_printing) and `countertop sell` printing its
receipt there: the configured receipt printer, the demo shop's PDF receipts when nothing is set up,
nothing at all on a real shop without a printer. A printer that fails never undoes the sale."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from PIL import Image

from pos.printing.config import PrinterConfig, PrintingSettings
from pos.sell_command import sell_command
from pos.services.printing import DEMO_PRINTER, PrintService, till_printing
from pos.settings import Settings, ShopConnection
from pos.shift_command import PIN_ENV
from pos.store.till_file import connect_both
from tests.e2e_support import SELLER, SELLER_PIN
from tests.printing.conftest import LOOK
from tests.printing.printer_server import PrinterServer
from tests.ui.sell_support import variants

Capture = Any


def till(printing_shop: Path, folder: Path, printing: PrintingSettings | None = None,
         demo: bool = False) -> Settings:  # fmt: skip
    """A data folder holding a copy of the synced till, its settings file read back as `countertop` does."""
    settings = Settings(folder)
    settings.connection = ShopConnection("http://127.0.0.1:9", "device", "till", "Shop", "EUR", demo=demo)
    shutil.copytree(printing_shop, settings.replica_path().parent)
    if printing is not None:
        settings.printing = printing
    settings.save()
    return Settings.load(folder)


def sell(settings: Settings, engine: Any, capsys: Capture) -> tuple[str, str, str]:
    """`countertop sell` of two items paid in cash: (receipt number, stdout, stderr)."""
    codes = [v["barcode"] for v in variants(engine)[:2]]
    with patch.dict(os.environ, {PIN_ENV: SELLER_PIN}):  # the PIN a script would pass
        assert sell_command(settings, codes, cash=["1000"], staff=SELLER) == 0
    out, err = capsys.readouterr()
    number = re.search(r"^Receipt: (\S+)$", out, re.M)
    assert number is not None and "Total:" in out and "Change:" in out, out  # the text receipt stays
    return number[1], out, err


def sales(settings: Settings) -> list[str]:
    con = connect_both(settings.replica_path())
    try:
        return [row[0] for row in con.execute("SELECT number FROM sale")]
    finally:
        con.close()


def test_sell_prints_the_receipt_on_the_configured_printer(
    printing_shop: Path, replica: Any, tmp_path: Path, capsys: Capture, printer_server: PrinterServer
) -> None:
    logo = tmp_path / "logo.png"
    Image.new("RGB", (400, 120), "black").save(logo)
    counter = PrinterConfig(name="Counter", kind="network", address=printer_server.address, drawer=True)
    printing = PrintingSettings((counter,), {"receipt": "Counter"}, replace(LOOK, logo=str(logo)))
    settings = till(printing_shop, tmp_path / "data", printing)
    number, out, err = sell(settings, replica, capsys)
    lines = out.splitlines()  # stdout holds the text receipt alone, nothing from the printer code
    assert lines[0] == f"Receipt: {number}" and lines[-1].startswith("Change:"), out
    (job,) = printer_server.wait_jobs(1)
    assert number.encode() in job.data and "Café Zentral".encode("cp858") in job.data
    assert b"\x1dv0" in job.data  # the logo, as a raster image (GS v 0)
    assert b"\x1bp\x00" in job.data  # paid in cash: the drawer opens
    assert err.strip() == f"Receipt {number} printed on Counter."


def test_a_printer_that_is_off_is_reported_and_the_sale_stands(
    printing_shop: Path, replica: Any, tmp_path: Path, capsys: Capture
) -> None:
    off = PrinterServer(mode="off")
    try:
        counter = PrinterConfig(name="Counter", kind="network", address=off.address)
        printing = PrintingSettings((counter,), {"receipt": "Counter"})
        settings = till(printing_shop, tmp_path / "data", printing)
        number, _out, err = sell(settings, replica, capsys)
    finally:
        off.stop()
    assert f"Receipt {number} was not printed." in err and "refused the connection" in err
    assert "The sale is recorded: reprint it from the till (F10)" in err
    assert sales(settings) == [number]


def test_demo_till_without_printers_writes_pdf_receipts_to_the_data_folder(
    printing_shop: Path, replica: Any, tmp_path: Path, capsys: Capture
) -> None:
    settings = till(printing_shop, tmp_path / "data", demo=True)
    number, _out, err = sell(settings, replica, capsys)
    pdf = settings.data_dir / "receipts" / f"{number}.pdf"
    assert err.strip() == f"Receipt {number} printed on {DEMO_PRINTER} ({pdf})."
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    assert number in text
    assert Settings.load(settings.data_dir).printing == PrintingSettings()  # the default is not saved


def test_real_shop_without_printers_prints_nothing(
    printing_shop: Path, replica: Any, tmp_path: Path, capsys: Capture
) -> None:
    settings = till(printing_shop, tmp_path / "data")
    number, _out, err = sell(settings, replica, capsys)
    assert err == "" and sales(settings) == [number]
    assert not (settings.data_dir / "receipts").exists()


def test_demo_default_gives_way_to_what_a_person_saved(replica: Any, tmp_path: Path) -> None:
    settings = Settings(tmp_path)
    settings.connection = ShopConnection("http://127.0.0.1:9", "device", "till", "Shop", "EUR", demo=True)
    (pdf,) = till_printing(settings).printers
    assert (pdf.kind, pdf.paper, Path(pdf.address)) == ("pdf", "80mm", tmp_path / "receipts")
    assert till_printing(settings).printer_for("receipt") == pdf
    service = PrintService.for_settings(replica, settings)
    saved = service.update_settings(PrintingSettings())  # the person removed every printer
    assert saved.configured and service.settings.printers == ()
    reloaded = Settings.load(tmp_path)
    assert reloaded.printing.configured and till_printing(reloaded).printers == ()  # no PDFs come back


@pytest.mark.parametrize("demo", [False, True])
def test_saved_printers_are_used_as_they_are(tmp_path: Path, demo: bool) -> None:
    settings = Settings(tmp_path)
    settings.connection = ShopConnection("http://127.0.0.1:9", "device", "till", "Shop", "EUR", demo=demo)
    counter = PrinterConfig(name="Counter", address="10.0.0.5")
    settings.printing = PrintingSettings((counter,), {"receipt": "Counter"})
    assert till_printing(settings) is settings.printing
