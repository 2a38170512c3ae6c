"""A return's receipt: the returned lines by title, the refund per method, the sale it refunds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pos.printing.config import PrinterConfig
from pos.services.returns import ReturnsService
from tests.printing.conftest import sell, service_for
from tests.printing.test_pdf_receipts import money, pdf_text
from tests.staffing import as_cashier


def test_return_receipt_prints_refund_and_reprints_by_return_number(replica: Any, tmp_path: Path) -> None:
    printer = PrinterConfig(name="Files", kind="pdf", address=str(tmp_path), paper="80mm")
    service = service_for(replica, printer)
    sale = sell(replica, cash=True, items=2)
    returns = ReturnsService(replica, who=as_cashier())
    found = returns.find_sale(sale.number)
    line = found.lines[0]
    done = returns.create_return(found, {line.line_id: 1}, refund_to="cash", reason="Too small")
    result = service.print_return(done.payload)
    assert result is not None and result.ok, result.message
    text = " ".join(pdf_text(Path(result.printed.path)).split())
    assert f"Return {done.number}" in text and f"Refund of sale {sale.number}" in text
    assert "Reason: Too small" in text and line.title[:20] in text
    assert f"REFUND TOTAL {money(done.total)}" in text and f"Refunded to cash {money(done.total)}" in text
    again = service.reprint(done.number)
    assert again.ok and "Return (copy)" in " ".join(pdf_text(Path(again.printed.path)).split())
    assert service.receipts.last_number() == done.number
