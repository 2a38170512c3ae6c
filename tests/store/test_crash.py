"""Kill -9 part-way through writes: the replica holds the old page or the new one, never a mix."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from pos.store.database import open_replica
from pos.store.replica import SqliteReplica
from tests.store import catalog_docs as cd

ROOT = Path(__file__).resolve().parents[2]
PRODUCTS = 1500

# Applies pages forever: page k sets every variant's price to k and the cursor to k.
WRITER = f"""
import copy, sys
from pathlib import Path
from pos.store.database import open_replica
from pos.store.replica import SqliteReplica
from tests.store import catalog_docs as cd
from tests.store.catalog_docs import change
replica = SqliteReplica(open_replica(Path(sys.argv[1])))
docs = list(cd.products({PRODUCTS}))
print("ready", flush=True)
k = 1000
while True:
    k += 1
    page = []
    for doc in docs:
        doc = copy.deepcopy(doc)
        doc["version"] = k
        for v in doc["variants"]:
            v["price"] = k
        page.append(change(k, "product", doc))
    replica.apply_changes(page, cursor=k)
"""


def _run_and_kill(script: str, path: Path, after: float) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, env=env)
    try:
        assert process.stdout.readline().strip() == b"ready"
        time.sleep(after)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=10)


def test_kill_during_apply_changes_leaves_a_whole_page(tmp_path: Path) -> None:
    path = tmp_path / "replica.sqlite3"
    engine = open_replica(path)
    cd.load_catalog(SqliteReplica(engine), list(cd.products(PRODUCTS)), cursor=1000)
    engine.dispose()
    for after in (0.7, 1.3):
        _run_and_kill(WRITER, path, after)
        con = sqlite3.connect(path)
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        (cursor,) = con.execute("SELECT cursor FROM sync_state").fetchone()
        prices = {p for (p,) in con.execute("SELECT DISTINCT price FROM variant")}
        versions = {v for (v,) in con.execute("SELECT DISTINCT version FROM product")}
        con.close()
        if cursor == 1000:
            assert versions == {1}
        else:
            assert prices == {cursor} and versions == {cursor}


SNAPSHOTTER = """
import sys
from pathlib import Path
from pos.store.database import open_replica
from pos.store.replica import SqliteReplica
from tests.store import catalog_docs as cd
replica = SqliteReplica(open_replica(Path(sys.argv[1])))
print("ready", flush=True)
while True:
    replica.begin_snapshot()
    replica.load_snapshot("product", 7, cd.batched(cd.products(15000), 2000))
"""


def test_kill_during_a_snapshot_leaves_a_usable_replica_that_a_rerun_completes(tmp_path: Path) -> None:
    path = tmp_path / "replica.sqlite3"
    open_replica(path).dispose()
    _run_and_kill(SNAPSHOTTER, path, 1.0)
    engine = open_replica(path)
    try:
        replica = SqliteReplica(engine)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        state = replica.sync_state()
        assert state.cursor is None
        replica.load_snapshot("product", 8, cd.batched(cd.products(15000), 2000))
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM product").scalar() == 15000
            # The search index holds exactly one row per product, none left from the killed run.
            assert connection.exec_driver_sql("SELECT count(*) FROM product_fts").scalar() == 15000
        assert replica.sync_state().snapshot_done == {"product": 8}
    finally:
        engine.dispose()
