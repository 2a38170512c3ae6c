"""Bridge the Qt-free sync engine to the UI: each engine event becomes a Signal on the UI thread."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal, Slot

from sync.events import (
    CaughtUp,
    ChangesApplied,
    Connected,
    Disconnected,
    EventBus,
    ProblemReported,
    SnapshotProgress,
    SyncEvent,
)

log = logging.getLogger(__name__)


class SyncBridge(QObject):
    """Create on the UI thread. Subscribes to the bus; re-emits on the UI thread as typed Signals."""

    connected = Signal(object)  # Connected
    disconnected = Signal(object)  # Disconnected
    snapshot_progress = Signal(object)  # SnapshotProgress
    changes_applied = Signal(object)  # ChangesApplied
    caught_up = Signal(object)  # CaughtUp
    problem = Signal(object)  # ProblemReported
    event = Signal(object)  # every event, after the typed signal

    _incoming = Signal(object)

    def __init__(self, bus: EventBus, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # Queued: the bus calls _on_bus_event on the engine thread; _dispatch runs on ours.
        self._incoming.connect(self._dispatch, Qt.ConnectionType.QueuedConnection)
        self._closed = False
        self._unsubscribe: Callable[[], None] | None = bus.subscribe(self._on_bus_event)

    def close(self) -> None:
        self._closed = True  # events already queued are dropped too
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _on_bus_event(self, event: SyncEvent) -> None:
        self._incoming.emit(event)

    @Slot(object)
    def _dispatch(self, event: SyncEvent) -> None:
        if self._closed:
            return
        signal = {
            Connected: self.connected,
            Disconnected: self.disconnected,
            SnapshotProgress: self.snapshot_progress,
            ChangesApplied: self.changes_applied,
            CaughtUp: self.caught_up,
            ProblemReported: self.problem,
        }.get(type(event))
        if signal is None:
            log.debug("ignoring unknown sync event %r", event)
        else:
            signal.emit(event)
        self.event.emit(event)
