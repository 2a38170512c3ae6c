"""Cyclic garbage collection on the UI thread only.

Python's cyclic collector runs on whichever thread happens to allocate past its threshold. When a
worker thread (a task lane, the sync thread) triggers it and it frees a Qt object that lived on the
UI thread, Qt destroys that object off its thread and the process can crash: seen as a segfault in
the start-up test while the replica opened on the database lane. Anki met the same problem and
collects on a UI-thread timer; so do we. Reference counting still frees everything acyclic at once.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 1000


class UiThreadGarbageCollector(QObject):
    """Turns automatic collection off while it lives and collects, by generation, on a timer."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.collect)
        self._timer.start(interval_ms)

    def collect(self) -> None:
        counts = gc.get_count()
        for generation in (2, 1, 0):  # the oldest due generation; collecting it includes the younger
            if counts[generation] > self._thresholds[generation]:
                gc.collect(generation)
                return

    def stop(self) -> None:
        """Collect once more here, then give collection back to Python as it was."""
        self._timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()
