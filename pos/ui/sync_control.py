"""Stop and resume the sync from the UI: one SyncThread at a time, a fresh engine run on resume.

The engine's `cancel()` is permanent, so resuming builds a new engine (on the same replica and event
bus) through `renew`; that run resumes an interrupted snapshot where the replica says it stopped.
`renew` also takes a new device token, which is how a till whose token was refused reconnects.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from pos.ui.sync_thread import SyncThread

log = logging.getLogger(__name__)

POLL_MS = 50  # how often a stopping thread is checked; stopping never blocks the UI thread
STATES = ("running", "stopping", "paused")
Renew = Callable[[str | None], Any]  # token or None (keep the current one) -> a new SyncEngine


class SyncControl(QObject):
    """Create on the UI thread. `state_changed` carries "running", "stopping" or "paused"."""

    state_changed = Signal(str)

    def __init__(
        self, engine: Any, renew: Renew, interval: float = 2.0, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._renew = renew
        self._interval = interval
        self._thread = SyncThread(engine, interval=interval)
        self._state = "paused"
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._check_stopped)

    @property
    def state(self) -> str:
        return self._state

    def start(self) -> None:
        self._thread.start()
        self._set_state("running")

    def stop_syncing(self) -> None:
        """Cancel the run through its thread; "paused" follows once the thread has ended."""
        if self._state != "running":
            return
        self._thread.cancel()
        self._set_state("stopping")
        self._poll.start()

    def resume(self, token: str | None = None) -> None:
        """Start a new engine run (with a new device token when given)."""
        if self._thread.is_alive():
            # Reconnecting while the old run waits out a refused token: cancelling ends its wait
            # at once, so this join is short.
            self._poll.stop()
            if not self._thread.stop(timeout=10):
                log.error("the previous sync run did not stop; not starting another")
                return
        self._thread = SyncThread(self._renew(token), interval=self._interval)
        self._thread.start()
        self._set_state("running")

    def shutdown(self, timeout: float = 10.0) -> bool:
        self._poll.stop()
        return self._thread.stop(timeout)

    def _check_stopped(self) -> None:
        if self._thread.is_alive():
            return
        self._poll.stop()
        self._set_state("paused")

    def _set_state(self, state: str) -> None:
        assert state in STATES
        self._state = state
        self.state_changed.emit(state)
