"""Events the sync engine reports, and a plain callback bus (no Qt: the UI bridges it to Signals).

Callbacks run on the engine's thread; a subscriber that touches a UI must hop threads itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sync.ports import AppliedChanges

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Connected:
    shop_name: str
    head: int


@dataclass(frozen=True)
class Disconnected:
    reason: str  # for a person: "Shop unreachable: connection refused (http://...)"


@dataclass(frozen=True)
class SnapshotProgress:
    entity: str
    done: int  # documents of this entity loaded so far
    total: int  # announced by the snapshot header
    entity_index: int  # 0-based position among the entities of this snapshot run
    entity_count: int


@dataclass(frozen=True)
class ChangesApplied:
    changes: AppliedChanges
    cursor: int
    head: int


@dataclass(frozen=True)
class CaughtUp:
    cursor: int
    at: str  # ISO UTC


@dataclass(frozen=True)
class ProblemReported:
    # "auth", "protocol" (a refused changes page), "snapshot" (a download cut short or refused),
    # "transient", "expired", "internal" (a bug or a full disk)
    kind: str
    message: str  # clear, for a person; the replica was not changed by the refused page


@dataclass(frozen=True)
class OutboxChanged:
    """After a push: how many mutations still wait and how many are parked for a person."""

    waiting: int
    parked: int
    applied: int  # acknowledged by this push (applied or duplicate)


SyncEvent = (
    Connected | Disconnected | SnapshotProgress | ChangesApplied | CaughtUp | ProblemReported | OutboxChanged
)
Listener = Callable[[SyncEvent], None]


class EventBus:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def emit(self, event: SyncEvent) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:  # a broken listener must not stop the sync
                log.exception("sync event listener failed on %r", event)
