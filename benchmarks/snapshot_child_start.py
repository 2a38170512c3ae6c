"""What loading snapshots in a child process (pos.snapshot_child) adds to the app's first sync.

    .venv/bin/python benchmarks/snapshot_child_start.py [--runs 6]

Starts a 50-product reference shop on 127.0.0.1, then runs `countertop _snapshot-child` against it
`--runs` times on one replica: the first run loads the shop; every later run finds the replica
caught up, so its wall time is the child's fixed cost (process start, imports, opening the replica,
one shop call and one changes poll). Prints figures only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pos.settings import TOKEN_ENV  # noqa: E402
from pos.snapshot_child import COMMAND, child_command  # noqa: E402
from pos.store.database import open_replica  # noqa: E402
from tests.fixtures.shop_server import make_live_shop  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=6)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="countertop-child-start-") as tmp:
        folder = Path(tmp)
        shop = make_live_shop(folder / "shop", 50)
        try:
            open_replica(folder / "replica.sqlite3").dispose()  # as the app opens it before any sync
            env = {**os.environ, TOKEN_ENV: shop.device_token}
            command = [*child_command(), COMMAND, str(folder / "replica.sqlite3"), shop.url]
            walls = []
            for _ in range(args.runs):
                started = time.perf_counter()
                subprocess.run(command, env=env, capture_output=True, check=True)
                walls.append(time.perf_counter() - started)
        finally:
            shop.stop()
            shop.session.close()
    later = walls[1:]
    print(f"first run (loads the 50-product shop): {walls[0]:.2f} s")
    print(f"caught-up runs, the child's fixed cost: median {statistics.median(later):.2f} s "
          f"({min(later):.2f}-{max(later):.2f} s, {len(later)} runs)")  # fmt: skip


if __name__ == "__main__":
    main()
