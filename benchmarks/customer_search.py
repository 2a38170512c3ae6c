"""Customer search benchmark: CustomerService.search over a replica of many customers.

Loads N generated customers through SqliteReplica.load_snapshot (the first-sync path, so the load
figure includes keeping migration 0007's five search indexes), then times the queries the
customer picker makes while someone types: name, surname, email, phone and loyalty code prefixes,
and a scanned loyalty card (by_code). For comparison it times the LIKE scan the indexes replace.
Prints figures only; no assertions.

    .venv/bin/python benchmarks/customer_search.py [--customers 100000] [--samples 2000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pos.services.customers import CustomerService  # noqa: E402
from pos.store.database import driver_connection, open_replica  # noqa: E402
from pos.store.replica import SqliteReplica  # noqa: E402
from tests.staffing import as_cashier  # noqa: E402

FIRST = (
    "Anna", "Ben", "Clara", "David", "Emma", "Finn", "Greta", "Hugo", "Ida", "Jonas", "Karl", "Lena",
    "Mia", "Noah", "Olga", "Paul", "Rosa", "Sam", "Tara", "Uma", "Vik", "Wes", "Yara", "Zoe",
)  # fmt: skip
LAST = (
    "Smith", "Jones", "Miller", "Schmidt", "Brown", "Taylor", "Wilson", "Evans", "Thomas", "Roberts",
    "Walker", "Wright", "Green", "Hall", "Wood", "Clarke", "Okafor", "Nguyen", "Garcia", "Kowalski",
)  # fmt: skip
SEARCH_INDEXES = (
    "ix_customer_name_nocase", "ix_customer_surname_nocase", "ix_customer_email_nocase",
    "ix_customer_phone_digits", "ix_customer_loyalty_nocase",
)  # fmt: skip
SCAN = (
    "SELECT id FROM customer WHERE name LIKE ?1 OR name LIKE '% ' || ?1 OR email LIKE ?1 "
    "OR phone LIKE ?1 OR loyalty_code LIKE ?1 ORDER BY name LIMIT 50"
)


def customers(count: int, rng: random.Random) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for number in range(count):
        first, last = rng.choice(FIRST), f"{rng.choice(LAST)}{rng.choice(['', 'son', 'er', 'ova'])}"
        batch.append({
            "id": f"0190c000-0000-7000-8000-{number:012x}", "version": 1, "name": f"{first} {last}",
            "email": f"{first.lower()}.{last.lower()}{number}@example.com",
            "phone": f"+44 7{rng.randrange(10**3):03d} {rng.randrange(10**6):06d}",
            "loyalty_code": f"LC-{number:08d}" if rng.random() < 0.6 else None,
            "updated_at": "2026-11-01T09:00:00Z",
        })  # fmt: skip
        if len(batch) == 5000:
            yield batch
            batch = []
    if batch:
        yield batch


def timed(samples: int, make_text: Callable[[], str], query: Callable[[str], object]) -> list[float]:
    """Milliseconds per call of `query` on a fresh text each time (made outside the timing)."""
    times = []
    for _ in range(samples):
        text = make_text()
        start = time.perf_counter()
        query(text)
        times.append((time.perf_counter() - start) * 1000)
    return times


def report(label: str, times: list[float]) -> None:
    times = sorted(times)
    pick = lambda q: times[min(len(times) - 1, int(len(times) * q))]  # noqa: E731
    print(f"  {label:<34} p50 {statistics.median(times):7.3f} ms  p95 {pick(0.95):7.3f} ms  "
          f"p99 {pick(0.99):7.3f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument(
        "--without-indexes",
        action="store_true",
        help="drop the search indexes first: the load figure without them, for comparison",
    )
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as folder:
        engine = open_replica(Path(folder) / "replica.sqlite3")
        replica = SqliteReplica(engine)
        replica.begin_snapshot()
        if args.without_indexes:
            with driver_connection(engine) as con:
                for name in SEARCH_INDEXES:
                    con.execute(f"DROP INDEX {name}")
        start = time.perf_counter()
        replica.load_snapshot("customer", 1, customers(args.customers, rng))
        kept = "without" if args.without_indexes else "with"
        print(f"{args.customers:,} customers loaded (first sync, {kept} the search indexes) in "
              f"{time.perf_counter() - start:.2f} s")  # fmt: skip
        service = CustomerService(engine, who=as_cashier())
        words = [f.lower()[:3] for f in FIRST] + [ln.lower()[:4] for ln in LAST]
        queries: dict[str, Callable[[], str]] = {
            "name prefix (3 letters)": lambda: rng.choice(FIRST)[:3].lower(),
            "surname prefix (4 letters)": lambda: rng.choice(LAST)[:4].upper(),
            "full name prefix": lambda: f"{rng.choice(FIRST)} {rng.choice(LAST)[:2]}",
            "email prefix": lambda: f"{rng.choice(FIRST).lower()}.{rng.choice(LAST).lower()[:3]}",
            "phone digits": lambda: f"+44 7{rng.randrange(100):02d}",
            "loyalty code prefix": lambda: f"lc-000{rng.randrange(100):02d}",
            "no match": lambda: "qqqzz",
            "one typed letter": lambda: rng.choice(words)[:1],
        }
        print(f"search(text, limit=50), {args.samples} samples each:")
        for label, make_text in queries.items():
            report(label, timed(args.samples, make_text, service.search))
        scanned = lambda: f"LC-{rng.randrange(args.customers):08d}"  # noqa: E731
        report("by_code (scanned loyalty card)", timed(args.samples, scanned, service.by_code))
        with driver_connection(engine) as con:
            surname = lambda: rng.choice(LAST)[:4] + "%"  # noqa: E731
            like_scan = lambda text: con.execute(SCAN, (text,)).fetchall()  # noqa: E731
            report("baseline: LIKE scan, same matches", timed(min(args.samples, 200), surname, like_scan))
        engine.dispose()


if __name__ == "__main__":
    main()
