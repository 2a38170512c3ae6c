"""ESC/POS receipts of real sales, received by a TCP printer on 127.0.0.1: the bytes a printer gets."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pos.printing.layout import MoneyText
from pos.store.database import read_transaction
from pos.store.sales import sale_by_number
from tests.printing.conftest import network_printer, sell, service_for

INIT = b"\x1b@"
CUT = b"\x1dV\x00"
KICK = b"\x1bp\x00"  # ESC p, pin 2
money = MoneyText("en_GB")


def code128(number: str) -> bytes:
    data = b"{B" + number.encode()
    return b"\x1dkI" + bytes([len(data)]) + data  # GS k 73 n data


def text(value: str, code_page: str = "cp858") -> bytes:
    return value.encode(code_page)


def test_cash_sale_prints_every_figure_in_cp858_with_barcode_cut_and_drawer_kick(
    replica: Any, printer_server: Any
) -> None:
    service = service_for(replica, network_printer(printer_server))
    sale = sell(replica, cash=True)
    result = service.print_sale(sale.payload)
    assert result is not None and result.ok, result and result.message
    (job,) = printer_server.wait_jobs(1)
    data = job.data
    assert data.startswith(INIT + b"\x1bt\x13")  # ESC @, then ESC t 19: code page CP858
    assert text("Café Zentral") in data and b"Caf\x82" in data  # é is 0x82 in CP858
    assert text("Hauptstraße 1, 10115 Berlin") in data
    assert "€".encode("cp858") == b"\xd5" and text(money(sale.totals.total)) in data
    payload = sale.payload
    for line in payload["lines"]:
        assert text(line["title"][:20]) in data
        assert text(money(_eur(line["total"]))) in data
    assert text(money(_eur(payload["payments"][0]["tendered"]))) in data
    assert text(money(_eur(payload["change"]))) in data
    assert code128(sale.number) in data
    assert data.count(KICK) == 1 and data.index(KICK) < data.rindex(CUT)
    assert data.endswith(CUT)


def test_card_sale_never_kicks_the_drawer(replica: Any, printer_server: Any) -> None:
    service = service_for(replica, network_printer(printer_server))
    sale = sell(replica, cash=False)
    assert service.print_sale(sale.payload).ok
    (job,) = printer_server.wait_jobs(1)
    assert KICK not in job.data and b"\x1bp" not in job.data
    assert text("Ref. AUTH-77") in job.data and code128(sale.number) in job.data


# Style commands of python-escpos's set(): ESC @, ESC ! n (print mode: 0x20 is double width),
# ESC { / E / - / M / a / t n, GS b / B n. They hold until set again, across lines.
_STYLE = re.compile(rb"\x1b@|\x1b[!{EM\-at].|\x1d[bB].", re.S)
_MODE = re.compile(rb"\x1b!(.)", re.S)


def printed_widths(data: bytes) -> Iterator[tuple[bytes, int]]:
    """Each printed text line and its character width (2 when double width is on)."""
    double = False
    for raw in data.split(b"\n"):
        if b"\x1dk" in raw or b"\x1dv" in raw or b"\x1bp" in raw:
            continue  # a barcode, a raster logo, the drawer kick and cut
        for mode in _MODE.finditer(raw):
            double = bool(mode.group(1)[0] & 0x20)
        yield _STYLE.sub(b"", raw), 2 if double else 1


def test_58mm_paper_keeps_every_line_within_32_columns(replica: Any, printer_server: Any) -> None:
    printer = network_printer(printer_server, paper="58mm", columns=32)
    sale = sell(replica)
    assert service_for(replica, printer).print_sale(sale.payload).ok
    (job,) = printer_server.wait_jobs(1)
    assert b"-" * 32 + b"\n" in job.data and b"-" * 33 not in job.data
    widths = list(printed_widths(job.data))
    assert any(b"TOTAL" in line and scale == 2 for line, scale in widths)  # double width, checked too
    for line, scale in widths:
        assert len(line) * scale <= 32, (line, scale)


def test_cp1252_code_page_is_selected_and_used(replica: Any, printer_server: Any) -> None:
    printer = network_printer(printer_server, code_page="CP1252")
    sale = sell(replica)
    assert service_for(replica, printer).print_sale(sale.payload).ok
    (job,) = printer_server.wait_jobs(1)
    assert job.data.startswith(INIT + b"\x1bt\x10")  # ESC t 16: WPC1252
    assert text("Café Zentral", "cp1252") in job.data and b"\x80" in job.data  # € is 0x80 in 1252


def test_reprint_by_number_is_a_copy_without_drawer_kick(replica: Any, printer_server: Any) -> None:
    service = service_for(replica, network_printer(printer_server))
    sale = sell(replica, cash=True)
    result = service.reprint(sale.number.lower().replace("-0000", "-"))  # "t1-42" as typed
    assert result.ok, result.message
    (job,) = printer_server.wait_jobs(1)
    assert text(f"Receipt (copy) {sale.number}") in job.data and KICK not in job.data
    with read_transaction(replica) as con:
        assert sale_by_number(con, sale.number) == sale.payload  # printing never touches the sale


def _eur(minor: int) -> Any:
    from pos.domain.money import Money

    return Money(minor, "EUR")
