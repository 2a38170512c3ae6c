"""One snapshot run per replica at a time, across processes.

A first sync or re-snapshot stages rows in scratch files beside the replica and removes the ones a
killed run left behind. Two runs at once (the app's and a `countertop sync --once`, or two such
commands) deleted each other's scratch files under them and loaded the same entity into the same
empty table twice ("disk I/O error", "a record listed twice"). The run holds an OS lock on
`<replica>.load.lock` from its first entity to its end; the OS drops it when the process dies.
"""

from __future__ import annotations

import os
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


class LoadLock:
    def __init__(self, replica: Path) -> None:
        self._path = replica.with_name(f"{replica.name}.load.lock")
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Hold the lock (again: a no-op), or TransientError when another run holds it."""
        if self._fd is not None:
            return
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _lock(fd)
        except OSError:
            os.close(fd)
            raise TransientError(
                "Another Countertop is loading this till's catalog from the shop (the app, or another "
                "`countertop sync`): this sync tries again once it has finished."
            ) from None
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            _unlock(fd)
        finally:
            os.close(fd)
