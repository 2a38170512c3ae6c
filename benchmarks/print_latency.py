"""From "paid" (checkout returns) to the first receipt byte at a TCP printer on 127.0.0.1, and the
next scan taken while that receipt prints.

A real shop is seeded and synced into a till; each round checks out a 3-line cash sale and hands its
payload to the sell screen's own print worker (pos.ui.printing.receipt_printing.ReceiptPrinting, on
its own thread), then at once scans the next item as the sell screen's db lane would, while the
worker renders and sends the receipt. The printer records when the first byte arrives. Prints
p50/p95/p99 in ms of both (target: paid -> first byte p95 <= 100 ms; the scan never waits for the
printer).

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/print_latency.py [--sales 300] [--logo]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image, ImageDraw
from PySide6.QtCore import QCoreApplication

from pos.printing.config import PrinterConfig, PrintingSettings
from pos.services.checkout import CheckoutService
from pos.services.printing import PrintService
from pos.store.database import open_replica
from pos.ui.printing.receipt_printing import ReceiptPrinting
from tests.fixtures.shop_server import make_live_shop
from tests.printing.conftest import LOOK, _ensure_till, sell
from tests.printing.printer_server import PrinterServer
from tests.staffing import as_cashier
from tests.ui.conftest import sync_into
from tests.ui.sell_support import variants


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sales", type=int, default=300)
    parser.add_argument("--logo", action="store_true", help="a 576-dot logo on every receipt")
    args = parser.parse_args()
    app = QCoreApplication.instance() or QCoreApplication([])
    with tempfile.TemporaryDirectory() as folder:
        shop = make_live_shop(Path(folder) / "shop", products=50)
        server = PrinterServer()
        try:
            replica_path = Path(folder) / "till" / "replica.sqlite3"
            sync_into(shop, replica_path)
            _ensure_till(replica_path, shop.device_id)
            engine = open_replica(replica_path)
            engine.replica_path = replica_path  # type: ignore[attr-defined]  (tests.ui.sell_support.variants)
            look = replace(LOOK, logo=_logo(Path(folder))) if args.logo else LOOK
            printer = PrinterConfig(name="Counter", kind="network", address=server.address, drawer=True)
            service = PrintService(engine, PrintingSettings((printer,), {"receipt": "Counter"}, look))
            printing = ReceiptPrinting(service)
            failures: list[str] = []
            printing.failed.connect(lambda result: failures.append(result.message))
            checkout = CheckoutService(engine, who=as_cashier())
            codes = [v["barcode"] for v in variants(engine)]
            first_byte, next_scan = [], []
            for index in range(args.sales):
                sale = sell(engine, cash=True)
                paid = time.perf_counter()
                printing.print_sale(sale.payload)
                cart = checkout.new_cart()
                checkout.scan(cart, codes[index % len(codes)])  # the next customer's first item
                next_scan.append((time.perf_counter() - paid) * 1000)
                job = server.wait_jobs(index + 1, timeout=10)[index]
                first_byte.append((job.first_byte_at - paid) * 1000)
                app.processEvents()  # the worker's answers (printed / failed) come back here
            printing.shutdown(10_000)
            engine.dispose()
        finally:
            server.stop()
            shop.stop()
            shop.session.close()
    if failures:
        print(f"{len(failures)} receipts not printed, first: {failures[0]}", file=sys.stderr)
    logo = " with a logo" if args.logo else ""
    print(f"paid -> first byte at printer{logo}, {len(first_byte)} sales: {_figures(first_byte)}")
    print(f"paid -> next scan answered while the receipt prints: {_figures(next_scan)}")


def _figures(values: list[float]) -> str:
    cuts = statistics.quantiles(values, n=100)
    return f"p50 {cuts[49]:.1f} ms, p95 {cuts[94]:.1f} ms, p99 {cuts[98]:.1f} ms, max {max(values):.1f} ms"


def _logo(folder: Path) -> str:
    path = folder / "logo.png"
    image = Image.new("RGB", (600, 180), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, 590, 170), outline="black", width=12)
    draw.ellipse((40, 40, 140, 140), fill="black")
    image.save(path)
    return str(path)


if __name__ == "__main__":
    main()
