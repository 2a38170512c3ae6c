"""Crash safety: SIGKILL a syncing till process at several points, sync again, compare every row.

The till runs in a subprocess (tests/sync/sync_child.py: the engine on a replica file, as
`countertop sync --once` does). It is killed either at a chosen event (it pauses right after printing
it, so the kill point is exact) or while it is busy writing. The next run must end identical to the
shop, and a run killed after some entities were loaded resumes after them.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.fixtures.shop_server import REPO_ROOT, LiveShop, make_live_shop
from tests.sync.replica_dump import assert_same_docs, replica_docs, server_docs

PRODUCTS = 8000  # ~23,500 stock levels: more than one 20,000-document replica chunk

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveShop]:
    live = make_live_shop(tmp_path_factory.mktemp("crash-shop"), PRODUCTS)
    yield live
    live.stop()
    live.session.close()


def start_till(shop: LiveShop, replica: Path, *options: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.sync.sync_child", shop.url, str(replica), *options],
        cwd=REPO_ROOT,
        env={**os.environ, "COUNTERTOP_DEVICE_TOKEN": shop.device_token},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_when(
    process: subprocess.Popen[str], line_start: str, *, settled: Callable[[], bool] = lambda: True
) -> list[str]:
    """Read the till's lines until one starts with `line_start`, then SIGKILL it once `settled()`.

    The load's writer works on beside the thread that reports progress (and pauses): `settled`
    waits for the state the test means to kill in.
    """
    assert process.stdout is not None
    seen = []
    for line in process.stdout:
        seen.append(line.strip())
        if line.startswith(line_start):
            break
    else:
        process.wait()
        pytest.fail(f"the till ended before {line_start!r}: {seen[-5:]}\n{process.stderr.read()}")  # type: ignore[union-attr]
    deadline = time.monotonic() + 20
    while not settled():
        assert time.monotonic() < deadline, "the paused till never reached the state to kill it in"
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    process.stdout.close()
    process.stderr.close()  # type: ignore[union-attr]
    return seen


def sync_to_the_end(shop: LiveShop, replica: Path, *options: str) -> list[str]:
    process = start_till(shop, replica, *options)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    lines = out.splitlines()
    assert lines[-1].startswith("caught-up"), lines[-5:]
    return lines


def snapshot_state(replica: Path) -> tuple[int | None, set[str], dict[str, int]]:
    con = sqlite3.connect(replica)
    try:
        cursor = con.execute("SELECT cursor FROM sync_state").fetchone()[0]
        done = {entity for (entity,) in con.execute("SELECT entity FROM sync_snapshot")}
        counts = {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("product", "inventory_level")
        }
        return cursor, done, counts
    finally:
        con.close()


@pytest.mark.parametrize(
    ("pause_at", "done_after_kill", "resumed_entities"),
    [
        ("location:0", set(), "location"),
        ("product:5000", {"location", "tax_rate", "staff"}, "product"),
        ("inventory_level:20000", {"location", "tax_rate", "staff", "product"}, "inventory_level"),
    ],
)
def test_kill_mid_snapshot_then_resume(
    shop: LiveShop, tmp_path: Path, pause_at: str, done_after_kill: set[str], resumed_entities: str
) -> None:
    replica = tmp_path / "till.sqlite3"

    def settled() -> bool:
        # Paused on the documents of `pause_at`: the chunks read before it are committed (and the
        # products' last steps, which run beside the stock levels' load, are done) soon after.
        if not pause_at.startswith("inventory_level"):
            return True
        _, done, counts = snapshot_state(replica)
        return "product" in done and counts["inventory_level"] > 0

    kill_when(start_till(shop, replica, "--pause-at", pause_at), "paused", settled=settled)
    cursor, done, counts = snapshot_state(replica)
    assert cursor is None and done == done_after_kill
    if pause_at.startswith("inventory_level"):
        assert 0 < counts["inventory_level"] < 23_000  # a chunk was committed; the entity is not done

    lines = sync_to_the_end(shop, replica)
    first_progress = next(line for line in lines if line.startswith("progress"))
    assert first_progress.split()[1] == resumed_entities  # entities loaded before the kill are kept
    assert_same_docs(replica_docs(replica), server_docs(shop.url, shop.device_token))


@pytest.mark.parametrize("busy_line", ["progress product 5000", "progress inventory_level 10000"])
def test_kill_while_writing(shop: LiveShop, tmp_path: Path, busy_line: str) -> None:
    replica = tmp_path / "till.sqlite3"
    kill_when(start_till(shop, replica), busy_line)  # killed wherever it is, maybe inside a commit
    sync_to_the_end(shop, replica)
    assert_same_docs(replica_docs(replica), server_docs(shop.url, shop.device_token))


def test_kill_mid_changes(shop: LiveShop, tmp_path: Path) -> None:
    replica = tmp_path / "till.sqlite3"
    sync_to_the_end(shop, replica)
    products = shop.admin_get("products", params={"limit": 12}).json()
    locations = shop.admin_get("locations").json()
    for n, product in enumerate(products):
        variant = product["variants"][0]
        if n % 3 == 0:
            assert shop.admin_delete(f"products/{product['id']}").status_code == 200
        else:
            body = {"variants": [{"id": variant["id"], "price": variant["price"] + n + 1}]}
            assert shop.admin_patch(f"products/{product['id']}", body).status_code == 200
            adjust = {
                "variant_id": variant["id"],
                "location_id": locations[0]["id"],
                "delta": n,
                "reason": "count",
            }
            assert shop.admin_post("stock/adjust", adjust).status_code == 201

    seen = kill_when(start_till(shop, replica, "--page-size", "4", "--pause-at", "applied:2"), "paused")
    assert seen[-2].startswith("applied")
    cursor_at_kill = snapshot_state(replica)[0]
    assert cursor_at_kill == int(seen[-2].split()[1])  # the cursor moved with each whole page

    lines = sync_to_the_end(shop, replica, "--page-size", "4")
    assert not [line for line in lines if line.startswith("progress")]  # no re-snapshot needed
    assert_same_docs(replica_docs(replica), server_docs(shop.url, shop.device_token))
