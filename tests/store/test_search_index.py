"""A first sync's search index (pos.store.products.FirstLoad.index, one JSON statement per chunk).
What a user would notice: every product is found by name after the sync, through every connection
of the app, and a search index that failed part-way makes the next run load the products again."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine

from pos.services.catalog import CatalogService
from pos.store import products
from pos.store.database import driver_connection
from pos.store.replica import SqliteReplica
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


def test_a_search_index_failing_part_way_leaves_the_products_not_done_and_a_rerun_completes(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = products.FirstLoad.index

    def fail_part_way(self, con, transaction, chunk) -> None:  # type: ignore[no-untyped-def]
        calls = 0

        @contextmanager
        def failing() -> Iterator[None]:
            nonlocal calls
            calls += 1
            with transaction():
                yield
                if calls == 3:  # the ranks read, one chunk of search rows committed, then this
                    raise RuntimeError("disk full")

        index(self, con, failing, chunk)

    monkeypatch.setattr(products.FirstLoad, "index", fail_part_way)
    replica = SqliteReplica(engine, chunk_docs=70)
    docs = list(cd.products(200))
    replica.begin_snapshot()
    with pytest.raises(RuntimeError, match="disk full"):
        replica.load_snapshot("product", 5, cd.batched(iter(copy.deepcopy(docs)), 50))
    with driver_connection(engine) as con:
        assert con.execute("SELECT count(*) FROM product_order").fetchone() == (70,)  # half built
    assert replica.sync_state().snapshot_done == {}
    monkeypatch.setattr(products.FirstLoad, "index", index)
    assert replica.load_snapshot("product", 6, cd.batched(iter(copy.deepcopy(docs)), 50)) == 200
    assert replica.sync_state().snapshot_done == {"product": 6}
    _integrity_ok(engine)
    catalog = CatalogService(engine)
    for doc in docs[::37]:
        assert doc["id"] in {row.id for row in catalog.rows(catalog.search_keys(doc["title"])).values()}
