"""A re-snapshot into a populated replica (after a 410, or of a restored shop) is all or nothing.

Its chunks go to staging tables; the live rows change in one final transaction. A stream cut,
refused or killed part-way leaves every live row exactly as it was.
"""

from __future__ import annotations

import copy
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pos.services.catalog import CatalogService
from pos.store import staging
from pos.store.database import open_replica
from pos.store.replica import SqliteReplica
from sync.ports import ProtocolError
from tests.store import catalog_docs as cd
from tests.store.test_replica_snapshot import _keys_in, _levels_in, _products_in

ROOT = Path(__file__).resolve().parents[2]
CHUNK = 50
_NOT_LIVE = ("sync_state", "sync_snapshot", "stage_")


def live_dump(path: Path) -> list[str]:
    """Every row of every live table (search index included), as SQL text."""
    con = sqlite3.connect(path)
    try:
        return [line for line in con.iterdump() if not any(name in line for name in _NOT_LIVE)]
    finally:
        con.close()


def staging_tables(path: Path) -> list[str]:
    con = sqlite3.connect(path)
    try:
        return [n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE name LIKE 'stage%'")]
    finally:
        con.close()


def changed_catalog(docs: list[dict]) -> list[dict]:
    """The shop after a while: 20 products gone, some renamed or repriced, 15 new ones."""
    kept = copy.deepcopy(docs[20:])
    for doc in kept[::7]:
        doc["title"] = "Restored " + doc["title"]
        doc["version"] += 1
    for doc in kept[3::5]:
        doc["variants"][0]["price"] += 100
        doc["variants"] = doc["variants"][:1]
        doc["version"] += 1
    return kept + list(cd.products(15, seed=3, start=5000))


@pytest.fixture
def loaded(engine, replica_path) -> tuple[SqliteReplica, list[dict]]:
    replica = SqliteReplica(engine, chunk_docs=CHUNK)
    docs = list(cd.products(300))
    cd.load_catalog(replica, docs, cursor=10)
    return replica, docs


def _cut_after(docs: list[dict], chunks: int, path: Path, staged: list[int]) -> Iterator[list[dict]]:
    for index, batch in enumerate(cd.batched(iter(docs), CHUNK)):
        if index == chunks:
            con = sqlite3.connect(path)
            staged.append(con.execute("SELECT count(*) FROM stage_product").fetchone()[0])
            con.close()
            raise ProtocolError("the snapshot of product was cut short")
        yield batch


def test_a_resnapshot_cut_after_two_chunks_leaves_every_live_row_as_before(loaded, replica_path) -> None:
    replica, docs = loaded
    before = live_dump(replica_path)
    staged: list[int] = []
    replica.begin_snapshot()
    with pytest.raises(ProtocolError, match="cut short"):
        replica.load_snapshot("product", 20, _cut_after(changed_catalog(docs), 2, replica_path, staged))
    assert staged == [2 * CHUNK]  # two chunks really were written (to staging) before the cut
    assert live_dump(replica_path) == before
    assert staging_tables(replica_path) == []
    assert "product" not in replica.sync_state().snapshot_done


@pytest.mark.parametrize("flaw", ["negative price", "variant listed twice"])
def test_a_refused_resnapshot_changes_no_live_row(loaded, replica_path, flaw) -> None:
    replica, docs = loaded
    before = live_dump(replica_path)
    snapshot = changed_catalog(docs)
    if flaw == "negative price":
        snapshot[-1]["variants"][0]["price"] = -5  # caught by the final transaction's constraints
    else:  # staged by id, where the second copy would have replaced the first
        snapshot[40]["variants"].append({**snapshot[40]["variants"][0], "position": 9})
    with pytest.raises(ProtocolError, match="product snapshot has an inconsistent record"):
        replica.load_snapshot("product", 20, cd.batched(iter(snapshot), CHUNK))
    levels = [{"id": "x", "version": 1, "variant_id": "v", "location_id": "l"}]  # no quantity
    with pytest.raises(ProtocolError, match="inventory_level snapshot has an inconsistent record"):
        replica.load_snapshot("inventory_level", 20, iter([levels]))
    assert live_dump(replica_path) == before
    assert staging_tables(replica_path) == []


@pytest.mark.parametrize("shop", ["changed", "restored from another catalog"])
def test_a_complete_resnapshot_equals_the_new_snapshot_and_keeps_keys(
    loaded, replica_path, engine, shop
) -> None:
    replica, docs = loaded
    keys_before = _keys_in(replica_path)
    # A few changes take the per-product search path, a different catalog the renumbering one.
    snapshot = changed_catalog(docs) if shop == "changed" else list(cd.products(280, seed=8, start=150))
    staged: list[int] = []
    with pytest.raises(ProtocolError):  # a cut first: the complete run below starts afresh
        replica.load_snapshot("product", 20, _cut_after(snapshot, 3, replica_path, staged))
    levels = cd.load_catalog(replica, snapshot, cursor=30)

    assert _products_in(replica_path) == {d["id"]: d for d in snapshot}
    assert _levels_in(replica_path) == {level["id"]: level for level in levels}
    assert staging_tables(replica_path) == []
    keys_after = _keys_in(replica_path)
    survivors = [d["id"] for d in snapshot if d["id"] in keys_before]
    assert survivors and all(keys_after[i] == keys_before[i] for i in survivors)
    assert replica.sync_state().cursor == 30

    catalog = CatalogService(engine)
    for doc in snapshot[::37]:
        assert doc["id"] in {row.id for row in catalog.search(doc["title"], limit=300)}
    gone = next(d for d in docs if d["id"] not in keys_after)
    assert catalog.find_by_code(gone["variants"][0]["sku"]) is None
    assert catalog.search(gone["variants"][0]["barcode"]) == []
    con = sqlite3.connect(replica_path)
    ranks = [r for (r,) in con.execute(
        "SELECT o.rank FROM product p JOIN product_order o ON o.key = p.key ORDER BY p.title, p.key"
    )]
    (fts_rows,) = con.execute("SELECT count(*) FROM product_fts").fetchone()
    con.close()
    assert ranks == sorted(ranks) and len(ranks) == fts_rows == len(snapshot)


# Re-snapshots a populated replica; after 2 chunks in staging it says so and waits to be killed.
KILLED_MID_STREAM = f"""
import sys, time
from pathlib import Path
from pos.store.database import open_replica
from pos.store.replica import SqliteReplica
from tests.store import catalog_docs as cd
from tests.store.test_replica_restage import changed_catalog
replica = SqliteReplica(open_replica(Path(sys.argv[1])), chunk_docs={CHUNK})
def batches():
    for index, batch in enumerate(cd.batched(iter(changed_catalog(list(cd.products(300)))), {CHUNK})):
        if index == 2:
            print("staged", flush=True)
            time.sleep(60)
        yield batch
replica.begin_snapshot()
replica.load_snapshot("product", 20, batches())
"""

# Re-snapshots forever, alternating two catalogs: a kill lands anywhere, the final merge included.
ALTERNATING = """
import sys
from pathlib import Path
from pos.store.database import open_replica
from pos.store.replica import SqliteReplica
from tests.store import catalog_docs as cd
from tests.store.test_replica_restage import changed_catalog
replica = SqliteReplica(open_replica(Path(sys.argv[1])), chunk_docs=500)
first = list(cd.products(3000))
catalogs = [changed_catalog(first), first]
print("ready", flush=True)
while True:
    for docs in catalogs:
        replica.begin_snapshot()
        replica.load_snapshot("product", 20, cd.batched(iter(docs), 500))
"""


def _start(script: str, path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, env=env)


def test_kill_during_a_staged_load_leaves_the_live_rows_and_a_rerun_completes(tmp_path: Path) -> None:
    path = tmp_path / "replica.sqlite3"
    engine = open_replica(path)
    docs = list(cd.products(300))
    cd.load_catalog(SqliteReplica(engine), docs, cursor=10)
    engine.dispose()
    before = live_dump(path)

    process = _start(KILLED_MID_STREAM, path)
    try:
        assert process.stdout.readline().strip() == b"staged"
        assert staging_tables(path)  # the kill lands with staging in the file
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=10)

    engine = open_replica(path)
    try:
        assert staging_tables(path) == []
        assert live_dump(path) == before
        replica = SqliteReplica(engine, chunk_docs=CHUNK)
        snapshot = changed_catalog(docs)
        assert replica.load_snapshot("product", 20, cd.batched(iter(snapshot), CHUNK)) == len(snapshot)
        assert _products_in(path) == {d["id"]: d for d in snapshot}
    finally:
        engine.dispose()


def test_kill_at_any_moment_of_a_resnapshot_leaves_one_whole_catalog(tmp_path: Path) -> None:
    path = tmp_path / "replica.sqlite3"
    engine = open_replica(path)
    first = list(cd.products(3000))
    cd.load_catalog(SqliteReplica(engine), first, cursor=10)
    engine.dispose()
    whole = [{d["id"]: d for d in first}, {d["id"]: d for d in changed_catalog(first)}]
    for after in (0.6, 1.1):
        process = _start(ALTERNATING, path)
        try:
            assert process.stdout.readline().strip() == b"ready"
            time.sleep(after)
            process.send_signal(signal.SIGKILL)
        finally:
            process.wait(timeout=10)
        open_replica(path).dispose()  # drops leftover staging
        assert staging_tables(path) == []
        assert _products_in(path) in whole


def _count_writes(path: Path, tables: tuple[str, ...]) -> None:
    """Triggers that log every row the merge inserts or updates in `tables` (test-only schema)."""
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE written (tbl TEXT, id TEXT)")
    for table in tables:
        for event in ("INSERT", "UPDATE"):
            con.execute(
                f"CREATE TRIGGER log_{event.lower()}_{table} AFTER {event} ON {table} "
                f"BEGIN INSERT INTO written VALUES ('{table}', NEW.id); END"
            )
    con.commit()
    con.close()


def _written(path: Path) -> dict[str, set[str]]:
    con = sqlite3.connect(path)
    try:
        found: dict[str, set[str]] = {}
        for table, row_id in con.execute("SELECT tbl, id FROM written"):
            found.setdefault(table, set()).add(row_id)
        return found
    finally:
        con.close()


def test_a_resnapshot_writes_only_the_rows_that_changed(loaded, replica_path) -> None:
    replica, docs = loaded
    snapshot = copy.deepcopy(docs)
    snapshot[5]["variants"][0]["price"] += 1  # a price
    # Only their case, version unchanged: the NOCASE columns would call them equal.
    snapshot[9]["title"] = snapshot[9]["title"].upper()
    snapshot[12]["variants"][0]["sku"] = snapshot[12]["variants"][0]["sku"].lower()
    con = sqlite3.connect(replica_path)
    levels = [
        {"id": i, "version": v, "variant_id": vid, "location_id": loc, "quantity": q}
        for i, v, vid, loc, q in con.execute(
            "SELECT id, version, variant_id, location_id, quantity FROM inventory_level ORDER BY id"
        )
    ]
    con.close()
    levels[3]["quantity"] += 5
    _count_writes(replica_path, ("product", "variant", "inventory_level"))

    replica.begin_snapshot()
    replica.load_snapshot("product", 20, cd.batched(iter(snapshot), CHUNK))
    replica.load_snapshot("inventory_level", 20, cd.batched(iter(levels), CHUNK))

    assert snapshot[12]["variants"][0]["sku"] != docs[12]["variants"][0]["sku"]
    assert _written(replica_path) == {
        "product": {snapshot[9]["id"]},
        "variant": {snapshot[5]["variants"][0]["id"], snapshot[12]["variants"][0]["id"]},
        "inventory_level": {levels[3]["id"]},
    }
    assert _products_in(replica_path) == {d["id"]: d for d in snapshot}
    assert _levels_in(replica_path) == {level["id"]: level for level in levels}


def test_the_merge_plan_is_made_while_another_connection_holds_the_write_lock(loaded, replica_path) -> None:
    """Comparing a re-snapshot with the live rows only reads: a writer elsewhere is not held up by it."""
    replica, docs = loaded
    snapshot = changed_catalog(docs)
    holder = sqlite3.connect(replica_path, isolation_level=None)
    planned: list[bool] = []
    original = staging.StagedLoad.prepare

    def prepare_while_held(self: staging.StagedLoad, con: sqlite3.Connection) -> None:
        holder.execute("BEGIN IMMEDIATE")  # a customer save, say, holds the write lock meanwhile
        try:
            original(self, con)
            planned.append(True)
        finally:
            holder.execute("COMMIT")

    staging.StagedLoad.prepare = prepare_while_held  # type: ignore[method-assign]
    try:
        replica.begin_snapshot()
        replica.load_snapshot("product", 20, cd.batched(iter(snapshot), CHUNK))
    finally:
        staging.StagedLoad.prepare = original  # type: ignore[method-assign]
        holder.close()
    assert planned == [True]
    assert _products_in(replica_path) == {d["id"]: d for d in snapshot}
    assert staging_tables(replica_path) == []


def test_customers_are_planned_under_the_write_lock(loaded, replica_path) -> None:
    """The till saves customers too: their merge is planned inside the final transaction, so no save
    can change a customer between the plan and the writes (staging.LOCALLY_WRITTEN)."""
    replica, docs = loaded
    customers = [
        {"id": f"c{n}", "version": 1, "name": f"Customer {n}", "email": None, "phone": None,
         "loyalty_code": None, "updated_at": "2026-12-01T10:00:00Z"}
        for n in range(3)
    ]
    replica.load_snapshot("customer", 10, iter([customers]))  # into the empty table
    locked_while_planning: list[bool] = []
    temp_stores: list[int] = []
    original = staging.StagedLoad.prepare

    def probing_prepare(self: staging.StagedLoad, con: sqlite3.Connection) -> None:
        temp_stores.append(con.execute("PRAGMA temp_store").fetchone()[0])
        probe = sqlite3.connect(replica_path, isolation_level=None, timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            locked_while_planning.append(False)
        except sqlite3.OperationalError:
            locked_while_planning.append(True)
        finally:
            probe.close()
        original(self, con)

    staging.StagedLoad.prepare = probing_prepare  # type: ignore[method-assign]
    try:
        renamed = [{**customers[0], "name": "Renamed", "version": 2}, *customers[1:]]
        replica.load_snapshot("customer", 20, iter([renamed]))
        replica.load_snapshot("product", 20, cd.batched(iter(changed_catalog(docs)), CHUNK))
    finally:
        staging.StagedLoad.prepare = original  # type: ignore[method-assign]
    assert locked_while_planning == [True, False]  # customers under the lock; products before it
    assert temp_stores == [1, 1]  # a plan's temporary tables in a file (FILE), not in memory
    con = sqlite3.connect(replica_path)
    assert con.execute("SELECT name FROM customer WHERE id = 'c0'").fetchone() == ("Renamed",)
    con.close()


def _ranks_in_title_order(path: Path) -> list[int]:
    con = sqlite3.connect(path)
    try:
        return [r for (r,) in con.execute(
            "SELECT o.rank FROM product p JOIN product_order o ON o.key = p.key ORDER BY p.title, p.key"
        )]  # fmt: skip
    finally:
        con.close()


@pytest.mark.parametrize("renames", ["same title", "titles swapped"])
def test_products_renamed_together_keep_search_order_after_a_resnapshot(
    loaded, replica_path, engine, renames
) -> None:
    # Fewer renames than the renumbering share: each renamed product is placed between its new
    # neighbours. The others renamed in the same snapshot must not count as neighbours at their
    # old places (their midpoints collided with used ranks: "UNIQUE constraint failed").
    replica, docs = loaded
    snapshot = copy.deepcopy(docs)
    picked = snapshot[10:250:30]  # 8 products spread over the catalog
    titles = [doc["title"] for doc in picked][::-1] if renames == "titles swapped" else ["Aaa promo"] * 8
    for doc, title in zip(picked, titles, strict=True):
        doc["title"] = title
        doc["version"] += 1
    assert len(picked) < staging.RENUMBER_SHARE * len(snapshot)

    replica.begin_snapshot()
    replica.load_snapshot("product", 20, cd.batched(iter(snapshot), CHUNK))

    assert _products_in(replica_path) == {d["id"]: d for d in snapshot}
    ranks = _ranks_in_title_order(replica_path)
    assert ranks == sorted(ranks) and len(set(ranks)) == len(snapshot)
    found = [row.id for row in CatalogService(engine).search(picked[0]["title"], limit=8)]
    assert picked[0]["id"] in found
    if renames == "same title":
        assert sorted(found) == sorted(doc["id"] for doc in picked)
