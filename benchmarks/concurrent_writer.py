"""A customer saved at the till, in another process, while a first sync loads the catalog.

    .venv/bin/python benchmarks/concurrent_writer.py [--products 100000] [--every-s 0.2] [--resnapshot]

The app runs a first sync's snapshot in a child process while the till goes on working: saving a
customer writes the replica and the till file in one transaction (pos.store.database.
write_both_files), and waits for the replica's write lock with SQLite's busy handler, up to 10 s.
This starts the first sync of benchmarks/first_sync.py (the same cached shop, 1M products take
~3 min to seed once) and, in another process, takes that transaction every `--every-s` seconds,
as a customer save does. Prints the first sync's wall time and each save's wait: p50, p95, max,
and the saves refused ("database is locked"). Target: none refused.

`--resnapshot`: the saves run during a re-snapshot of the synced replica instead (what a 410 or a
restored shop brings): every entity is streamed into staging and merged into the live rows, each in
one final transaction (pos.store.staging). Prints its wall time and each entity's load time too.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import first_sync  # noqa: E402


def save_customers(replica: Path, every_s: float) -> None:
    """The writer process: a customer save's transaction, again and again, until SIGTERM."""
    from sqlalchemy import create_engine

    from pos.store.database import write_both_files

    engine = create_engine(f"sqlite:///{replica}")  # only its path is used: no pool, no migration
    waits: list[float] = []
    refused: list[str] = []

    def report(*_: object) -> None:
        print(json.dumps({"waits": waits, "refused": refused}), flush=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, report)
    while not _ready(replica):
        time.sleep(0.02)
    while True:
        started = time.perf_counter()
        try:
            with write_both_files(engine):
                pass
            waits.append(time.perf_counter() - started)
        except sqlite3.OperationalError as exc:
            refused.append(f"{time.perf_counter() - started:.1f} s: {exc}")
        time.sleep(every_s)


def _ready(replica: Path) -> bool:
    """The replica and its till file exist and are migrated (open_replica has run in the syncing process)."""
    from pos.store.till_file import till_path

    if not replica.exists() or not till_path(replica).exists():
        return False
    try:
        con = sqlite3.connect(f"file:{replica}?mode=ro", uri=True)
        try:
            con.execute("SELECT 1 FROM sync_state").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return False
    return True


def _resnapshot(server: first_sync.Server, till: Path) -> dict[str, Any]:
    """Snapshot every entity again into the synced replica in `till`, as after a 410."""
    from pos.store.database import open_replica
    from pos.store.replica import SqliteReplica
    from sync.connectors.countertop import CountertopConnector
    from sync.engine import SyncEngine

    db = open_replica(till / "replica.sqlite3")
    connector = CountertopConnector(server.url, server.token)
    try:
        replica = first_sync.TimedReplica(SqliteReplica(db))
        replica.begin_snapshot()
        started = time.perf_counter()
        SyncEngine(replica, connector).pull_once()  # type: ignore[arg-type]
        return {"wall": time.perf_counter() - started, "loads": replica.load_seconds}
    finally:
        connector.close()
        db.dispose()


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--every-s", type=float, default=0.2)
    parser.add_argument("--cache-dir", type=Path, default=first_sync.DEFAULT_CACHE)
    parser.add_argument("--resnapshot", action="store_true", help="save during a re-snapshot instead")
    parser.add_argument("--writer", type=Path, help=argparse.SUPPRESS)  # the writer process's own mode
    args = parser.parse_args()
    if args.writer:
        save_customers(args.writer, args.every_s)
        return

    cached = first_sync.cached_shop(args.products, args.cache_dir)
    with tempfile.TemporaryDirectory(prefix="countertop-concurrent-writer-") as tmp:
        work = Path(tmp)
        database = work / "shop.sqlite3"
        shutil.copyfile(cached, database)
        server = first_sync.Server(database)
        till = work / "till"
        till.mkdir()
        writer = None
        try:
            if args.resnapshot:
                first = first_sync.one_run(server, till, profile=False, prefetch=False)
                print(f"first sync of {args.products:,} products: {first['wall']:.2f} s wall (no saves)")
            writer = subprocess.Popen(
                [sys.executable, __file__, "--writer", str(till / "replica.sqlite3"),
                 "--every-s", str(args.every_s)],
                stdout=subprocess.PIPE, text=True,
            )
            if args.resnapshot:
                result = _resnapshot(server, till)
            else:
                result = first_sync.one_run(server, till, profile=False, prefetch=False)
            time.sleep(args.every_s * 2)
            writer.send_signal(signal.SIGTERM)
            out, _ = writer.communicate(timeout=30)
        finally:
            if writer is not None and writer.poll() is None:
                writer.kill()  # the sync failed: the writer would go on saving forever
            server.stop()
    saves = json.loads(out)
    waits = [w * 1000 for w in saves["waits"]]
    what = "re-snapshot" if args.resnapshot else "first sync"
    print(f"{what} of {args.products:,} products: {result['wall']:.2f} s wall")
    if args.resnapshot:
        print("  " + ", ".join(f"{entity} {seconds:.2f} s" for entity, seconds in result["loads"].items()))
    print(
        f"customer saves in another process, one every {args.every_s} s: {len(waits)} saved, "
        f"{len(saves['refused'])} refused; wait p50 {_quantile(waits, 0.5):.1f} ms, "
        f"p95 {_quantile(waits, 0.95):.1f} ms, max {max(waits, default=0):.1f} ms"
    )
    for refusal in saves["refused"]:
        print(f"  refused after {refusal}")


if __name__ == "__main__":
    main()
