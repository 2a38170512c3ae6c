"""Scan to line shown in the cart, measured in the sell screen's widget, on a 100,000-product replica.

A scan is what a barcode scanner does: digits typed into the scan field, then Enter. The time runs
from the Enter key press (and, second figure, from the first digit) until the sell screen has shown
the new line: the code went through the task runner's db lane to CheckoutService.scan, the CartView
came back to the UI thread, the table model and the totals show it (`cart_shown`). Random barcodes
of the whole catalog; the cart starts afresh every CART_LINES scans, as a sale would.

Target: p95 <= 30 ms. Prints figures only; no assertions.

    .venv/bin/python benchmarks/scan_to_cart.py [--products 100000] [--scans 1000]

The replica is a copy of benchmarks/lookup.py's cached one (built there if missing), with the shop
row and the till row a first sync would write.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QEvent, QEventLoop, Qt, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from benchmarks import lookup  # noqa: E402
from pos.services.checkout import CheckoutService  # noqa: E402
from pos.store.database import driver_connection, open_replica  # noqa: E402
from pos.store.replica import SqliteReplica  # noqa: E402
from pos.store.till import ensure_till  # noqa: E402
from pos.store.till_file import till_engine  # noqa: E402
from pos.ui import launcher  # noqa: E402
from pos.ui.formatting import MoneyFormatter  # noqa: E402
from pos.ui.sell.sell_screen import SellScreen  # noqa: E402
from pos.ui.sell.services import Selling  # noqa: E402
from pos.ui.tasks import TaskRunner  # noqa: E402
from sync.protocol import ShopInfo  # noqa: E402
from tests.staffing import as_cashier  # noqa: E402

CART_LINES = 25


def replica_path(products: int) -> Path:
    source = lookup.CACHE / f"lookup-{products}.sqlite3"
    if not source.exists():
        lookup.CACHE.mkdir(parents=True, exist_ok=True)
        print(f"building a {products:,}-product replica (benchmarks/lookup.py's) ...", flush=True)
        lookup.build(source, products)
    target = lookup.CACHE / f"scan-to-cart-{products}.sqlite3"
    if not target.exists():
        shutil.copy(source, target)
        engine = open_replica(target)  # brings the copy to the current schema
        SqliteReplica(engine).record_shop(
            ShopInfo(
                shop_name="Bench shop",
                currency="EUR",
                prices_include_tax=True,
                device_id="bench-device",
                device_name="bench",
                head=1,
            )
        )
        with driver_connection(till_engine(engine)) as con:
            con.execute("BEGIN IMMEDIATE")
            ensure_till(con, "bench-device")
            con.execute("COMMIT")
        engine.dispose()
    return target


def wait_for(signal: object, timeout_ms: int = 5000) -> None:
    loop = QEventLoop()
    signal.connect(loop.quit)  # type: ignore[attr-defined]
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    signal.disconnect(loop.quit)  # type: ignore[attr-defined]


def one_scan(screen: SellScreen, code: str) -> tuple[float, float]:
    """(ms from Enter, ms from the first digit) until the line is on screen."""
    lines_before = screen.view.item_count if screen.view else 0
    first_key = time.perf_counter()
    QTest.keyClicks(screen.scan_edit, code)
    enter = time.perf_counter()
    loop = QEventLoop()
    screen.cart_shown.connect(loop.quit)
    QTest.keyClick(screen.scan_edit, Qt.Key.Key_Return)
    if screen.view is None or screen.view.item_count == lines_before:
        QTimer.singleShot(5000, loop.quit)
        loop.exec()
    done = time.perf_counter()
    screen.cart_shown.disconnect(loop.quit)
    if screen.view is None or screen.view.item_count != lines_before + 1:
        raise RuntimeError(f"scan of {code} did not add a line: {screen.message}")
    return (done - enter) * 1000, (done - first_key) * 1000


def percentiles(label: str, samples: list[float]) -> None:
    samples = sorted(samples)
    q = statistics.quantiles(samples, n=100, method="inclusive")
    print(
        f"  {label:<28} p50 {q[49]:6.2f}  p95 {q[94]:6.2f}  p99 {q[98]:6.2f}  max {samples[-1]:7.2f} ms"
        f"   ({len(samples)} scans; target p95 <= 30 ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--scans", type=int, default=1000)
    args = parser.parse_args()
    path = replica_path(args.products)
    engine = open_replica(path)
    with engine.connect() as connection:
        codes = [
            row[0]
            for row in connection.exec_driver_sql(
                "SELECT barcode FROM variant WHERE barcode IS NOT NULL"
            ).all()
        ]
    rng = random.Random(3)
    picks = [rng.choice(codes) for _ in range(args.scans + 50)]

    QApplication.instance() or launcher.make_application()
    launcher.quiet_offscreen_messages()
    tasks = TaskRunner()
    screen = SellScreen(
        Selling(CheckoutService(engine, who=as_cashier())), tasks, MoneyFormatter("EUR", "en_GB")
    )
    screen.resize(1280, 760)
    screen.show()
    screen.start()
    wait_for(screen.cart_shown)
    from_enter: list[float] = []
    from_first: list[float] = []
    for number, code in enumerate(picks):
        if number % CART_LINES == 0:
            screen.run(screen.keeper.fresh, then=screen.show_view)
            wait_for(screen.cart_shown)
        enter_ms, first_ms = one_scan(screen, code)
        if number >= 50:  # the first scans warm the page cache and statement cache
            from_enter.append(enter_ms)
            from_first.append(first_ms)
    print(
        f"scan to cart line shown, {args.products:,} products ({path.name}), "
        f"carts of up to {CART_LINES} lines:"
    )
    percentiles("from Enter", from_enter)
    percentiles("from first digit", from_first)
    print(f"  peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    tasks.shutdown()
    screen.close()
    # Delete the widgets and collect while Qt is still up: a collection during interpreter
    # shutdown freed Qt objects after QApplication and aborted the process.
    screen.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    gc.collect()
    engine.dispose()


if __name__ == "__main__":
    main()
