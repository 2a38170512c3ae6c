"""Run the Qt-free sync engine in a plain worker thread that can be stopped promptly."""

from __future__ import annotations

import logging
import threading
from typing import Protocol

log = logging.getLogger(__name__)


class _Engine(Protocol):
    def run(self, stop_event: threading.Event, interval: float = ...) -> None: ...

    def cancel(self) -> None: ...


class SyncThread:
    """Owns one engine loop. The engine has its own database connection (its own SQLAlchemy engine)."""

    def __init__(self, engine: _Engine, interval: float = 2.0) -> None:
        self._engine = engine
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="countertop-sync", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def cancel(self) -> None:
        """Ask the loop to stop and the pull in flight to give up at its next step; does not wait.

        The engine abandons a snapshot between two batches (the open chunk rolls back), so the
        replica holds only whole pages; a later engine run resumes from there.
        """
        self._stop.set()
        try:
            self._engine.cancel()
        except Exception:
            log.exception("cancelling the sync engine failed")

    def stop(self, timeout: float = 10.0) -> bool:
        """Cancel, then wait; True if the thread ended."""
        self.cancel()
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            self._engine.run(self._stop, interval=self._interval)
        except Exception:  # the engine reports problems on its bus; this is a bug, keep it visible
            log.exception("the sync engine stopped with an error")
