"""A first sync's rows are built on a thread of their own and reach the replica through a scratch file.

Python holds one lock (the GIL) for all its threads. A first sync used to build and bind its rows on
the thread that writes the replica, while the connector validated the next batch on another: the
two took turns on the GIL, so the SQLite work (which runs without the GIL) hardly overlapped the
Python work, and one core did nearly everything (client CPU time equalled wall time).

Here a stager thread turns each chunk of documents into rows and inserts them into plain tables
of a scratch SQLite file (no indexes, no constraints, no fsync), and the replica's writer copies
each staged chunk into the live tables with one `INSERT ... SELECT`: a single statement that runs
entirely inside SQLite, without the GIL. Python work (validating, building rows) and SQLite work
(B-trees, indexes, the search index) now run on both cores at once.

The scratch file is only a conduit: the live tables' constraints check every row as it is copied,
a chunk is copied in one transaction of the replica, and the file is deleted after the load. A file
left behind by a crash is removed when a load starts or the replica is opened. Its name is unique
per load, so a load never shares a scratch file with the stager thread of an earlier, failed one.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

log = logging.getLogger(__name__)

Doc = dict[str, Any]
SUFFIX = ".load-"  # <replica>.load-<hex>.sqlite3
ATTACHED = "scratch"
_SCRATCH_FILES = ("", "-wal", "-shm", "-journal")
# Pages of the scratch files (this one's and the search builder's): they are written once, read
# once in order and thrown away. 32 KiB against 4 KiB: 0.15-0.3 s less client CPU per first sync
# of 100k products (benchmarks/first_sync.py, interleaved). The replica keeps 8 KiB pages: at 16 or
# 32 KiB its searches took 20-100 % longer (benchmarks/lookup.py).
SCRATCH_PAGE_SIZE = 32768


@dataclass(frozen=True)
class ScratchTable:
    """A table of the scratch file; `live` is the replica table each chunk is copied into (or None)."""

    name: str
    columns: tuple[str, ...]
    live: str | None = None
    key: str | None = None  # a column that is the scratch table's INTEGER PRIMARY KEY
    extra: tuple[str, ...] = ()  # columns of the scratch table only, not copied

    def ddl(self) -> str:
        columns = [f"{c} INTEGER PRIMARY KEY" if c == self.key else c for c in (*self.columns, *self.extra)]
        return f"CREATE TABLE {self.name} ({', '.join(columns)})"

    def copy_sql(self) -> str:
        names = ", ".join(self.columns)
        return (
            f"INSERT INTO main.{self.live} ({names}) SELECT {names} FROM {ATTACHED}.{self.name} "
            "WHERE rowid BETWEEN ? AND ?"
        )


@dataclass(frozen=True)
class StagedChunk:
    docs: int
    rows: dict[str, tuple[int, int]]  # scratch table -> (first rowid, last rowid) of this chunk


class _End:
    pass


def scratch_path(replica: Path) -> Path:
    return replica.with_name(f"{replica.name}{SUFFIX}{uuid.uuid4().hex}.sqlite3")


def remove_leftovers(replica: Path, *, keep: Path | None = None) -> None:
    """Delete scratch files of loads that did not finish (a crash, a refused snapshot), not `keep`'s."""
    for path in replica.parent.glob(f"{replica.name}{SUFFIX}*"):
        if keep is not None and path.name.startswith(keep.name):
            continue
        try:
            path.unlink()
        except OSError as exc:  # still open by a stager thread that has not ended yet
            log.debug("scratch file %s not removed yet: %s", path, exc)


def remove(path: Path) -> None:
    """Delete a scratch file; one still open elsewhere (Windows) is left for remove_leftovers."""
    for suffix in _SCRATCH_FILES:
        try:
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        except OSError as exc:
            log.debug("scratch file %s%s not removed yet: %s", path, suffix, exc)


class Stager:
    """Writes each chunk of `chunks` into the scratch file at `path` on a thread; `staged()` yields them.

    `write(scratch_connection, docs)` inserts one chunk's rows into `tables`. An exception raised by
    the chunks or by `write` is raised again in `staged()`, after the chunks staged before it.
    """

    def __init__(
        self,
        path: Path,
        tables: Sequence[ScratchTable],
        write: Callable[[sqlite3.Connection, list[Doc]], None],
        chunks: Iterable[list[Doc]],
    ) -> None:
        self.path = path
        self._tables = tuple(tables)
        self._write = write
        self._chunks = chunks
        self._items: queue.SimpleQueue[StagedChunk | BaseException | _End] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._con = self._open()  # here, so a scratch file that cannot be made fails the load at once
        self._thread = threading.Thread(target=self._run, name="snapshot-stager", daemon=True)
        self._thread.start()

    def _open(self) -> sqlite3.Connection:
        con = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        try:
            # WAL: the replica's connection reads staged chunks while the next one is written.
            # No fsync: a crash throws the file away. Large pages (set before WAL writes the
            # header): fewer to fill, log and read back (SCRATCH_PAGE_SIZE).
            pragmas = (f"page_size={SCRATCH_PAGE_SIZE}", "journal_mode=WAL", "synchronous=OFF",
                       "cache_size=-16384")
            for pragma in pragmas:
                con.execute(f"PRAGMA {pragma}")
            for table in self._tables:
                con.execute(table.ddl())
        except BaseException:
            con.close()
            raise
        return con

    def _run(self) -> None:
        con = self._con
        last = {table.name: 0 for table in self._tables}
        try:
            for docs in self._chunks:
                if self._stop.is_set():
                    return
                con.execute("BEGIN")
                self._write(con, docs)
                rows = {}
                for name, before in last.items():
                    (top,) = con.execute(f"SELECT coalesce(max(rowid), 0) FROM {name}").fetchone()
                    rows[name] = (before + 1, top)
                    last[name] = top
                con.execute("COMMIT")
                self._items.put(StagedChunk(len(docs), rows))
            self._items.put(_End())
        except BaseException as exc:  # handed to the replica's writer, which raises it
            self._items.put(exc)
        finally:
            con.close()

    def staged(self) -> Iterator[StagedChunk]:
        while True:
            item = self._items.get()
            if isinstance(item, _End):
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def __enter__(self) -> Stager:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        if kind is None:
            self._thread.join()  # it has put its end and closes its connection: the join is immediate
        # After a failure the thread may still wait on the network: it ends when the stream is
        # closed. The caller removes the file once done with it (remove); a file left behind by a
        # failure or a crash goes at the next load (remove_leftovers).


@contextmanager
def attached(con: sqlite3.Connection, path: Path) -> Iterator[None]:
    """The scratch file attached to `con` as ATTACHED (outside any transaction)."""
    con.execute(f"ATTACH DATABASE ? AS {ATTACHED}", (str(path),))
    try:
        yield
    finally:
        con.execute(f"DETACH DATABASE {ATTACHED}")


def copy_chunk(con: sqlite3.Connection, tables: Sequence[ScratchTable], chunk: StagedChunk) -> None:
    """Copy one staged chunk into the live tables (inside the caller's transaction)."""
    for table in tables:
        first, last = chunk.rows[table.name]
        if table.live is not None and first <= last:
            con.execute(table.copy_sql(), (first, last))
