"""One snapshot run per replica at a time, across processes.

A first sync or re-snapshot stages rows in scratch files beside the replica and removes the ones a
killed run left behind. Two runs at once (the app's and a `countertop sync --once`, or two such
commands) deleted each other's scratch files under them and loaded the same entity into the same
empty table twice ("disk I/O error", "a record listed twice"). The run holds an OS lock on
`<replica>.load.lock` from its first entity to its end; the OS drops it when the process dies.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from sync.ports import TransientError

if os.name == "nt":  # pragma: no cover - the tills' Windows build
    import msvcrt

    def _lock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


# This process's held locks by file, shared by its replica objects: a run that failed between two
# entities keeps the lock until the process ends, and must not lock out the next replica object
# the same process opens on that file (the app renews its engines). Other processes stay out.
_HELD: dict[Path, int] = {}
_HELD_LOCK = threading.Lock()


class LoadLock:
    def __init__(self, replica: Path) -> None:
        self._path = replica.with_name(f"{replica.name}.load.lock").resolve()

    def acquire(self) -> None:
        """Hold the lock (already held by this process: a no-op), or TransientError when another
        process's run holds it."""
        with _HELD_LOCK:
            if self._path in _HELD:
                return
            fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                _lock(fd)
            except OSError:
                os.close(fd)
                raise TransientError(
                    "Another Countertop is loading this till's catalog from the shop (the app, or "
                    "another `countertop sync`): this sync tries again once it has finished."
                ) from None
            _HELD[self._path] = fd

    def release(self) -> None:
        with _HELD_LOCK:
            fd = _HELD.pop(self._path, None)
        if fd is None:
            return
        try:
            _unlock(fd)
        finally:
            os.close(fd)
