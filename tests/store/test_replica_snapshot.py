"""load_snapshot: a first sync, a re-snapshot over existing rows, a snapshot cut short or refused."""

from __future__ import annotations

import copy
import random
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pos.services.catalog import CatalogService
from pos.store import products
from pos.store.replica import SqliteReplica
from pos.store.search_build import SearchBuilder
from sync.ports import ProtocolError
from sync.protocol import ShopInfo
from tests.store import catalog_docs as cd


def _products_in(path: Path) -> dict[str, dict]:
    """Every product as the replica holds it, shaped like a ProductDoc (variants included)."""
    con = sqlite3.connect(path)
    con.row_factory = sqlite3.Row
    found = {}
    for row in con.execute("SELECT * FROM product"):
        doc = dict(row)
        del doc["key"]
        doc["variants"] = [
            {k: v[k] for k in ("id", "sku", "barcode", "title", "price", "position")}
            for v in con.execute("SELECT * FROM variant WHERE product_id = ? ORDER BY position", (row["id"],))
        ]
        found[row["id"]] = doc
    con.close()
    return found


def _levels_in(path: Path) -> dict[str, dict]:
    con = sqlite3.connect(path)
    con.row_factory = sqlite3.Row
    levels = {row["id"]: dict(row) for row in con.execute("SELECT * FROM inventory_level")}
    con.close()
    return levels


def _keys_in(path: Path) -> dict[str, int]:
    con = sqlite3.connect(path)
    keys = dict(con.execute("SELECT id, key FROM product").fetchall())
    con.close()
    return keys


@pytest.fixture
def small_chunks(engine) -> SqliteReplica:
    # Exercise the chunked commits with a test-sized catalog.
    return SqliteReplica(engine, chunk_docs=70)


def test_first_sync_holds_every_row_exactly_as_sent(small_chunks, replica_path) -> None:
    replica = small_chunks
    docs = list(cd.products(300))
    levels = cd.load_catalog(replica, docs, cursor=17)
    assert _products_in(replica_path) == {d["id"]: d for d in docs}
    assert _levels_in(replica_path) == {level["id"]: level for level in levels}
    state = replica.sync_state()
    assert state.cursor == 17
    assert state.snapshot_done == {"location": 17, "tax_rate": 17, "product": 17, "inventory_level": 17}


def test_load_snapshot_counts_documents_and_finish_takes_the_lowest_cursor(replica) -> None:
    replica.begin_snapshot()
    assert replica.load_snapshot("location", 30, iter([cd.locations()[:1], cd.locations()[1:]])) == 2
    assert replica.load_snapshot("product", 25, cd.batched(cd.products(12), 5)) == 12
    assert replica.load_snapshot("customer", 31, iter([])) == 0
    assert replica.sync_state().cursor is None
    assert replica.finish_snapshot() == 25
    assert replica.sync_state().cursor == 25


def test_resnapshot_drops_rows_the_shop_no_longer_has_and_keeps_keys(replica, replica_path) -> None:
    docs = list(cd.products(60))
    cd.load_catalog(replica, docs, cursor=10)
    keys_before = _keys_in(replica_path)

    kept = copy.deepcopy(docs[10:])  # the shop deleted products 0-9
    kept[0]["variants"] = kept[0]["variants"][:1]  # and dropped all but one variant of product 10
    kept[0]["version"] += 1
    kept[1]["title"] = "Renamed Walnut Lamp"
    kept[1]["version"] += 1
    new = list(cd.products(5, seed=9, start=1000))
    snapshot = kept + new
    levels = cd.load_catalog(replica, snapshot, cursor=20)

    assert _products_in(replica_path) == {d["id"]: d for d in snapshot}
    assert _levels_in(replica_path) == {level["id"]: level for level in levels}
    keys_after = _keys_in(replica_path)
    assert all(keys_after[d["id"]] == keys_before[d["id"]] for d in kept)
    assert min(keys_after[d["id"]] for d in new) > max(keys_before.values())  # keys are never reused
    catalog = CatalogService(replica._engine)
    assert catalog.find_by_code(docs[0]["variants"][0]["sku"]) is None
    assert catalog.search(docs[0]["variants"][0]["barcode"]) == []
    assert [row.title for row in catalog.search("renamed walnut")] == ["Renamed Walnut Lamp"]


def _cut_short(docs: list[dict], after: int) -> Iterator[list[dict]]:
    for index, batch in enumerate(cd.batched(iter(docs), 50)):
        if index == after:
            raise ProtocolError("The shop's snapshot ended early")
        yield batch


def test_snapshot_cut_short_leaves_the_entity_not_done_and_a_rerun_completes(
    small_chunks, replica_path
) -> None:
    replica = small_chunks
    docs = list(cd.products(400))
    replica.begin_snapshot()
    with pytest.raises(ProtocolError):
        replica.load_snapshot("product", 40, _cut_short(docs, after=5))
    assert "product" not in replica.sync_state().snapshot_done
    assert 0 < len(_products_in(replica_path)) < 400  # the chunks already committed stay

    assert replica.load_snapshot("product", 41, cd.batched(iter(docs), 50)) == 400
    assert _products_in(replica_path) == {d["id"]: d for d in docs}
    assert replica.sync_state().snapshot_done == {"product": 41}


@pytest.mark.parametrize("price", [-5, 2**64], ids=["negative", "beyond-64-bits"])
def test_snapshot_with_an_inconsistent_record_is_refused_with_a_clear_message(
    replica, replica_path, price
) -> None:
    docs = list(cd.products(20))
    docs[13]["variants"][0]["price"] = price
    with pytest.raises(ProtocolError, match="product snapshot has an inconsistent record"):
        replica.load_snapshot("product", 5, iter([docs]))
    assert _products_in(replica_path) == {}
    assert replica.sync_state().snapshot_done == {}


def test_unknown_entity_is_refused(replica) -> None:
    with pytest.raises(ProtocolError, match="unknown kind of record"):
        replica.load_snapshot("coupon", 1, iter([[{"id": "x", "version": 1}]]))


def test_begin_snapshot_forgets_the_cursor_and_the_entities_done(replica) -> None:
    cd.load_catalog(replica, list(cd.products(3)), cursor=8)
    replica.begin_snapshot()
    state = replica.sync_state()
    assert (state.cursor, state.snapshot_done) == (None, {})


def test_shop_and_sync_results_are_remembered(replica, engine) -> None:
    info = ShopInfo(
        shop_name="Corner Shop", currency="EUR", prices_include_tax=True, device_id="d1",
        device_name="Till 1", head=5,
    )
    replica.record_shop(info)
    replica.record_shop(info.model_copy(update={"shop_name": "Corner Shop & Café"}))
    shop = CatalogService(engine).shop()
    assert (shop.name, shop.currency, shop.prices_include_tax) == ("Corner Shop & Café", "EUR", True)

    replica.record_sync_result(success_at="2026-05-09T10:00:00Z", error=None)
    replica.record_sync_result(success_at=None, error="Shop unreachable: connection refused")
    state = replica.sync_state()
    assert state.last_success_at == "2026-05-09T10:00:00Z"
    assert state.last_error == "Shop unreachable: connection refused"
    replica.record_sync_result(success_at="2026-05-09T10:05:00Z", error=None)
    state = replica.sync_state()
    assert (state.last_success_at, state.last_error) == ("2026-05-09T10:05:00Z", None)


def _index_names(path: Path) -> set[str]:
    con = sqlite3.connect(path)
    names = {n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    con.close()
    return names


def test_a_failed_first_load_leaves_every_index_and_a_rerun_is_searchable(
    small_chunks, replica_path, engine
) -> None:
    replica = small_chunks
    before = _index_names(replica_path)
    docs = list(cd.products(400))
    with pytest.raises(ProtocolError):
        replica.load_snapshot("product", 40, _cut_short(docs, after=5))
    assert _index_names(replica_path) == before
    assert replica.load_snapshot("product", 41, cd.batched(iter(docs), 50)) == 400
    assert _index_names(replica_path) == before
    catalog = CatalogService(engine)
    assert {row.id for row in catalog.search(docs[-1]["title"], limit=400)} >= {docs[-1]["id"]}


def test_a_first_load_listing_a_product_twice_is_refused(replica, replica_path) -> None:
    docs = list(cd.products(30))
    with pytest.raises(ProtocolError, match="listed twice"):
        replica.load_snapshot("product", 5, iter([docs[:20], docs[15:]]))
    assert replica.sync_state().snapshot_done == {}


def test_a_first_load_of_customers_ends_with_their_search_indexes(small_chunks, replica_path) -> None:
    before = _index_names(replica_path)
    assert {"ix_customer_name_nocase", "ix_customer_phone_digits"} <= before
    customers = [
        {
            "id": f"c{n:04d}", "version": 1, "name": f"Customer {n}", "email": f"c{n}@example.com",
            "phone": f"+44 20 7946 {n:04d}", "loyalty_code": f"L{n:06d}",
            "updated_at": "2026-01-01T00:00:00Z",
        }
        for n in range(250)
    ]  # fmt: skip
    assert small_chunks.load_snapshot("customer", 5, cd.batched(iter(customers), 40)) == 250
    assert _index_names(replica_path) == before
    con = sqlite3.connect(replica_path)
    plan = " ".join(
        row[-1]
        for row in con.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM customer WHERE name >= 'Cust' COLLATE NOCASE "
            "AND name < 'Cusu' COLLATE NOCASE"
        )
    )
    con.close()
    assert "ix_customer_name_nocase" in plan


def _scratch_files(replica_path: Path) -> list[str]:
    return sorted(p.name for p in replica_path.parent.glob(f"{replica_path.name}.load-*"))


def _stock_levels(docs: list[dict]) -> list[dict]:
    rng = random.Random(3)
    return [level for doc in docs for level in cd.levels_for(doc, rng)]


def test_products_finish_beside_the_stock_levels_and_are_done_once_their_search_index_is_in(
    small_chunks, replica_path, engine, monkeypatch
) -> None:
    replica = small_chunks
    docs = list(cd.products(300))
    levels = _stock_levels(docs)
    levels_read = threading.Event()
    waited_in_vain: list[bool] = []
    finish = SearchBuilder.finish

    def after_the_levels(self) -> None:  # type: ignore[no-untyped-def]
        # Holds the products' last steps until every stock level has been read: if the levels
        # waited for these steps instead of loading beside them, this would time out.
        waited_in_vain.append(not levels_read.wait(10))
        finish(self)

    def level_batches() -> Iterator[list[dict]]:
        yield from cd.batched(iter(levels), 100)
        levels_read.set()

    monkeypatch.setattr(SearchBuilder, "finish", after_the_levels)
    replica.begin_snapshot()
    assert replica.load_snapshot("product", 9, cd.batched(iter(docs), 50), overlap_next=True) == 300
    assert "product" not in replica.sync_state().snapshot_done  # no search rows yet
    assert replica.load_snapshot("inventory_level", 9, level_batches()) == len(levels)
    assert waited_in_vain == [False]
    assert replica.sync_state().snapshot_done == {"product": 9, "inventory_level": 9}
    assert replica.finish_snapshot() == 9
    assert _products_in(replica_path) == {d["id"]: d for d in docs}
    assert _levels_in(replica_path) == {level["id"]: level for level in levels}
    catalog = CatalogService(engine)
    for doc in docs[::29]:
        assert doc["id"] in {row.id for row in catalog.search(doc["title"], limit=300)}
    assert _scratch_files(replica_path) == []


def test_products_whose_last_steps_fail_beside_the_next_load_are_not_done_and_the_failure_is_raised(
    small_chunks, replica_path, engine, monkeypatch
) -> None:
    replica = small_chunks
    docs = list(cd.products(200))
    copy_search = products.FirstLoad.copy_search

    def disk_full(self, con, search) -> None:  # type: ignore[no-untyped-def]
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(products.FirstLoad, "copy_search", disk_full)
    replica.begin_snapshot()
    replica.load_snapshot("product", 9, cd.batched(iter(docs), 50), overlap_next=True)
    with pytest.raises(sqlite3.OperationalError, match="disk is full"):
        replica.load_snapshot("inventory_level", 9, iter([_stock_levels(docs)]))
    assert replica.sync_state().snapshot_done == {"inventory_level": 9}
    monkeypatch.setattr(products.FirstLoad, "copy_search", copy_search)
    assert replica.load_snapshot("product", 10, cd.batched(iter(docs), 50)) == 200  # starts over
    assert replica.sync_state().snapshot_done == {"inventory_level": 9, "product": 10}
    catalog = CatalogService(engine)
    assert docs[7]["id"] in {row.id for row in catalog.search(docs[7]["title"], limit=200)}
    assert _scratch_files(replica_path) == []


def test_scratch_files_go_after_a_load_and_one_left_by_a_crash_goes_at_the_next(
    small_chunks, replica_path
) -> None:
    replica = small_chunks
    left = replica_path.with_name(f"{replica_path.name}.load-0123abcd.sqlite3")
    left.write_bytes(b"left behind by a killed first sync")
    Path(f"{left}-wal").write_bytes(b"")
    docs = list(cd.products(120))
    with pytest.raises(ProtocolError):
        replica.load_snapshot("product", 4, _cut_short(docs, after=1))
    assert replica.load_snapshot("product", 5, cd.batched(iter(docs), 50)) == 120
    assert _scratch_files(replica_path) == []


def test_the_scratch_files_are_made_with_their_large_pages(small_chunks, replica_path) -> None:
    # page_size after journal_mode would be ignored: SQLite fixes it when the header is written.
    from pos.store.scratch_load import SCRATCH_PAGE_SIZE

    seen: dict[str, int] = {}

    def batches() -> Iterator[list[dict]]:
        docs = list(cd.products(200))
        for start in range(0, len(docs), 50):
            if start == 150:  # two chunks of 70 staged by now
                for name in _scratch_files(replica_path):
                    if not name.endswith(("-wal", "-shm")):
                        con = sqlite3.connect(replica_path.with_name(name))
                        seen[name.rsplit(".", 1)[-1]] = con.execute("PRAGMA page_size").fetchone()[0]
                        con.close()
            yield docs[start : start + 50]

    assert small_chunks.load_snapshot("product", 3, batches()) == 200
    assert seen == {"sqlite3": SCRATCH_PAGE_SIZE, "search": SCRATCH_PAGE_SIZE}  # the rows' and the index's


# Starts a first sync of a replica and stops in it (its first entity loaded), until killed.
MID_RUN = """
import sys, time
from pathlib import Path
from pos.store.database import open_replica
from pos.store.replica import SqliteReplica
from tests.store import catalog_docs as cd
replica = SqliteReplica(open_replica(Path(sys.argv[1])))
replica.begin_snapshot()
replica.load_snapshot("location", 10, [cd.locations()])
print("loading", flush=True)
time.sleep(600)
"""


def test_one_snapshot_run_per_replica_at_a_time_across_processes(replica_path: Path) -> None:
    # The app's snapshot and a `countertop sync --once` (or two commands) at once deleted each
    # other's scratch files and loaded one entity twice into the same empty table.
    import os
    import subprocess
    import sys

    from pos.store.database import open_replica
    from sync.ports import TransientError

    open_replica(replica_path).dispose()
    root = Path(__file__).resolve().parents[2]
    other = subprocess.Popen([sys.executable, "-c", MID_RUN, str(replica_path)], stdout=subprocess.PIPE,
                             env={**os.environ, "PYTHONPATH": str(root)})  # fmt: skip
    engine = open_replica(replica_path)
    try:
        assert other.stdout is not None and other.stdout.readline() == b"loading\n"
        replica = SqliteReplica(engine)
        with pytest.raises(TransientError, match="Another Countertop is loading this till's catalog"):
            replica.load_snapshot("tax_rate", 10, [cd.tax_rates()])
        assert replica.sync_state().snapshot_done == {"location": 10}  # the other run's, untouched
        other.kill()  # the OS drops a dead run's lock: the next run goes ahead
        other.wait(timeout=10)
        cd.load_catalog(replica, list(cd.products(40)))
        assert replica.sync_state().cursor == 10
    finally:
        if other.poll() is None:
            other.kill()
        engine.dispose()


def test_a_run_that_stopped_between_entities_does_not_lock_out_its_own_process(replica_path: Path) -> None:
    # A run failing between two entities keeps its lock until the process ends; the app's next
    # replica object on the same file (a renewed engine) must still be able to load.
    from pos.store.database import open_replica

    first = open_replica(replica_path)
    second = open_replica(replica_path)
    try:
        stopped = SqliteReplica(first)
        stopped.begin_snapshot()
        stopped.load_snapshot("location", 10, [cd.locations()])  # then the shop went away
        cd.load_catalog(SqliteReplica(second), list(cd.products(20)))
    finally:
        first.dispose()
        second.dispose()
