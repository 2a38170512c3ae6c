"""The app's snapshot runs (first sync, re-snapshot) in a child process of their own.

A first sync validates and writes hundreds of thousands of documents; in the app's own process its
thread holds the GIL for whole validation batches, and a sale committed meanwhile waited up to
hundreds of milliseconds for it (benchmarks/sale_commit.py: p99 48-164 ms with the sync in a
thread, 9 ms with it in another process). So the app's SyncEngine hands snapshot runs to
`ChildSnapshot`, which starts `countertop _snapshot-child REPLICA URL` (the device token in the
environment, never on the command line), relays its progress as SnapshotProgress events, and turns
its last line into the same errors an in-process run raises. Cancelling kills the child: the
replica is crash-safe (a kill leaves whole chunks and the entity not done; the next run resumes).

The child prints one JSON object per line: {"progress": [entity, done, total, index, count]},
then {"done": {entity: documents}} or {"error": kind, "message": text}.

Nearly all of a child's start is imports (~0.4 s). When a snapshot is about to be needed (a replica
never loaded), `ChildSnapshot(..., spare=True)` starts the child at once with `--wait`: it imports
everything, then waits for "go" on its standard input, so the first sync does not wait for the
imports. A spare never told to go ends when its input closes (`close()`, or the app exiting).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pos.settings import TOKEN_ENV
from sync.engine import SyncCancelled, SyncEngine
from sync.events import EventBus, SnapshotProgress, SyncEvent
from sync.ports import AuthError, ProtocolError, SnapshotCut, SnapshotExpired, SyncError, TransientError

log = logging.getLogger(__name__)

COMMAND = "_snapshot-child"
_ERRORS: dict[str, type[SyncError]] = {
    "auth": AuthError, "protocol": ProtocolError, "snapshot": SnapshotCut, "expired": SnapshotExpired,
    "transient": TransientError,
}  # fmt: skip
_POLL_S = 0.1  # how often a cancel is noticed while the child works


def child_command() -> list[str]:
    """How to start this program again: the frozen executable itself, or `python -m pos`."""
    return [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "pos"]


class ChildSnapshot:
    """A `snapshot_runner` for sync.engine.SyncEngine; `spare`: start a child now (module docstring)."""

    def __init__(self, replica_path: Path, url: str, token: str, *, spare: bool = False) -> None:
        self._path, self._url, self._token = Path(replica_path), url, token
        self._spare: tuple[subprocess.Popen[str], Any] | None = None
        self._lock = threading.Lock()
        self.last_pid: int | None = None  # the child that ran the last snapshot
        if spare:
            try:
                self._spare = self._start(wait=True)
            except OSError as exc:  # only speed is lost: the run starts its child when it comes
                log.warning("could not start a spare snapshot child: %s", exc)

    @property
    def has_spare(self) -> bool:
        with self._lock:
            return self._spare is not None and self._spare[0].poll() is None

    def _start(self, *, wait: bool) -> tuple[subprocess.Popen[str], Any]:
        errors = tempfile.TemporaryFile()  # noqa: SIM115 (the caller closes it with the child)
        try:
            child = subprocess.Popen(
                [*child_command(), COMMAND, str(self._path), self._url, *(["--wait"] if wait else [])],
                stdout=subprocess.PIPE, stderr=errors, stdin=subprocess.PIPE if wait else subprocess.DEVNULL,
                env={**os.environ, TOKEN_ENV: self._token}, text=True,
            )  # fmt: skip
        except BaseException:
            errors.close()
            raise
        return child, errors

    def _take(self) -> tuple[subprocess.Popen[str], Any]:
        """The spare child told to go, if it is still there; else a child started now."""
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is not None:
            child = spare[0]
            try:
                assert child.stdin is not None
                child.stdin.write("go\n")
                child.stdin.close()
                return spare
            except OSError:  # it died waiting: a fresh one
                _end(spare)
        return self._start(wait=False)

    def close(self) -> None:
        """End a spare child that was never used, at once: until told to go it has opened nothing."""
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is not None:
            _end(spare)

    def __call__(self, emit: Callable[[SyncEvent], None], cancelled: threading.Event) -> dict[str, int]:
        child, errors = self._take()
        self.last_pid = child.pid
        with errors:
            lines: queue.Queue[str | None] = queue.Queue()
            reader = threading.Thread(target=_read_lines, args=(child, lines), daemon=True)
            reader.start()
            try:
                last = self._relay(child, lines, emit, cancelled)
            finally:
                if child.poll() is None:
                    child.kill()
                child.wait()
                reader.join(5)
            if last is None:
                errors.seek(0)
                tail = errors.read()[-2000:].decode("utf-8", "replace").strip()
                log.warning("the snapshot child exited with %s: %s", child.returncode, tail)
                raise TransientError(
                    f"the catalog download stopped unexpectedly (exit {child.returncode}); it resumes shortly"
                )
        if "error" in last:
            raise _ERRORS.get(str(last["error"]), TransientError)(str(last.get("message", "")))
        return {str(k): int(v) for k, v in dict(last.get("done") or {}).items()}

    def _relay(
        self, child: subprocess.Popen[str], lines: queue.Queue[str | None],
        emit: Callable[[SyncEvent], None], cancelled: threading.Event,
    ) -> dict[str, Any] | None:  # fmt: skip
        last: dict[str, Any] | None = None
        while True:
            if cancelled.is_set():
                child.kill()
                raise SyncCancelled("sync was cancelled")
            try:
                line = lines.get(timeout=_POLL_S)
            except queue.Empty:
                continue
            if line is None:
                return last
            try:
                message = json.loads(line)
            except ValueError:
                log.warning("snapshot child: %s", line.rstrip())
                continue
            if "progress" in message:
                entity, done, total, index, count = message["progress"]
                emit(SnapshotProgress(entity, int(done), int(total), int(index), int(count)))
            else:
                last = message


def _end(spare: tuple[subprocess.Popen[str], Any]) -> None:
    child, errors = spare
    child.kill()
    child.wait()
    if child.stdin is not None:
        with contextlib.suppress(OSError):  # a pipe the child never read may refuse the flush
            child.stdin.close()
    errors.close()


def _read_lines(child: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
    assert child.stdout is not None
    for line in child.stdout:
        lines.put(line)
    lines.put(None)


# --- the child ----------------------------------------------------------------------------------------


def child_main(argv: Sequence[str]) -> int:
    """`countertop _snapshot-child REPLICA URL`: pull until caught up, printing progress as JSON."""
    from pos.store.database import ReplicaSchemaError, open_replica
    from pos.store.replica import SqliteReplica
    from sync.connectors.countertop import CountertopConnector

    # Not __main__'s set-up: this stderr is only the tail the app logs when the child dies, retries and all.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    replica_path, url, *flags = argv
    if "--wait" in flags and sys.stdin.readline().strip() != "go":
        return 0  # a spare the app did not need: its input closed
    token = os.environ.get(TOKEN_ENV, "")
    try:
        engine = open_replica(Path(replica_path), migrate=False)  # the app migrated it
    except ReplicaSchemaError as exc:
        _say({"error": "protocol", "message": str(exc)})
        return 1
    bus = EventBus()
    bus.subscribe(_print_progress)
    connector = CountertopConnector(url, token)
    try:
        report = SyncEngine(SqliteReplica(engine), connector, bus).pull_once()
        _say({"done": report.snapshot})
        return 0
    except SyncError as exc:
        _say({"error": _kind(exc), "message": str(exc)})
        return 1
    finally:
        connector.close()
        engine.dispose()


def _kind(exc: SyncError) -> str:
    for kind, cls in reversed(_ERRORS.items()):  # subclasses (SnapshotCut) before their bases
        if isinstance(exc, cls):
            return kind
    return "transient"


def _print_progress(event: SyncEvent) -> None:
    if isinstance(event, SnapshotProgress):
        _say({"progress": [event.entity, event.done, event.total, event.entity_index, event.entity_count]})


_SAYING = threading.Lock()


def _say(message: dict[str, Any]) -> None:
    # Progress comes from the replica's stager thread, the end from the main thread: one whole
    # line at a time (print writes the text and the newline apart).
    with _SAYING:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()
