"""A headless till process for the crash tests: `countertop sync --once` reduced to the engine.

    python -m tests.sync.sync_child URL REPLICA_FILE [--page-size N] [--pause-at WHAT:N]

The device token comes from COUNTERTOP_DEVICE_TOKEN. Prints one line per event, flushed, so the
parent can SIGKILL it at a chosen point: `progress ENTITY DONE TOTAL`, `applied CURSOR`,
`caught-up CURSOR`. `--pause-at product:5000` (or `applied:2`, the 2nd page) stops the process
right after that line, mid-sync, and waits to be killed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from pos.store.database import open_replica
from pos.store.replica import SqliteReplica
from sync.connectors.countertop import CountertopConnector
from sync.engine import SyncEngine
from sync.events import CaughtUp, ChangesApplied, EventBus, SnapshotProgress, SyncEvent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("replica", type=Path)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--pause-at", default="")
    args = parser.parse_args()
    pages = 0

    def show(event: SyncEvent) -> None:
        nonlocal pages
        if isinstance(event, SnapshotProgress):
            line, mark = f"progress {event.entity} {event.done} {event.total}", f"{event.entity}:{event.done}"
        elif isinstance(event, ChangesApplied):
            pages += 1
            line, mark = f"applied {event.cursor}", f"applied:{pages}"
        elif isinstance(event, CaughtUp):
            line, mark = f"caught-up {event.cursor}", "caught-up"
        else:
            return
        print(line, flush=True)
        if mark == args.pause_at:
            print("paused", flush=True)
            time.sleep(3600)

    db = open_replica(args.replica)
    bus = EventBus()
    bus.subscribe(show)
    connector = CountertopConnector(args.url, os.environ["COUNTERTOP_DEVICE_TOKEN"])
    try:
        SyncEngine(SqliteReplica(db), connector, bus, page_size=args.page_size).pull_once()
    finally:
        connector.close()
        db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
