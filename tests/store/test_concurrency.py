"""WAL: screens read while sync writes; a first sync never holds the write lock while it waits."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator

from pos.services.catalog import CatalogService
from pos.store.replica import SqliteReplica
from tests.store import catalog_docs as cd


def test_a_reader_is_not_blocked_by_an_open_write_and_sees_the_last_commit(engine, replica) -> None:
    docs = list(cd.products(20))
    cd.load_catalog(replica, docs)
    catalog = CatalogService(engine)
    writer = engine.raw_connection()
    con = writer.driver_connection
    try:
        con.execute("BEGIN IMMEDIATE")
        con.execute("UPDATE product SET title = 'Quokka Lantern' WHERE id = ?", (docs[0]["id"],))
        seen: list[object] = []
        reader = threading.Thread(target=lambda: seen.append(catalog.detail(docs[0]["id"])))
        reader.start()
        reader.join(timeout=3)
        assert not reader.is_alive(), "the reader waited for the writer"
        assert seen[0].title == docs[0]["title"]
        assert catalog.find_by_code(docs[0]["variants"][0]["sku"]).title.startswith(docs[0]["title"])
        con.execute("COMMIT")
    finally:
        if con.in_transaction:
            con.execute("ROLLBACK")
        writer.close()
    assert catalog.detail(docs[0]["id"]).title == "Quokka Lantern"


def test_a_snapshot_load_leaves_the_write_lock_free_between_chunks(replica_path, engine) -> None:
    replica = SqliteReplica(engine, chunk_docs=50)
    # The documents are read on the load's stager thread, while the load copies earlier chunks in
    # on its own: a commit here may wait for one short copy, never for the next batch.
    other = sqlite3.connect(replica_path, timeout=2, isolation_level=None, check_same_thread=False)
    waits: list[bool] = []

    def batches() -> Iterator[list[dict]]:
        # Between batches the engine is reading the network: a checkout must be able to commit.
        for batch in cd.batched(cd.products(300), 50):
            yield batch
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("UPDATE sync_state SET last_error = NULL")
                other.execute("COMMIT")
                waits.append(False)
            except sqlite3.OperationalError:
                waits.append(True)

    assert replica.load_snapshot("product", 3, batches()) == 300
    other.close()
    assert waits and not any(waits)
