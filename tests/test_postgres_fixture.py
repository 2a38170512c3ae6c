"""The throwaway PostgreSQL of the test suite: a cluster left behind by a killed pytest is cleaned up
by the next session, and one whose session still runs is not touched."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.fixtures.shop_server import OWNER_FILE, PostgresCluster

REPO = Path(__file__).resolve().parents[1]
CHILD = (
    "from tests.fixtures.shop_server import PostgresCluster\n"
    "cluster = PostgresCluster.start()\n"
    "print(cluster.folder, flush=True)\n"
    "import time; time.sleep(300)\n"
)


def _postmaster(folder: Path) -> int | None:
    try:
        return int((folder / "data" / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_cluster_of_a_killed_session_is_stopped_and_removed_by_the_next():
    child = subprocess.Popen([sys.executable, "-c", CHILD], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        orphan = Path(child.stdout.readline().strip())
        server = _postmaster(orphan)
        assert server is not None and _running(server)
    finally:
        child.send_signal(signal.SIGKILL)  # its finaliser never runs: the cluster is orphaned
        child.wait(timeout=10)
    assert orphan.exists() and (orphan / OWNER_FILE).exists()

    ours = PostgresCluster.start()
    try:
        assert not orphan.exists()
        deadline = time.monotonic() + 10
        while _running(server) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _running(server)
        assert ours.folder.exists()  # our own, owned by this live process, stays
    finally:
        ours.stop()
