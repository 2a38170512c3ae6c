"""Lookup benchmark: replica load speed and the catalog queries the UI makes, at 100k and 1M products.

Builds replicas through SqliteReplica.load_snapshot from generated documents (cached under the
temp folder; --rebuild to force), then times CatalogService:
  find_by_code (barcode, SKU)         target p99 <= 1 ms
  search(prefix words, limit=50)      target p95 <= 5 ms
Prints figures only; no assertions.

    .venv/bin/python benchmarks/lookup.py [--sizes 100000 1000000] [--rebuild] [--samples 2000]
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

# Run as a script from anywhere: the document generator lives with the store tests.
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pos.services.catalog import CatalogService  # noqa: E402
from pos.store.database import open_replica  # noqa: E402
from pos.store.replica import SqliteReplica  # noqa: E402
from tests.store import catalog_docs as cd  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "countertop-bench"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Timed:
    """Wraps a batch iterator and adds up the time spent producing batches (document generation)."""

    def __init__(self, batches: Iterator[list[dict]]) -> None:
        self.batches = batches
        self.seconds = 0.0
        self.docs = 0
        self.rows = 0

    def __iter__(self) -> Iterator[list[dict]]:
        while True:
            started = time.perf_counter()
            batch = next(self.batches, None)
            self.seconds += time.perf_counter() - started
            if batch is None:
                return
            self.docs += len(batch)
            self.rows += sum(1 + len(doc.get("variants", ())) for doc in batch)
            yield batch


def _levels(count: int) -> Iterator[dict]:
    rng = random.Random(11)
    for doc in cd.products(count):
        yield from cd.levels_for(doc, rng)


def build(path: Path, count: int) -> None:
    path.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = open_replica(path)
    replica = SqliteReplica(engine)
    replica.begin_snapshot()
    replica.load_snapshot("location", 1, [cd.locations()])
    replica.load_snapshot("tax_rate", 1, [cd.tax_rates()])
    total_rows, total_seconds = 0, 0.0
    for entity, docs in (("product", cd.products(count)), ("inventory_level", _levels(count))):
        batches = Timed(cd.batched(docs, 5000))
        started = time.perf_counter()
        replica.load_snapshot(entity, 1, batches)
        seconds = time.perf_counter() - started - batches.seconds
        total_rows += batches.rows
        total_seconds += seconds
        print(f"  load {entity:<16} {batches.docs:>9,} docs {batches.rows:>9,} rows  {seconds:6.2f} s  "
              f"{batches.rows / seconds:>9,.0f} rows/s  (generation {batches.seconds:.2f} s excluded)")
    replica.finish_snapshot()
    print(f"  load total               {total_rows:>9,} rows {total_seconds:6.2f} s  "
          f"{total_rows / total_seconds:>9,.0f} rows/s   peak {peak_mb():.0f} MB")
    engine.dispose()


def percentiles(label: str, samples_ms: list[float], target: str) -> None:
    samples_ms.sort()
    q = statistics.quantiles(samples_ms, n=100, method="inclusive")
    print(f"  {label:<34} p50 {q[49]:6.3f}  p95 {q[94]:6.3f}  p99 {q[98]:6.3f}  max {samples_ms[-1]:7.3f} ms"
          f"   ({len(samples_ms)} runs; target {target})")


def timed(calls: list[Callable[[], object]]) -> list[float]:
    for call in calls[:50]:  # warm the page cache and statement cache
        call()
    out = []
    for call in calls:
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def measure(path: Path, samples: int) -> None:
    engine = open_replica(path)
    catalog = CatalogService(engine)
    rng = random.Random(5)
    with engine.connect() as connection:
        (count,) = connection.exec_driver_sql("SELECT max(key) FROM product").one()
        picks = connection.exec_driver_sql(
            "SELECT v.sku, v.barcode, p.title FROM variant v JOIN product p ON p.id = v.product_id "
            f"WHERE p.key IN ({','.join(str(rng.randrange(1, count + 1)) for _ in range(samples))})"
        ).all()
    barcodes = [b for _, b, _ in picks]
    skus = [s.lower() for s, _, _ in picks]

    def prefix_words(title: str, words: int) -> str:
        chosen = rng.sample(title.replace("-", " ").split(), words)
        return " ".join(w[: rng.randrange(3, max(4, len(w) + 1))] for w in chosen)

    two_words = [prefix_words(t, 2) for _, _, t in picks]
    three_words = [prefix_words(t, 3) for _, _, t in picks]
    one_word = [prefix_words(t, 1) for _, _, t in picks]
    percentiles("find_by_code(barcode)", timed([lambda c=c: catalog.find_by_code(c) for c in barcodes]),
                "p99 <= 1 ms")
    percentiles("find_by_code(sku, lower case)", timed([lambda c=c: catalog.find_by_code(c) for c in skus]),
                "p99 <= 1 ms")
    unknown = [f"99{i:011d}" for i in range(samples)]
    percentiles("find_by_code(unknown code)", timed([lambda c=c: catalog.find_by_code(c) for c in unknown]),
                "p99 <= 1 ms")
    hits = [len(catalog.search_keys(q)) for q in three_words[:100]]
    percentiles(f"search(3 prefix words, 50) ~{statistics.median(hits):,.0f} hits",
                timed([lambda q=q: catalog.search(q, 50) for q in three_words]), "p95 <= 5 ms")
    hits = [len(catalog.search_keys(q)) for q in two_words[:100]]
    percentiles(f"search(2 prefix words, 50) ~{statistics.median(hits):,.0f} hits",
                timed([lambda q=q: catalog.search(q, 50) for q in two_words]), "p95 <= 5 ms")
    hits = [len(catalog.search_keys(q)) for q in one_word[:50]]
    percentiles(f"search(1 prefix word, 50) ~{statistics.median(hits):,.0f} hits",
                timed([lambda q=q: catalog.search(q, 50) for q in one_word[: samples // 4]]), "p95 <= 5 ms")
    brands = [brand.lower() for brand in cd.BRANDS] * 8  # one word in ~4% of all titles
    hits = [len(catalog.search_keys(q)) for q in brands[:5]]
    percentiles(f"search(brand word, 50) ~{statistics.median(hits):,.0f} hits",
                timed([lambda q=q: catalog.search(q, 50) for q in brands]), "p95 <= 5 ms")
    prefixes = [b[:4] for b in barcodes if b]  # a cashier typing the start of a barcode
    hits = [len(catalog.search_keys(q)) for q in prefixes[:5]]
    percentiles(f"search(4-digit barcode prefix, 50) ~{statistics.median(hits):,.0f} hits",
                timed([lambda q=q: catalog.search(q, 50) for q in prefixes[: samples // 4]]), "p95 <= 5 ms")
    keys = catalog.search_keys("")
    percentiles("search_keys('') (every key by title)", timed([lambda: catalog.search_keys("")] * 20), "-")
    windows = [keys[i : i + 60] for i in (rng.randrange(0, len(keys) - 60) for _ in range(samples // 4))]
    percentiles("rows(60 keys) (one screen)", timed([lambda w=w: catalog.rows(w) for w in windows]), "-")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--rebuild", action="store_true", help="rebuild cached replicas")
    parser.add_argument("--samples", type=int, default=1000)
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    for count in args.sizes:
        path = CACHE / f"lookup-{count}.sqlite3"
        print(f"== {count:,} products ({path})")
        if args.rebuild or not path.exists():
            build(path, count)
        else:
            print("  (cached replica; --rebuild to measure loading)")
        measure(path, args.samples)
        print(f"  peak RSS {peak_mb():.0f} MB; file {path.stat().st_size / 2**20:.0f} MB")


if __name__ == "__main__":
    main()
