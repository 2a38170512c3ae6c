"""Sale commit latency: CheckoutService.checkout, durable (synchronous=FULL), p50/p95/p99.

    .venv/bin/python benchmarks/sale_commit.py [--sales 2000] [--products 100000]
                                               [--background child|thread|process|none]

1. Quiet: a replica with a 2,000-product catalog; `--sales` carts of 1 to 5 scanned items, each
   paid in cash; only `checkout` is timed (validation, one BEGIN IMMEDIATE transaction writing the
   sale, lines, payments, receipt number, outbox row and pending stock, COMMIT with fsync).
   Also prints the raw SQLite floor: a one-row durable commit on the same file.
2. Busy: the same checkouts into a fresh replica while a first sync of the cached
   `--products`-product shop (benchmarks/first_sync.py's cache, served by `countertop-shop serve`
   on 127.0.0.1) loads into that same file: "child" as the app does it (the sync engine in a thread,
   its snapshot run in a child process, pos.snapshot_child), "thread" (all in a thread of this
   process, as the app did before), or "process" (the whole sync in another process).
   A sale every `--pause-ms` until the sync is done.

Targets (issue 4): p99 <= 10 ms quiet, <= 50 ms during the first sync.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from first_sync import DEFAULT_CACHE, Server, cached_shop  # noqa: E402

from pos.domain.cart import Cart  # noqa: E402
from pos.domain.money import Money  # noqa: E402
from pos.domain.tender import Tender  # noqa: E402
from pos.services.checkout import CheckoutService  # noqa: E402
from pos.snapshot_child import ChildSnapshot  # noqa: E402
from pos.store import till  # noqa: E402
from pos.store.database import driver_connection, open_replica  # noqa: E402
from pos.store.replica import CHUNK_DOCS, SqliteReplica  # noqa: E402
from pos.store.till_file import till_engine  # noqa: E402
from sync.connectors.countertop import CountertopConnector  # noqa: E402
from sync.engine import SyncEngine  # noqa: E402
from sync.protocol import ShopInfo  # noqa: E402
from tests.staffing import as_cashier, open_shift  # noqa: E402
from tests.store import catalog_docs as cd  # noqa: E402

CATALOG = 2000
BENCH_SHOP = ShopInfo(shop_name="Bench", currency="EUR", prices_include_tax=True, device_id="bench",
                      device_name="bench", head=10)  # fmt: skip


def summary(label: str, samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    if not ms:
        return f"{label}: no samples"
    q = statistics.quantiles(ms, n=100, method="inclusive")
    return (
        f"{label}: {len(ms):,} sales  p50 {q[49]:.2f} ms  p95 {q[94]:.2f} ms  p99 {q[98]:.2f} ms  "
        f"max {ms[-1]:.2f} ms"
    )


def _till_row(engine, location_id: str | None = None) -> None:
    with driver_connection(till_engine(engine)) as con:
        con.execute("BEGIN IMMEDIATE")
        till.record_till(con, "0193bench-0000-7000-8000-000000000001", "B1")
        if location_id:
            till.set_location(con, location_id)
        con.execute("COMMIT")


def quiet_replica(path: Path) -> tuple[object, list[str]]:
    engine = open_replica(path)
    replica = SqliteReplica(engine)
    docs = list(cd.products(CATALOG, seed=3))
    cd.load_catalog(replica, docs)
    replica.record_shop(BENCH_SHOP)
    _till_row(engine)
    open_shift(engine)
    codes = [v["barcode"] or v["sku"] for doc in docs for v in doc["variants"]]
    return engine, codes


def make_carts(service: CheckoutService, codes: list[str], count: int, rng: random.Random) -> list[Cart]:
    carts = []
    for _ in range(count):
        cart = service.new_cart()
        for code in rng.sample(codes, rng.randint(1, 5)):
            service.scan(cart, code)
        carts.append(cart)
    return carts


def pay(cart: Cart) -> list[Tender]:
    total = cart.totals().total
    return [Tender("cash", total + Money(500, total.currency))]


def raw_floor(path: Path, count: int = 300) -> list[float]:
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("CREATE TABLE IF NOT EXISTS floor (id INTEGER PRIMARY KEY, doc TEXT)")
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        con.execute("BEGIN IMMEDIATE")
        con.execute("INSERT INTO floor (doc) VALUES (?)", ("x" * 1500,))
        con.execute("COMMIT")
        samples.append(time.perf_counter() - started)
    con.close()
    return samples


def timed_checkouts(
    service: CheckoutService, carts: list[Cart], until=None, pause: float = 0.0
) -> list[float]:
    samples = []
    for cart in carts:
        if until is not None and until():
            break
        started = time.perf_counter()
        service.checkout(cart, pay(cart))
        samples.append(time.perf_counter() - started)
        if pause:
            time.sleep(pause)
    return samples


def sync_child(url: str, token: str, path: str, chunk_docs: int) -> None:
    engine = open_replica(Path(path))
    started = time.perf_counter()
    SyncEngine(SqliteReplica(engine, chunk_docs=chunk_docs), CountertopConnector(url, token)).pull_once()
    print(f"{time.perf_counter() - started:.2f}", flush=True)
    engine.dispose()


def busy(args: argparse.Namespace, work: Path, carts: list[Cart]) -> None:
    cached = cached_shop(args.products, args.cache_dir)
    database = work / "shop.sqlite3"
    shutil.copyfile(cached, database)
    server = Server(database)
    path = work / "busy.sqlite3"
    ui = open_replica(path)
    SqliteReplica(ui).record_shop(BENCH_SHOP)  # the shop row a shift needs; the sync rewrites it
    _till_row(ui, location_id="bench-location")
    open_shift(ui)
    service = CheckoutService(ui, who=as_cashier())
    try:
        if args.background in ("thread", "child"):
            sync_db = open_replica(path)
            done = threading.Event()
            wall: list[float] = []

            def run() -> None:
                started = time.perf_counter()
                try:
                    replica = SqliteReplica(sync_db, chunk_docs=args.chunk_docs)
                    # "child": the app's arrangement, snapshot runs in a child process (pos.snapshot_child)
                    child = args.background == "child"
                    runner = ChildSnapshot(path, server.url, server.token) if child else None
                    connector = CountertopConnector(server.url, server.token)
                    SyncEngine(replica, connector, snapshot_runner=runner).pull_once()
                finally:
                    wall.append(time.perf_counter() - started)
                    done.set()

            thread = threading.Thread(target=run, daemon=True)
            thread.start()
            samples = timed_checkouts(service, carts, until=done.is_set, pause=args.pause_ms / 1000)
            thread.join()
            sync_db.dispose()
            sync_wall = wall[0]
        else:
            child = subprocess.Popen(
                [sys.executable, __file__, "--sync-child", server.url, server.token, str(path),
                 "--chunk-docs", str(args.chunk_docs)],
                stdout=subprocess.PIPE, text=True,
            )  # fmt: skip
            samples = timed_checkouts(service, carts, until=lambda: child.poll() is not None,
                                      pause=args.pause_ms / 1000)  # fmt: skip
            out, _ = child.communicate()
            sync_wall = float(out.strip().splitlines()[-1])
        print(
            f"first sync of {args.products:,} products in the background ({args.background}, "
            f"{args.chunk_docs:,} documents per transaction): "
            f"{sync_wall:.2f} s"
        )
        print(
            summary(
                f"checkout during the first sync (a sale every {args.pause_ms} ms + its own time)", samples
            )
        )
        if len(samples) == len(carts):
            print("  (ran out of carts before the sync ended: raise --sales)")
    finally:
        ui.dispose()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sales", type=int, default=2000)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--background", choices=("child", "thread", "process", "none"), default="child")
    parser.add_argument("--pause-ms", type=float, default=5.0, help="between sales while the sync runs")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    parser.add_argument(
        "--chunk-docs",
        type=int,
        default=CHUNK_DOCS,
        help="documents per sync transaction (the replica's CHUNK_DOCS by default)",
    )
    parser.add_argument("--sync-child", nargs=3, metavar=("URL", "TOKEN", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sync_child:
        sync_child(*args.sync_child, chunk_docs=args.chunk_docs)
        return

    rng = random.Random(11)
    with tempfile.TemporaryDirectory(prefix="countertop-sale-commit-") as tmp:
        work = Path(tmp)
        engine, codes = quiet_replica(work / "quiet.sqlite3")
        service = CheckoutService(engine, who=as_cashier())
        carts = make_carts(service, codes, args.sales, rng)
        print(
            summary("raw SQLite floor (one-row durable commit, same disk)", raw_floor(work / "floor.sqlite3"))
        )
        timed_checkouts(service, carts[:50])  # warm the page cache and the pool
        print(summary("checkout, quiet", timed_checkouts(service, carts)))
        engine.dispose()
        if args.background != "none":
            busy(args, work, carts)


if __name__ == "__main__":
    main()
