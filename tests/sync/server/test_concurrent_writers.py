"""seq order is commit order: concurrent writers never let a reader see seq N+1 before N.

Writers hold their transaction open for a moment after taking a seq, which is when a sequence-based
log would let a later, shorter transaction commit first and a reader skip the earlier seq for good.
"""

from __future__ import annotations

import random
import threading
import time

import orjson
import pytest
from sqlalchemy import select

from sync.server import changelog, db, seed, stock
from sync.server.changes import read_page
from sync.server.tables import inventory_level, location, variant

WRITERS = 6
WRITES_EACH = 25


def _writer(engine, pairs: list[tuple[str, str]], errors: list[BaseException], rng: random.Random) -> None:
    try:
        for _ in range(WRITES_EACH):
            variant_id, location_id = rng.choice(pairs)
            with db.write(engine) as conn:
                level = stock.apply_movement(conn, variant_id, location_id, 1, "test", "thread")
                changelog.record(conn, [("inventory_level", level["id"], level)])
                time.sleep(rng.random() * 0.004)
    except BaseException as exc:  # surfaced by the test
        errors.append(exc)


def _read_until(engine, done: threading.Event, start: int) -> list[int]:
    """Poll like a till; assert every page is gapless from the cursor."""
    seen: list[int] = []
    since = start
    while True:
        finished = done.is_set()
        page = orjson.loads(read_page(engine, since, 50).body)
        seqs = [c["seq"] for c in page["changes"]]
        assert seqs == list(range(since + 1, since + 1 + len(seqs))), f"gap after {since}: {seqs[:5]}"
        seen.extend(seqs)
        since = page["next"]
        if finished and not page["has_more"]:
            return seen


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_seq_strictly_increasing_and_gapless_under_concurrent_writers(
    backend: str, request, tmp_path
) -> None:
    url = (
        request.getfixturevalue("pg_database_url") if backend == "postgres" else f"sqlite:///{tmp_path}/s.db"
    )
    engine = db.make_engine(url)
    db.upgrade(engine)
    seed.seed(engine, 10, seed=5)
    with engine.connect() as conn:
        variants = list(conn.execute(select(variant.c.id)).scalars())[:4]
        locations = list(conn.execute(select(location.c.id)).scalars())
        start = changelog.head(conn)[0]
        before = {(r.variant_id, r.location_id): r.quantity for r in conn.execute(select(inventory_level))}
    pairs = [(v, loc) for v in variants for loc in locations]
    errors: list[BaseException] = []
    done = threading.Event()
    threads = [
        threading.Thread(target=_writer, args=(engine, pairs, errors, random.Random(i)))
        for i in range(WRITERS)
    ]
    for t in threads:
        t.start()
    reader_result: list[list[int]] = []
    reader = threading.Thread(target=lambda: reader_result.append(_read_until(engine, done, start)))
    reader.start()
    for t in threads:
        t.join()
    done.set()
    reader.join(timeout=60)
    assert not errors, errors
    total = WRITERS * WRITES_EACH
    assert reader_result == [list(range(start + 1, start + 1 + total))]
    with engine.connect() as conn:
        assert changelog.head(conn)[0] == start + total
        after = {(r.variant_id, r.location_id): r.quantity for r in conn.execute(select(inventory_level))}
    assert sum(after.values()) - sum(before.values()) == total  # every +1 applied exactly once
    engine.dispose()
