"""A first sync's search index (pos.store.products.FirstLoad.index, one JSON statement per chunk).
What a user would notice: every product is found by name after the sync, through every connection
of the app, and a search index that failed part-way makes the next run load the products again."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from sqlalchemy import Engine

from pos.services.catalog import CatalogService
from pos.store import products
from pos.store.database import driver_connection, open_replica
from pos.store.replica import SqliteReplica
from pos.store.search_build import SearchBuilder
from sync.protocol import title_order_key
from tests.store import catalog_docs as cd


def _integrity_ok(engine: Engine) -> None:
    with driver_connection(engine) as con:
        # FTS5 checks its index against its stored rows, term by term; raises on any mismatch.
        con.execute("INSERT INTO product_fts (product_fts) VALUES ('integrity-check')")
        counts = con.execute(
            "SELECT (SELECT count(*) FROM product), (SELECT count(*) FROM product_order), "
            "(SELECT count(*) FROM product_fts)"
        ).fetchone()
    assert counts[0] == counts[1] == counts[2]


def test_every_connection_finds_products_by_name_after_a_first_sync(engine: Engine) -> None:
    catalog = CatalogService(engine)
    docs = list(cd.products(700))
    # Connections that searched the empty index before the sync (FTS5 caches its structure).
    pooled = [engine.raw_connection() for _ in range(3)]
    for connection in pooled:
        connection.driver_connection.execute("SELECT rowid FROM product_fts WHERE product_fts MATCH 'mug'")
        connection.close()
    assert catalog.search("Northwind") == []
    cd.load_catalog(SqliteReplica(engine, chunk_docs=150), copy.deepcopy(docs))
    _integrity_ok(engine)
    expected = sorted((d["title"].lower(), d["id"]) for d in docs if "northwind" in d["title"].lower())
    for _ in range(4):  # through every pooled connection in turn
        found = catalog.search_keys("northwind")
        assert len(found) == len(expected) > 10
        rows = catalog.rows(found)
        assert [rows[key].id for key in found] == [pid for _, pid in expected]


def test_the_settings_a_first_sync_builds_the_index_with_are_not_kept_in_the_replica(engine: Engine) -> None:
    cd.load_catalog(SqliteReplica(engine, chunk_docs=150), list(cd.products(400)))
    with driver_connection(engine) as con:
        settings = dict(con.execute("SELECT k, v FROM product_fts_config WHERE k != 'version'").fetchall())
    # FTS5's defaults: later edits merge and flush as usual, not 8 MB of pending rows at a time.
    assert settings == {"automerge": 4, "hashsize": 1024 * 1024}
    _integrity_ok(engine)


@pytest.mark.parametrize(
    ("owner", "step"), [(SearchBuilder, "finish"), (products.FirstLoad, "copy_search")]
)
def test_a_search_index_failing_part_way_leaves_the_products_not_done_and_a_rerun_completes(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, owner: type, step: str
) -> None:
    original = getattr(owner, step)

    def fail_part_way(self, *args) -> None:  # type: ignore[no-untyped-def]
        original(self, *args)  # all its work done, then the disk fills up before the commit
        raise RuntimeError("disk full")

    monkeypatch.setattr(owner, step, fail_part_way)
    replica = SqliteReplica(engine, chunk_docs=70)
    docs = list(cd.products(200))
    replica.begin_snapshot()
    with pytest.raises(RuntimeError, match="disk full"):
        replica.load_snapshot("product", 5, cd.batched(iter(copy.deepcopy(docs)), 50))
    with driver_connection(engine) as con:
        assert con.execute("SELECT count(*) FROM product").fetchone() == (200,)
        assert con.execute("SELECT count(*) FROM product_order").fetchone() == (0,)  # not one rank
        assert con.execute("SELECT count(*) FROM product_fts").fetchone() == (0,)
    assert replica.sync_state().snapshot_done == {}
    monkeypatch.setattr(owner, step, original)
    assert replica.load_snapshot("product", 6, cd.batched(iter(copy.deepcopy(docs)), 50)) == 200
    assert replica.sync_state().snapshot_done == {"product": 6}
    _integrity_ok(engine)
    catalog = CatalogService(engine)
    for doc in docs[::37]:
        assert doc["id"] in {row.id for row in catalog.rows(catalog.search_keys(doc["title"])).values()}


def _titles_and_ranks(engine: Engine) -> tuple[list[int], list[int]]:
    with driver_connection(engine) as con:
        by_title = [key for (key,) in con.execute("SELECT key FROM product ORDER BY title, key")]
        by_rank = [key for (key,) in con.execute("SELECT key FROM product_order ORDER BY rank")]
    return by_title, by_rank


@pytest.mark.parametrize("sent_in_title_order", [True, False])
def test_ranks_follow_title_order_whatever_order_the_shop_lists_products_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sent_in_title_order: bool
) -> None:
    docs = list(cd.products(400, seed=8))
    # Titles that differ only in case, or in letters NOCASE does not fold, or not at all.
    docs[3]["title"], docs[4]["title"], docs[5]["title"] = "apple Crate", "Apple crate", "APPLE CRATE"
    docs[6]["title"], docs[7]["title"], docs[8]["title"] = "Émile Jar", "émile Jar", "Zebra Jar"
    docs[9]["title"] = docs[10]["title"]
    if sent_in_title_order:
        docs.sort(key=lambda doc: title_order_key(doc["title"]))
    written: list[tuple[int, int]] = []
    write_in_order = SearchBuilder._write_in_order

    def counted(self, first, last) -> None:  # type: ignore[no-untyped-def]
        written.append((first, last))
        write_in_order(self, first, last)

    monkeypatch.setattr(SearchBuilder, "_write_in_order", counted)
    engine = open_replica(tmp_path / "replica.sqlite3")
    try:
        replica = SqliteReplica(engine, chunk_docs=70)
        replica.begin_snapshot()
        assert replica.load_snapshot("product", 5, cd.batched(iter(copy.deepcopy(docs)), 50)) == 400
        # Sent in order, every chunk's search rows were written as it arrived (batches of 50 make
        # chunks of 100 once 70 are reached: 4 chunks).
        assert written == ([(1, 100), (101, 200), (201, 300), (301, 400)] if sent_in_title_order else [])
        by_title, by_rank = _titles_and_ranks(engine)
        assert by_rank == by_title and len(by_rank) == 400
        _integrity_ok(engine)
        catalog = CatalogService(engine)
        found = [row.title for row in catalog.search("apple crate", limit=10)]
        assert found == ["apple Crate", "Apple crate", "APPLE CRATE"]
    finally:
        engine.dispose()


def test_a_shop_that_turns_out_of_order_part_way_gets_the_same_ranks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = sorted(cd.products(300, seed=2), key=lambda doc: title_order_key(doc["title"]))
    docs.append(docs.pop(10))  # in order for the first chunks, then one title out of place
    engine = open_replica(tmp_path / "replica.sqlite3")
    try:
        replica = SqliteReplica(engine, chunk_docs=70)
        replica.begin_snapshot()
        replica.load_snapshot("product", 5, cd.batched(iter(docs), 50))
        by_title, by_rank = _titles_and_ranks(engine)
        assert by_rank == by_title and len(by_rank) == 300
        _integrity_ok(engine)
    finally:
        engine.dispose()
