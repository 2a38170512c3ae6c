"""Till-side push throughput: how fast a till drains its outbox into the reference shop.

The whole path the sync loop takes, per batch of MAX_PUSH_BATCH: read the batch from the outbox,
POST it (gzipped) through the CountertopConnector, check the answer, settle it in one outbox
transaction. Then the pull that brings the movements back and drops the pending deltas, and an
idle push (nothing waiting: the cost the loop pays every tick). Prints sales/s and the share of
each step. (benchmarks/push.py measures the shop alone, with raw HTTP.)

    .venv/bin/python benchmarks/push_drain.py [--sales 2000] [--products 200]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures.sales import Till  # noqa: E402
from tests.fixtures.shop_server import make_live_shop  # noqa: E402


class Timed:
    """Wraps a callable and adds up the time spent in it."""

    def __init__(self, function):  # type: ignore[no-untyped-def]
        self.function = function
        self.seconds = 0.0

    def __call__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        try:
            return self.function(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=2000)
    parser.add_argument("--products", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="push-drain-") as folder:
        shop = make_live_shop(Path(folder) / "shop", products=args.products)
        till = Till(Path(folder) / "till.sqlite3", shop.url, shop.device_token, timeout=(3.05, 60.0))
        try:
            till.first_pull()
            start = time.perf_counter()
            for n in range(args.sales):
                items = [(till.variants[(n + k) % len(till.variants)], 1 + (n + k) % 3) for k in range(3)]
                till.sell(*items, card=n % 2 == 0)
            enqueue_s = time.perf_counter() - start

            next_batch = till.outbox.next_batch = Timed(till.outbox.next_batch)  # type: ignore[method-assign]
            push = till.connector.push = Timed(till.connector.push)  # type: ignore[method-assign]
            settle = till.outbox.settle = Timed(till.outbox.settle)  # type: ignore[method-assign]
            start = time.perf_counter()
            report = till.sync.push_once()
            drain_s = time.perf_counter() - start
            start = time.perf_counter()
            pulled = till.sync.pull_once()
            pull_s = time.perf_counter() - start
            idle = []
            for _ in range(50):
                start = time.perf_counter()
                till.sync.push_once()
                idle.append(time.perf_counter() - start)
            assert report.applied == args.sales and till.pending() == [], "not every sale went through"

            print(f"sales: {args.sales:,} (3 lines each) in {report.batches} batches")
            rate = args.sales / enqueue_s
            print(f"enqueue (test helper, one durable transaction each): {rate:,.0f} sales/s")
            print(f"drain (push_once): {drain_s:.2f} s = {args.sales / drain_s:,.0f} sales/s")
            for name, part in (("next_batch", next_batch), ("connector.push", push), ("settle", settle)):
                print(f"  {name:<15} {part.seconds:6.2f} s  {100 * part.seconds / drain_s:5.1f} %")
            changes = pulled.changes_applied
            print(f"pull afterwards: {changes:,} changes in {pull_s:.2f} s; no pending delta left")
            idle.sort()
            print(f"idle push (nothing waiting): p50 {1000 * idle[25]:.2f} ms, max {1000 * idle[-1]:.2f} ms")
        finally:
            till.close()
            shop.stop()


if __name__ == "__main__":
    main()
