"""WAL checkpoints of a first sync on a second core.

A first sync writes ~150 MB into the WAL, and every ~4 MB the committing connection copies the
WAL back into the database file (auto-checkpoint) before it goes on: about a tenth of the load's
time, on the one core that writes. While a load runs, BackgroundCheckpoints turns the loading
connection's auto-checkpoint off and checkpoints from a thread of its own instead (SQLite releases
the GIL while it copies), so the copying overlaps the writing. A PASSIVE checkpoint never blocks
the writer or readers, and a checkpoint is always crash-safe: the WAL stays the record until the
database file holds every frame.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from types import TracebackType

log = logging.getLogger(__name__)

INTERVAL_S = 0.05


class BackgroundCheckpoints:
    """Context manager around a load on `con`; `connect` opens the checkpointing connection."""

    def __init__(
        self, con: sqlite3.Connection, connect: Callable[[], AbstractContextManager[sqlite3.Connection]]
    ) -> None:
        self._con = con
        self._connect = connect
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="replica-checkpoints", daemon=True)
        self._pages = 0

    def __enter__(self) -> BackgroundCheckpoints:
        (self._pages,) = self._con.execute("PRAGMA wal_autocheckpoint").fetchone()
        self._con.execute("PRAGMA wal_autocheckpoint = 0")
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()
        self._con.execute(f"PRAGMA wal_autocheckpoint = {int(self._pages)}")

    def _run(self) -> None:
        try:
            with self._connect() as con:
                while not self._stop.wait(INTERVAL_S):
                    con.execute("PRAGMA main.wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:  # only speed is lost: the next commits checkpoint as usual
            log.warning("background checkpoints stopped: %s", exc)
