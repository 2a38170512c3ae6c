"""A product line added one product after another at one spot of a first-synced replica.

    .venv/bin/python benchmarks/product_line.py [--products 100000] [--line 1000]
                                                [--spot middle|start|end] [--rebuild]

Each new product lands right after (or, at the start, right before) the one added before it, in
the same gap of the title order every time: the case where search ranks run out between two
products (pos.store.ranks) and the products around the spot are spread out again. Applies one
changes page per product through SqliteReplica.apply_changes, on a copy of the replica that
benchmarks/lookup.py builds (cached under the temp folder), and prints the page times, how many
respreads there were and the longest, and how many products ended out of order (strays, which
every search must merge).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import lookup  # noqa: E402

from pos.store import products, ranks  # noqa: E402
from pos.store.database import driver_connection, open_replica  # noqa: E402
from pos.store.replica import SqliteReplica  # noqa: E402
from tests.store import catalog_docs as cd  # noqa: E402

TITLES = {
    "middle": lambda n: f"Marlow Widget {n:06d}",
    "start": lambda n: f"0 Start {999999 - n:06d}",  # each before the one added before it
    "end": lambda n: f"zzz End {n:06d}",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--line", type=int, default=1000)
    parser.add_argument("--spot", choices=sorted(TITLES), default="middle")
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    if args.line < 1 or args.products < 1:
        parser.error("--products and --line must be at least 1")

    lookup.CACHE.mkdir(parents=True, exist_ok=True)
    cached = lookup.CACHE / f"lookup-{args.products}.sqlite3"
    if args.rebuild or not cached.exists():
        lookup.build(cached, args.products)
    open_replica(cached).dispose()  # checkpointed and closed: the file alone is the replica

    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "replica.sqlite3"
        shutil.copy(cached, path)
        engine = open_replica(path)
        replica = SqliteReplica(engine)
        respreads: list[float] = []  # the time of each respread's search rows moving
        move = products._move_search_rows

        def timed_move(con: sqlite3.Connection, moves: list[ranks.Move]) -> None:
            started = time.perf_counter()
            move(con, moves)
            if moves:
                respreads.append(time.perf_counter() - started)

        products._move_search_rows = timed_move
        pages: list[float] = []
        seq = (replica.sync_state().cursor or 0) + 1_000_000
        name = TITLES[args.spot]
        for number, doc in enumerate(cd.products(args.line, seed=6, start=10_000_000), start=1):
            doc["title"] = name(number)
            seq += 1
            started = time.perf_counter()
            replica.apply_changes([cd.change(seq, "product", doc)], cursor=seq)
            pages.append(time.perf_counter() - started)
        products._move_search_rows = move
        with driver_connection(engine) as con:
            (strays,) = con.execute(
                "SELECT count(*) FROM product_order WHERE rank >= ?", (ranks.OUT_OF_ORDER,)
            ).fetchone()
        engine.dispose()

    slowest = max(range(len(pages)), key=pages.__getitem__) + 1
    pages_ms = sorted(1000 * s for s in pages)
    p99 = pages_ms[int(0.99 * (len(pages_ms) - 1))]
    print(
        f"{args.line:,} products added one after another at the {args.spot} of {args.products:,}: "
        f"page p50 {statistics.median(pages_ms):.2f} ms, p99 {p99:.2f} ms, max {pages_ms[-1]:.2f} ms "
        f"(page {slowest})"
    )
    longest = 1000 * max(respreads, default=0.0)
    print(f"respreads {len(respreads):,} (longest search rows' move {longest:.2f} ms); "
          f"products out of order: {strays}")


if __name__ == "__main__":
    main()
