"""Push throughput of the reference shop: sales applied per second through `POST /sync/push`.

A till pushes realistic sales (3 lines of random variants, quantities 1-3, cash with change or card)
in batches of 100, gzipped as the till's connector sends them, one batch after the other, to a shop
served by `countertop-shop serve` (one worker) on SQLite and on PostgreSQL. Then it sends every
batch again, as a till does after a lost acknowledgement, and counts change-log rows, orders and
ledger rows before and after: the resend must write nothing. Target: at least 1,000 sales/s on both.

    .venv/bin/python benchmarks/push.py [--sales 5000] [--batch 100] [--products 1000]
        [--backend sqlite|postgres|both] [--database-url postgresql://...  (instead of a throwaway cluster)]

Without --database-url the PostgreSQL run starts a throwaway cluster the way the tests do
(tests/fixtures/shop_server.py: fsync off, so it measures the shop, not the disk).
"""

from __future__ import annotations

import argparse
import gzip
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import orjson
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sync.protocol import MAX_PUSH_BATCH  # noqa: E402
from tests.fixtures.shop_server import LiveShop, PostgresCluster, make_live_shop  # noqa: E402
from tests.sync.server.push_helpers import ShopCatalog, make_sale, mutation, row_counts  # noqa: E402


def build_batches(catalog: ShopCatalog, sales: int, batch: int, rng: random.Random) -> list[bytes]:
    """Gzipped push bodies (built before the clock starts: compressing is the till's work)."""
    mutations = []
    for _ in range(sales):
        items = [(rng.choice(catalog.variants), rng.randint(1, 3)) for _ in range(3)]
        sale = make_sale(catalog, items, location_id=rng.choice(catalog.location_ids))
        if rng.random() < 0.4:  # paid by card: no change
            total = sale["total"]
            sale["payments"] = [{**sale["payments"][0], "method": "card", "amount": total, "tendered": total}]
            sale["change"] = 0
        mutations.append(mutation("sale.create", sale))
    return [
        gzip.compress(orjson.dumps({"device_id": "", "mutations": mutations[i : i + batch]}), compresslevel=5)
        for i in range(0, len(mutations), batch)
    ]


def send_all(shop: LiveShop, bodies: list[bytes]) -> tuple[float, list[float], dict[str, int]]:
    """(seconds, per-batch ms, statuses) for sending every body in turn on one connection."""
    headers = {**shop.headers(), "Content-Type": "application/json", "Content-Encoding": "gzip"}
    statuses: dict[str, int] = {}
    took: list[float] = []
    url = f"{shop.url}/api/v1/sync/push"
    with requests.Session() as session:
        start = time.perf_counter()
        for body in bodies:
            t0 = time.perf_counter()
            response = session.post(url, data=body, headers=headers, timeout=120)
            took.append((time.perf_counter() - t0) * 1000)
            response.raise_for_status()
            for result in response.json()["results"]:
                statuses[result["status"]] = statuses.get(result["status"], 0) + 1
        return time.perf_counter() - start, took, statuses


def with_device(bodies: list[bytes], device_id: str) -> list[bytes]:
    out = []
    for body in bodies:
        doc = orjson.loads(gzip.decompress(body))
        doc["device_id"] = device_id
        out.append(gzip.compress(orjson.dumps(doc), compresslevel=5))
    return out


def pct(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]
    )


def run(name: str, folder: Path, args: argparse.Namespace, database_url: str | None) -> None:
    shop = make_live_shop(folder, args.products, database_url)
    try:
        catalog = ShopCatalog.read(shop)
        bodies = with_device(build_batches(catalog, args.sales, args.batch, random.Random(1)), shop.device_id)
        before = row_counts(shop)
        seconds, took, statuses = send_all(shop, bodies)
        applied = row_counts(shop)
        resend_seconds, resend_took, resend_statuses = send_all(shop, bodies)
        after = row_counts(shop)
    finally:
        shop.stop()
    size = sum(len(b) for b in bodies) / len(bodies) / 1024
    print(f"{name}: {args.sales} sales in batches of {args.batch} (3 lines, gzipped ~{size:.0f} KB a batch)")
    print(f"  applied: {statuses}")
    print(f"  sales/s: {args.sales / seconds:,.0f}   (target >= 1,000)")
    print(f"  batch ms: p50 {pct(took, 50):.0f}  p95 {pct(took, 95):.0f}  max {max(took):.0f}")
    written = {
        t: applied[t] - before[t] for t in ("change_log", "order", "stock_movement", "applied_mutation")
    }
    print(f"  rows written: {written}")
    print(f"  resend of the same batches: {resend_statuses}, {args.sales / resend_seconds:,.0f} mutations/s")
    print(f"    batch ms: p50 {pct(resend_took, 50):.0f}  p95 {pct(resend_took, 95):.0f}")
    delta = {t: after[t] - applied[t] for t in after}
    verdict = "nothing new written" if not any(delta.values()) else "NEW ROWS WRITTEN"
    print(f"    rows before -> after resend: {delta} ({verdict})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=MAX_PUSH_BATCH)
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument(
        "--database-url", help="an empty PostgreSQL database to use instead of a throwaway cluster"
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="countertop-push-"))
    if args.backend in ("sqlite", "both"):
        run("SQLite", folder / "sqlite", args, None)
    if args.backend in ("postgres", "both"):
        if args.database_url:
            run("PostgreSQL", folder / "pg", args, args.database_url)
        else:
            cluster = PostgresCluster.start()
            try:
                run("PostgreSQL (throwaway cluster, fsync off)", folder / "pg", args, cluster.url("postgres"))
            finally:
                cluster.stop()


if __name__ == "__main__":
    main()
