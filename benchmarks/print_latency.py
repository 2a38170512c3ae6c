"""From "paid" (checkout returns) to the first receipt byte at a TCP printer on 127.0.0.1.

A real shop is seeded and synced into a till; each round checks out a 3-line cash sale, hands its
payload to a print worker thread (as the sell screen does) and the printer records when the
first byte arrives. Prints p50/p95/p99 in ms (target: p95 <= 100 ms).

    .venv/bin/python benchmarks/print_latency.py [--sales 300]
"""

from __future__ import annotations

import argparse
import queue
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pos.printing.config import PrinterConfig, PrintingSettings
from pos.services.printing import PrintService
from pos.store.database import open_replica
from tests.fixtures.shop_server import make_live_shop
from tests.printing.conftest import LOOK, _ensure_till, sell
from tests.printing.printer_server import PrinterServer
from tests.ui.conftest import sync_into


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sales", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        shop = make_live_shop(Path(folder) / "shop", products=50)
        server = PrinterServer()
        try:
            replica_path = Path(folder) / "till" / "replica.sqlite3"
            sync_into(shop, replica_path)
            _ensure_till(replica_path, shop.device_id)
            engine = open_replica(replica_path)
            engine.replica_path = replica_path  # type: ignore[attr-defined]  (tests.ui.sell_support.variants)
            printer = PrinterConfig(name="Counter", kind="network", address=server.address, drawer=True)
            service = PrintService(engine, PrintingSettings((printer,), {"receipt": "Counter"}, LOOK))
            jobs: queue.Queue = queue.Queue()
            worker = threading.Thread(target=_work, args=(service, jobs), daemon=True)
            worker.start()
            latencies = []
            for index in range(args.sales):
                sale = sell(engine, cash=True)
                paid = time.perf_counter()
                jobs.put(sale.payload)
                job = server.wait_jobs(index + 1, timeout=10)[index]
                latencies.append((job.first_byte_at - paid) * 1000)
            jobs.put(None)
            worker.join()
            engine.dispose()
        finally:
            server.stop()
            shop.stop()
            shop.session.close()
    cuts = statistics.quantiles(latencies, n=100)
    print(f"paid -> first byte at printer, {len(latencies)} sales: p50 {cuts[49]:.1f} ms, "
          f"p95 {cuts[94]:.1f} ms, p99 {cuts[98]:.1f} ms, max {max(latencies):.1f} ms")


def _work(service: PrintService, jobs: queue.Queue) -> None:
    while (payload := jobs.get()) is not None:
        result = service.print_sale(payload)
        if result is None or not result.ok:
            print("not printed:", result and result.message, file=sys.stderr)


if __name__ == "__main__":
    main()
