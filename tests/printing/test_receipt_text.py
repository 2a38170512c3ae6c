"""What reaches the paper: the tax base of tax-exclusive prices, thousands separators no code page
has, control characters in titles, a long code with no spaces. Real ESC/POS bytes and PDFs read
back with poppler, from sales built by the domain as the till builds them."""

from __future__ import annotations

import codecs
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pos.domain.cart import Cart, new_item
from pos.domain.money import Money
from pos.domain.sale import build_sale
from pos.domain.tax import TaxRate
from pos.domain.tender import Tender, settle
from pos.printing.build import sale_receipt
from pos.printing.config import CODE_PAGES, PrinterConfig
from pos.printing.document import ShopHeader
from pos.printing.printers import DocumentPrinter

STANDARD = TaxRate("std", "Standard", "20")


def sale(items: list[tuple[str, int]], *, inclusive: bool = True, tender: str = "card") -> dict:
    cart = Cart("EUR", inclusive)
    for title, price in items:
        cart.add(new_item(variant_id=None, product_id=None, sku="S", title=title,
                          unit_price=Money(price, "EUR"), tax_rate=STANDARD, quantity=1))  # fmt: skip
    totals = cart.totals()
    return build_sale(cart, settle(totals.total, [Tender(tender, totals.total)]), sale_id="s",
                      number="T1-000001", location_id="L", staff_id=None,
                      created_at=datetime(2026, 5, 1, 10, 0, tzinfo=UTC), totals=totals)  # fmt: skip


def escpos(payload: dict, locale: str = "en_GB", code_page: str = "CP858") -> bytes:
    printer = PrinterConfig(name="p", kind="file", address="/dev/null", paper="80mm", columns=48,
                            code_page=code_page)  # fmt: skip
    return DocumentPrinter(locale).escpos_bytes(sale_receipt(payload, ShopHeader("Shop")), printer)


def pdf_words(payload: dict, locale: str, tmp_path: Path) -> tuple[str, list[float], float]:
    """The PDF's text, each word's right edge and the page width, in points."""
    path = tmp_path / "receipt.pdf"
    path.write_bytes(DocumentPrinter(locale).pdf_bytes(sale_receipt(payload, ShopHeader("Shop")), "80mm"))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout  # fmt: skip
    boxes = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True, capture_output=True,
                           text=True).stdout  # fmt: skip
    width = float(re.search(r'<page width="([\d.]+)"', boxes).group(1))
    rights = [float(x) for x in re.findall(r'xMax="([\d.]+)"', boxes)]
    return text, rights, width


def test_tax_exclusive_prices_print_the_tax_on_the_net() -> None:
    data = escpos(sale([("Widget", 1000)], inclusive=False)).decode("cp858")
    assert re.search(r"Tax 20% on €10\.00 +€2\.00", data)
    assert re.search(r"TOTAL +€12\.00", data)


def test_tax_inclusive_prices_print_the_tax_in_the_gross() -> None:
    data = escpos(sale([("Widget", 1200)])).decode("cp858")
    assert re.search(r"Tax 20% incl\. €12\.00 +€2\.00", data)


@pytest.mark.parametrize("code_page", CODE_PAGES)
def test_french_thousands_print_with_a_space_on_every_code_page(code_page: str) -> None:
    # babel writes fr_FR's thousands separator as U+202F, which no code page has ("1?234,56").
    codec = codecs.lookup(code_page).name
    data = escpos(sale([("Lampe", 123456)], tender="cash"), "fr_FR", code_page).decode(codec)
    assert re.search(r"TOTAL +1\xa0234,56", data)
    assert "1?234" not in data


def test_french_thousands_in_a_pdf_are_a_space(tmp_path: Path) -> None:
    text, _, _ = pdf_words(sale([("Lampe", 123456)]), "fr_FR", tmp_path)
    assert re.search(r"TOTAL +1[ \xa0]234,56 €", text), text


def test_control_characters_in_a_title_never_reach_the_printer() -> None:
    # ESC p is a drawer kick: a card sale opens no drawer, whatever the shop's titles hold.
    data = escpos(sale([("Mug\x1bp\x00\x19\x19 blue", 500), ("Tab\there", 500)]))
    assert b"\x1bp" not in data and b"\x00\x19" not in data
    assert b"Mugp blue" in data and b"Tab here" in data


def test_typographic_marks_a_code_page_lacks_print_as_their_plain_look_alikes() -> None:
    data = escpos(sale([("Don’t – stop…", 500)]), code_page="CP858").decode("cp858")
    assert "Don't - stop..." in data


def test_a_long_code_without_spaces_stays_on_the_pdf_roll(tmp_path: Path) -> None:
    code = "SUPERLONGPRODUCTCODEWITHOUTANYSPACES_ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789"
    text, rights, width = pdf_words(sale([(code, 500)]), "en_GB", tmp_path)
    assert code in "".join(line.strip() for line in text.splitlines())  # every character printed
    assert max(rights) <= width
