"""The one way off the UI thread: run a function on a worker lane, get its result back on the UI thread.

Each lane is a single worker thread, so work on one lane runs in submission order ("db" reads never
race each other; "net" calls never pile up; "save" takes the one write that may wait seconds).
Results travel back through a queued Signal; nothing here calls processEvents() or holds a lock
the UI thread could wait on.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

# "save": the one write that takes the replica's write lock (a customer saved at the till), which a
# catalog load from the shop may hold for seconds (at 1M products up to the 10 s busy timeout,
# docs/performance.md). On the db lane it held up every scan, search and sale queued behind it.
LANES = ("db", "net", "save")
SuccessCallback = Callable[[Any], None]
FailureCallback = Callable[[BaseException], None]


@dataclass
class _Callbacks:
    on_success: SuccessCallback | None
    on_failure: FailureCallback | None
    name: str


class _Job(QRunnable):
    def __init__(
        self, runner: TaskRunner, task_id: int, fn: Callable[..., Any], args: tuple[Any, ...]
    ) -> None:
        super().__init__()
        self._runner = runner
        self._task_id = task_id
        self._fn = fn
        self._args = args

    def run(self) -> None:
        try:
            value = self._fn(*self._args)
        except BaseException as exc:  # delivered to on_failure on the UI thread
            self._runner.finished.emit(self._task_id, False, exc)
        else:
            self._runner.finished.emit(self._task_id, True, value)


class TaskRunner(QObject):
    """Create on the UI thread. `run()` returns a task id; callbacks run on the UI thread."""

    finished = Signal(int, bool, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pools: dict[str, QThreadPool] = {}
        for lane in LANES:
            pool = QThreadPool(self)
            pool.setMaxThreadCount(1)
            pool.setExpiryTimeout(-1)  # keep the lane's thread: SQLite connections are per thread
            self._pools[lane] = pool
        self._ids = itertools.count(1)
        self._pending: dict[int, _Callbacks] = {}  # touched only on the UI thread
        self._closed = False
        # Emitted from workers, received here on the UI thread (this object lives there).
        self.finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        lane: str = "db",
        on_success: SuccessCallback | None = None,
        on_failure: FailureCallback | None = None,
    ) -> int:
        if lane not in self._pools:
            raise ValueError(f"unknown lane {lane!r}; lanes are {LANES}")
        if self._closed:  # late events while the app closes: nobody is waiting for the answer
            log.debug("task runner shut down; dropping %r", fn)
            return -1
        task_id = next(self._ids)
        self._pending[task_id] = _Callbacks(on_success, on_failure, getattr(fn, "__qualname__", repr(fn)))
        job = _Job(self, task_id, fn, args)
        job.setAutoDelete(True)
        self._pools[lane].start(job)
        return task_id

    def pending(self) -> int:
        return len(self._pending)

    def shutdown(self, wait_ms: int = 10_000) -> bool:
        """Drop queued work, wait for running work; results arriving later are ignored."""
        self._closed = True
        done = True
        for pool in self._pools.values():
            pool.clear()
            done = pool.waitForDone(wait_ms) and done
        self._pending.clear()
        return done

    @Slot(int, bool, object)
    def _deliver(self, task_id: int, ok: bool, value: object) -> None:
        callbacks = self._pending.pop(task_id, None)
        if callbacks is None:
            return
        _call(callbacks, ok, value)


class SyncTaskRunner:
    """Same interface, runs inline: for tests that want deterministic, single-threaded screens."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        lane: str = "db",
        on_success: SuccessCallback | None = None,
        on_failure: FailureCallback | None = None,
    ) -> int:
        if lane not in LANES:
            raise ValueError(f"unknown lane {lane!r}; lanes are {LANES}")
        callbacks = _Callbacks(on_success, on_failure, getattr(fn, "__qualname__", repr(fn)))
        self.calls.append((lane, callbacks.name))
        try:
            value = fn(*args)
        except Exception as exc:
            _call(callbacks, False, exc)
        else:
            _call(callbacks, True, value)
        return len(self.calls)

    def pending(self) -> int:
        return 0

    def shutdown(self, wait_ms: int = 0) -> bool:
        return True


def _call(callbacks: _Callbacks, ok: bool, value: object) -> None:
    if ok:
        if callbacks.on_success is not None:
            callbacks.on_success(value)
        return
    if callbacks.on_failure is not None:
        callbacks.on_failure(value)  # type: ignore[arg-type]
    else:
        log.error("background task %s failed", callbacks.name, exc_info=value)  # type: ignore[arg-type]


Tasks = TaskRunner | SyncTaskRunner
