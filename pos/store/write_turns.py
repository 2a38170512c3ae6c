"""The replica's write lock, taken in turns by a first sync's threads, with room for other writers.

A first sync's threads (the chunk copies, the index builds, the search index copy) take SQLite's
write lock one after another through WriteTurns: the next one starts the moment the last one
commits, instead of polling with SQLite's busy handler, which sleeps up to 100 ms between tries
and left the lock idle that long at each handover.

A writer in another process has only that busy handler: the till saving a customer while its
snapshot child loads the catalog. Turns handed over back to back leave it no moment to get in. At
1M products a customer save failed with "database is locked" twice in one first sync, each after
its 10 s busy timeout (benchmarks/concurrent_writer.py). So once turns have followed each other
for STREAK_S, the next one first leaves the lock free for BREATHER_S, longer than the busy
handler's longest sleep: a waiting writer finds it free and gets in. At 100k products the turns
did not run back to back that long (no breather in 3 first syncs of 3.3-3.5 s, measured).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import TracebackType

# Worst wait of an outside writer: STREAK_S + BREATHER_S + the longest single turn (the search
# index copy), within its 10 s busy timeout: at 1M products saves waited 5.8 s at most
# (benchmarks/concurrent_writer.py).
STREAK_S = 2.5
# SQLite's busy handler sleeps at most 100 ms between tries (sqliteDefaultBusyCallback).
BREATHER_S = 0.12


class WriteTurns:
    """A lock around write transactions (`with turns: ...`).

    Held while waiting for SQLite's write lock or during a breather, never for anything else.
    """

    def __init__(
        self,
        *,
        streak_s: float = STREAK_S,
        breather_s: float = BREATHER_S,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._lock = threading.Lock()
        self._streak_s = streak_s
        self._breather_s = breather_s
        self._clock = clock
        self._sleep = sleep
        self._streak_from = 0.0
        self._released_at = float("-inf")
        self.breathers = 0  # how many times the lock was left free for others (tests, benchmarks)

    def __enter__(self) -> WriteTurns:
        self._lock.acquire()
        try:
            now = self._clock()
            if now - self._released_at >= self._breather_s:
                self._streak_from = now  # free long enough for any writer that was waiting
            elif now - self._streak_from >= self._streak_s:
                self._sleep(self._breather_s)
                self.breathers += 1
                self._streak_from = self._clock()
        except BaseException:
            self._lock.release()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self._released_at = self._clock()
        finally:
            self._lock.release()
