"""The client sync loop: pull a shop's records into a Replica, push the till's Outbox to the shop.

First run: snapshot every entity (resuming after entities a killed run already finished), then pull
changes from the snapshot cursor. Later: pull changes page by page, each page applied together with
its cursor in one replica transaction; an idle poll is one If-None-Match request answered 304.
A 410 starts a fresh snapshot.

Push drains the outbox oldest first in batches of MAX_PUSH_BATCH and settles each answer in one
outbox transaction; a batch that gets no valid answer stays and is sent again with the same ids, so
the shop's deduplication makes a resend harmless. Pushing and pulling are two lanes of one loop,
each with its own schedule and backoff, so a fault in one never stops the other (a shop whose
changes page is refused still receives the sales, and the other way round). `nudge()` sends what
waits at once (after a checkout). Faults are reported on the EventBus and retried with exponential
backoff and full jitter. Qt-free: the UI bridges the bus to Signals.
"""

from __future__ import annotations

import gc
import logging
import random as random_module
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

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
from sync.ports import (
    AuthError,
    Connector,
    Doc,
    Outbox,
    ProtocolError,
    Replica,
    SnapshotCut,
    SnapshotExpired,
    SnapshotStream,
    SyncError,
    TransientError,
)
from sync.protocol import ENTITIES, MAX_CHANGES_LIMIT
from sync.push import Pusher, PushReport

log = logging.getLogger(__name__)

BACKOFF_BASE = 1.0  # seconds before jitter, doubled per failed attempt
BACKOFF_CAP = 60.0
AUTH_RETRY = 300.0  # a refused token needs a person; check again now and then
# An idle pull that found nothing new keeps its time in memory and writes it at most this often:
# each write is a synchronous commit, and an idle till polls every few seconds all day.
SUCCESS_PERSIST_INTERVAL = 60.0
# The caller's stop Event cannot wake a wait on the engine's own wake-up Event (nudge), so a wait
# looks at it this often.
STOP_POLL = 0.1
_DUE = 1e-6  # a lane this close to its time is due (waits are subtracted in floating point)


SnapshotRunner = Callable[[Callable[[SyncEvent], None], threading.Event], dict[str, int]]


class SyncCancelled(Exception):
    """The pull was cancelled or stopped between two steps; the replica is consistent."""


@dataclass
class PullReport:
    """What one `pull_once` did."""

    snapshot: dict[str, int] = field(default_factory=dict)  # entity -> documents loaded
    changes_applied: int = 0
    pages: int = 0
    not_modified: bool = False  # the shop answered 304: nothing new since the cursor
    resnapshot: bool = False  # the cursor had expired (410) and a fresh snapshot was loaded
    cursor: int = 0
    head: int = 0

    @property
    def changed(self) -> bool:
        """The pull wrote catalog data (a snapshot or at least one page)."""
        return bool(self.snapshot) or self.pages > 0 or self.resnapshot


@dataclass
class _Lane:
    """One of the loop's two jobs (push, pull): when it runs next, and how it has been failing."""

    name: str
    left: float = 0.0  # seconds still to wait before it runs again
    failures: int = 0
    transient: bool = False  # the last failure was the shop or the network being unreachable


@dataclass
class _Loading:
    """Where the snapshot run stands, for a message that tells what the till kept when it stops."""

    entity: str
    entity_index: int
    done: int = 0
    total: int | None = None  # None until the entity's stream has opened


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class SyncEngine:
    def __init__(
        self,
        replica: Replica,
        connector: Connector,
        bus: EventBus | None = None,
        *,
        page_size: int = 1000,
        sleep: Callable[[float], None] | None = None,
        random: Callable[[], float] = random_module.random,
        prefetch: bool = False,
        clock: Callable[[], float] = time.monotonic,
        outbox: Outbox | None = None,
        snapshot_runner: SnapshotRunner | None = None,
    ) -> None:
        """`sleep` replaces the waits of `run` (tests observe the backoff); by default `run` waits on
        its stop event so that stopping is immediate. `prefetch` opens the next entity's snapshot
        while the current one is written (off: no gain measured once the connector reads and
        validates ahead on its own threads, and it holds a second stream in memory). `clock` times
        how often an idle pull's success is written (SUCCESS_PERSIST_INTERVAL). `snapshot_runner`
        loads a snapshot run somewhere else (the app: a child process, so the first sync never holds
        this process's GIL while a sale commits); it reports progress through the emit function it
        is given, returns the documents loaded per entity, raises SyncError subclasses or
        SyncCancelled, and leaves the replica with a cursor. Without an `outbox`
        the engine only pulls."""
        if not 1 <= page_size <= MAX_CHANGES_LIMIT:
            raise ValueError(f"page_size must be 1..{MAX_CHANGES_LIMIT}, not {page_size}")
        self.replica = replica
        self.connector = connector
        self.bus = bus if bus is not None else EventBus()
        self.page_size = page_size
        self._sleep = sleep
        self._random = random
        self._prefetch = prefetch
        self._cancelled = threading.Event()
        self._stop: threading.Event | None = None
        self._connected = False  # shop_info is asked again after any failure
        self._clock = clock
        self._success_written_at: float | None = None  # clock time; None: not yet by this engine
        self._loading: _Loading | None = None  # set while a snapshot run is loading an entity
        self.outbox = outbox
        self._snapshot_runner = snapshot_runner
        self._pusher = Pusher(outbox, connector, self._emit) if outbox is not None else None
        self._wake = threading.Event()  # set by nudge() and cancel(): end the current wait now
        self._nudged = threading.Event()

    # --- one pull -------------------------------------------------------------------------------

    def pull_once(self) -> PullReport:
        """Pull until caught up with the shop's head. Raises SyncError (after reporting it) or
        SyncCancelled; either way the replica holds only whole, validated pages."""
        report = PullReport()
        self._loading = None
        try:
            self._check_cancelled()
            had_error = self.replica.sync_state().last_error is not None
            if not self._connected:
                self._connect(report)
            if self.replica.sync_state().cursor is None:
                self._snapshot(report)
            try:
                self._pull_changes(report)
            except SnapshotExpired as exc:
                log.info("cursor expired, loading a fresh snapshot: %s", exc)
                self.replica.begin_snapshot()
                report.resnapshot = True
                self._snapshot(report)
                self._pull_changes(report)
        except SyncCancelled:
            log.info("sync cancelled")
            raise
        except SyncError as exc:
            self._connected = False
            if isinstance(exc, SnapshotCut):
                self._report_problem(exc, kind="snapshot")
                raise
            if self._loading is not None and isinstance(exc, ProtocolError):
                cut = SnapshotCut(_cut_short_message(self._loading, str(exc)))
                self._report_problem(cut, kind="snapshot")
                raise cut from exc
            self._report_problem(exc)
            raise
        at = utc_now()
        self._record_success(at, must_write=report.changed or had_error)
        self._emit(CaughtUp(cursor=report.cursor, at=at))
        return report

    def _record_success(self, at: str, *, must_write: bool) -> None:
        """Store the time of this success: now when something changed or a problem is cleared,
        otherwise at most every SUCCESS_PERSIST_INTERVAL (the CaughtUp event carries it meanwhile)."""
        now = self._clock()
        last = self._success_written_at
        if must_write or last is None or now - last >= SUCCESS_PERSIST_INTERVAL:
            self.replica.record_sync_result(success_at=at, error=None)
            self._success_written_at = now

    def _connect(self, report: PullReport) -> None:
        info = self.connector.shop_info()
        self.replica.record_shop(info)
        cursor = self.replica.sync_state().cursor
        if cursor is not None and info.head < cursor:
            # The shop's history is behind the till's: its database was restored or replaced.
            # Nothing the till holds can be trusted to match it, so load it afresh.
            log.warning(
                "the shop's head %d is behind the till's cursor %d; loading a fresh snapshot",
                info.head,
                cursor,
            )
            self.replica.begin_snapshot()
            report.resnapshot = True
        self._connected = True
        self._emit(Connected(shop_name=info.shop_name, head=info.head))

    def _snapshot(self, report: PullReport) -> None:
        if self._snapshot_runner is not None:
            self._check_cancelled()
            report.snapshot.update(self._snapshot_runner(self._emit, self._cancelled))
            cursor = self.replica.sync_state().cursor
            if cursor is None:
                raise ProtocolError("the catalog download ended without loading the shop")
            report.cursor = cursor
            return
        with _collector_paused():
            self._load_snapshots(report)

    def _load_snapshots(self, report: PullReport) -> None:
        state = self.replica.sync_state()
        if not state.snapshot_done:
            self.replica.begin_snapshot()
        done = set(state.snapshot_done)
        if done:
            log.info("resuming a snapshot run; already loaded: %s", ", ".join(sorted(done)))
        todo = [(index, entity) for index, entity in enumerate(ENTITIES) if entity not in done]
        upcoming: SnapshotStream | None = None
        try:
            for position, (index, entity) in enumerate(todo):
                self._check_cancelled()
                self._loading = _Loading(entity, index)
                stream, upcoming = upcoming or self.connector.snapshot(entity), None
                self._loading.total = stream.count
                try:
                    # Ask for the next entity now: the shop prepares and sends it while this
                    # one is written (the connector buffers it), instead of waiting for us.
                    if self._prefetch and position + 1 < len(todo):
                        upcoming = self._open_early(todo[position + 1][1])
                    batches = self._with_progress(stream, index)
                    report.snapshot[entity] = self.replica.load_snapshot(
                        entity, stream.cursor, batches, overlap_next=position + 1 < len(todo)
                    )
                finally:
                    _close(stream)
                log.info("snapshot of %s: %d documents at cursor %d", entity, stream.count, stream.cursor)
        finally:
            _close(upcoming)
        report.cursor = self.replica.finish_snapshot()
        self._loading = None

    def _open_early(self, entity: str) -> SnapshotStream | None:
        """Opening ahead is only an optimisation: a failure is met again, and reported, in turn."""
        try:
            return self.connector.snapshot(entity)
        except SyncError as exc:
            log.debug("could not open the snapshot of %s early: %s", entity, exc)
            return None

    def _with_progress(self, stream: SnapshotStream, index: int) -> Iterator[list[Doc]]:
        total_entities = len(ENTITIES)
        done = 0
        self._emit(SnapshotProgress(stream.entity, 0, stream.count, index, total_entities))
        for batch in stream.batches:
            # Checked between batches: raising here makes load_snapshot roll back its open
            # chunk and leave the entity not done.
            self._check_cancelled()
            yield batch
            done += len(batch)
            if self._loading is not None:
                self._loading.done = done
            self._emit(SnapshotProgress(stream.entity, done, stream.count, index, total_entities))

    def _pull_changes(self, report: PullReport) -> None:
        cursor = self.replica.sync_state().cursor
        if cursor is None:
            raise ProtocolError("the replica has no cursor after its snapshot")
        while True:
            self._check_cancelled()
            # Asking with our own cursor as the known head: equal heads mean nothing new (304).
            page = self.connector.changes(cursor, self.page_size, known_head=cursor)
            report.head = page.head
            if page.not_modified:
                report.not_modified = report.pages == 0
                break
            if page.changes or page.next != cursor:
                applied = self.replica.apply_changes(page.changes, page.next)
                cursor = page.next
                report.pages += 1
                report.changes_applied += len(page.changes)
                self._emit(ChangesApplied(changes=applied, cursor=cursor, head=page.head))
            if not page.has_more:
                break
        report.cursor = cursor

    # --- one push ------------------------------------------------------------------------------

    def push_once(self) -> PushReport:
        """Send every waiting mutation, batch by batch (sync.push.Pusher). Raises SyncError (after
        reporting it; the unanswered batch stays and goes again with the same ids) or SyncCancelled
        between batches. Without an outbox it does nothing."""
        if self._pusher is None:
            return PushReport()
        try:
            return self._pusher.push_once(self._check_cancelled)
        except SyncError:
            self._connected = False
            raise

    # --- the loop -------------------------------------------------------------------------------

    def run(self, stop: threading.Event, interval: float = 2.0) -> None:
        """Push and pull every `interval` seconds until `stop` is set or `cancel()` is called.

        Each lane backs off on its own faults; when a lane succeeds again after failing (the shop
        is back), a lane waiting out an unreachable shop tries at once too. A push that the shop
        acknowledged is followed by a pull at once, which brings back its stock movements.
        """
        self._stop = stop
        push = _Lane("push") if self.outbox is not None else None
        pull = _Lane("pull")
        lanes = [lane for lane in (push, pull) if lane is not None]
        try:
            while not self._should_stop():
                if push is not None and self._nudged.is_set():
                    self._nudged.clear()
                    push.left = 0.0
                for lane in lanes:
                    if lane.left > _DUE:
                        continue
                    recovered = lane.failures > 0
                    try:
                        if lane is push:
                            if self.push_once().applied:
                                pull.left = 0.0  # the shop logged the sale: pull its movements back now
                        else:
                            self.pull_once()
                    except SyncCancelled:
                        return
                    except Exception as exc:
                        lane.left = self._failed(lane, exc)
                        continue
                    lane.failures, lane.transient, lane.left = 0, False, interval
                    if recovered:  # the shop is back: a lane waiting out its absence tries now too
                        for other in lanes:
                            if other is not lane and other.transient:
                                other.left = 0.0
                pause = min(lane.left for lane in lanes)
                if pause <= _DUE:
                    continue  # a lane was made due meanwhile (the shop is back, or a push went out)
                waited = self._wait(pause)
                if waited is None:
                    break
                for lane in lanes:
                    lane.left -= waited
        finally:
            self._stop = None

    def _failed(self, lane: _Lane, exc: Exception) -> float:
        if isinstance(exc, AuthError):
            lane.transient = False
            return AUTH_RETRY
        if not isinstance(exc, SyncError):  # a bug or a local fault (disk full): keep the loop alive
            log.exception("sync %s failed unexpectedly", lane.name, exc_info=exc)
            self._emit(ProblemReported(kind="internal", message=f"Sync failed: {exc}"))
        lane.failures += 1
        lane.transient = isinstance(exc, TransientError)
        return self.backoff_delay(lane.failures)

    def nudge(self) -> None:
        """Push what waits now instead of at the next tick (thread-safe; e.g. after a checkout)."""
        self._nudged.set()
        self._wake.set()

    def backoff_delay(self, failures: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2^(failures-1))]."""
        ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, failures - 1))
        return self._random() * ceiling

    def cancel(self) -> None:
        """Stop `run` and abandon a pull in progress at its next step (thread-safe, permanent)."""
        self._cancelled.set()
        stop = self._stop
        if stop is not None:
            stop.set()
        self._wake.set()

    def _wait(self, seconds: float) -> float | None:
        """Wait between steps; the seconds waited (less after a nudge), or None when the loop must end."""
        if self._sleep is not None:
            self._sleep(seconds)
            waited = seconds
        else:
            start = time.monotonic()
            deadline = start + seconds
            waited = seconds
            while not self._should_stop():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                if self._wake.wait(min(remaining, STOP_POLL)):
                    waited = min(seconds, time.monotonic() - start)
                    break
            self._wake.clear()
        return None if self._should_stop() else waited

    def _should_stop(self) -> bool:
        return self._cancelled.is_set() or (self._stop is not None and self._stop.is_set())

    def _check_cancelled(self) -> None:
        if self._should_stop():
            raise SyncCancelled("sync was cancelled")

    # --- reporting ------------------------------------------------------------------------------

    def _report_problem(self, exc: SyncError, kind: str = "protocol") -> None:
        """`kind` names a ProtocolError: "protocol" (a refused page, nothing changed) or "snapshot"
        (a snapshot run that stopped part-way: committed chunks stay, the next run resumes)."""
        message = str(exc)
        log.warning("sync problem: %s", message)
        try:
            self.replica.record_sync_result(success_at=None, error=message)
        except Exception:  # the problem must still be shown even if it cannot be stored
            log.exception("could not record the sync problem")
        if isinstance(exc, TransientError):
            self._emit(Disconnected(reason=message))
        elif isinstance(exc, AuthError):
            self._emit(ProblemReported(kind="auth", message=message))
        elif isinstance(exc, SnapshotExpired):
            self._emit(ProblemReported(kind="expired", message=message))
        elif kind == "snapshot":
            self._emit(ProblemReported(kind="snapshot", message=message))
        else:
            self._emit(
                ProblemReported(
                    kind="protocol",
                    message=f"The shop sent data this till refused; nothing was changed. {message}",
                )
            )

    def _emit(self, event: SyncEvent) -> None:
        self.bus.emit(event)


def _cut_short_message(loading: _Loading, problem: str) -> str:
    # Chunks of the snapshot may already be committed (a re-snapshot mixes old and new rows until
    # it completes), so this never claims that nothing was changed.
    what = f"{loading.entity.replace('_', ' ')} records"
    where = (
        f"at {loading.done:,} of {loading.total:,} {what}"
        if loading.total is not None
        else f"before its {what} began"
    )
    return (
        f"The shop's catalog download was cut short {where} "
        f"(part {loading.entity_index + 1} of {len(ENTITIES)}); the till keeps what it has and will "
        f"resume. {problem[:1].upper()}{problem[1:]}"
    )


def _close(stream: SnapshotStream | None) -> None:
    if stream is not None and stream.close is not None:
        stream.close()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while snapshots load.

    A snapshot makes hundreds of thousands of documents, each a container, and every few
    thousand allocations the collector walks the young ones again (and now and then everything
    alive): ~0.3 s of CPU in a 100k-product first sync (benchmarks/first_sync.py) for cycles it
    never finds. The documents are freed by reference counting. The collector is process-wide: in
    the app the snapshot runs in a child process of its own (pos.snapshot_child).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
