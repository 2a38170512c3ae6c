"""First-sync WAL checkpoints run on a thread of their own, and the till's connections get theirs back.

A connection left with auto-checkpoint off would let the WAL grow with every sale until the app
restarts; a checkpoint thread left running would hold a connection and a core.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine

from pos.store.replica import SqliteReplica
from sync.ports import ProtocolError
from tests.store import catalog_docs as cd


def _auto_checkpoint_pages(engine: Engine) -> set[int]:
    """The auto-checkpoint setting of every connection in the pool (and a few new ones)."""
    pooled = [engine.raw_connection() for _ in range(8)]
    try:
        return {p.driver_connection.execute("PRAGMA wal_autocheckpoint").fetchone()[0] for p in pooled}
    finally:
        for p in pooled:
            p.close()


def _checkpoint_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name == "replica-checkpoints"]


def test_after_a_first_sync_every_connection_checkpoints_again_and_the_thread_is_gone(
    engine: Engine, replica_path: Path
) -> None:
    docs = list(cd.products(1500))
    levels = cd.load_catalog(SqliteReplica(engine, chunk_docs=200), docs)
    assert _auto_checkpoint_pages(engine) == {1000}
    assert _checkpoint_threads() == []
    # Every row is in the file for a plain reader, with nothing of the load left to copy back.
    con = sqlite3.connect(replica_path)
    try:
        busy, frames, copied = con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert con.execute("SELECT count(*) FROM inventory_level").fetchone() == (len(levels),)
        assert con.execute("SELECT count(*) FROM product").fetchone() == (1500,)
    finally:
        con.close()
    assert (busy, frames) == (0, copied)


def test_a_refused_first_sync_also_restores_checkpoints_and_stops_the_thread(engine: Engine) -> None:
    replica = SqliteReplica(engine, chunk_docs=50)
    docs = list(cd.products(120))
    broken = [*docs[:100], {**docs[100], "variants": [{"id": "x"}]}]  # a variant without its fields
    with pytest.raises(ProtocolError, match="inconsistent record"):
        replica.load_snapshot("product", 3, cd.batched(iter(broken), 40))
    assert _auto_checkpoint_pages(engine) == {1000}
    assert _checkpoint_threads() == []
    assert replica.sync_state().snapshot_done == {}
