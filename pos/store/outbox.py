"""The outbox: mutations for the shop, written in the transaction of the change they describe.

Services call `enqueue` inside their own transaction (a sale, a return, a customer edit), so a
mutation exists exactly when its change does. The sync engine drains the rows in `position`
order through `SqliteOutbox` (sync.ports.Outbox).

Stock deltas ride along: `enqueue(..., stock=[(variant_id, location_id, delta)])` records what the
till changed locally; `shown_stock` adds them to the pulled inventory levels until the shop's
change for them has been pulled. A delta learns the seq at which the shop applied it when its
mutation is acknowledged (`SqliteOutbox.settle`); from then on it counts only while the levels are
older than that seq (`UNREFLECTED_DELTAS`, read in the same read transaction as the levels), so it
is counted exactly once: before, by the delta; after, by the pulled level. The outbox and the
deltas live in the till file and the levels in the replica (pos.store.till_file), so rows the
levels already show are deleted after the pull commits (`drop_reflected`), not with it.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Engine

from pos.domain.sale import format_timestamp
from pos.store.database import read_transaction, write_transaction
from pos.store.till_file import till_engine
from sync.ports import OutboxCounts, OutboxItem
from sync.protocol import Mutation, MutationResult

log = logging.getLogger(__name__)

StockDelta = tuple[str, str, int]  # (variant_id, location_id, delta)

_INSERT = "INSERT INTO outbox (id, type, payload, base_version, created_at) VALUES (?, ?, ?, ?, ?)"
_INSERT_STOCK = "INSERT INTO pending_stock (mutation_id, variant_id, location_id, delta) VALUES (?, ?, ?, ?)"
_COUNTS = (
    "SELECT coalesce(sum(parked_status IS NULL), 0), coalesce(sum(parked_status IS NOT NULL), 0) FROM outbox"
)
_PARKED_COLUMNS = (
    "position, id, type, payload, base_version, created_at, attempts, "
    "parked_status, parked_reason, parked_current, parked_at"
)
# The seq up to which the pulled stock levels are complete: the pull cursor, or while a snapshot
# run has none, the cursor the inventory levels were loaded at (if they were already).
_LEVELS_CURSOR = (
    "SELECT coalesce((SELECT cursor FROM sync_state WHERE id = 1), "
    "(SELECT cursor FROM sync_snapshot WHERE entity = 'inventory_level'))"
)
# The deltas the pulled levels do not show yet, as a table for queries: (variant_id, location_id,
# delta). With no levels cursor (a snapshot run before its levels) every delta left counts:
# SqliteReplica drops the reflected ones before a snapshot run clears the cursor.
UNREFLECTED_DELTAS = (
    "(SELECT variant_id, location_id, delta FROM pending_stock "
    f"WHERE applied_seq IS NULL OR applied_seq > coalesce(({_LEVELS_CURSOR}), -1))"
)
Also = Callable[[sqlite3.Connection], None]  # more work in the same transaction
LAST_ERROR_CHARS = 1000  # a shop's error text is kept for a person, not in full


def utc_stamp() -> str:
    return format_timestamp(datetime.now(UTC))


def enqueue(
    con: sqlite3.Connection,
    *,
    mutation_id: str,
    type: str,
    payload: dict[str, Any],
    base_version: int | None = None,
    stock: Iterable[StockDelta] = (),
) -> int:
    """Append a mutation (and its stock deltas) inside the caller's open transaction.

    Returns its position. The caller commits; nothing here commits or opens a transaction.
    """
    if not con.in_transaction:
        raise RuntimeError("enqueue must run inside the transaction of the change it describes")
    row = (mutation_id, type, orjson.dumps(payload).decode(), base_version, utc_stamp())
    cursor = con.execute(_INSERT, row)
    rows = [(mutation_id, variant, location, delta) for variant, location, delta in stock if delta]
    if rows:
        con.executemany(_INSERT_STOCK, rows)
    position = cursor.lastrowid
    assert position is not None
    return position


def pending_delta(con: sqlite3.Connection, variant_id: str, location_id: str) -> int:
    """This till's stock change for a variant at a location that pulled levels do not show yet."""
    row = con.execute(
        f"SELECT coalesce(sum(delta), 0) FROM {UNREFLECTED_DELTAS} WHERE variant_id = ? AND location_id = ?",
        (variant_id, location_id),
    ).fetchone()
    return int(row[0])


def shown_stock(con: sqlite3.Connection, variant_id: str, location_id: str) -> int:
    """The stock a person sees: the pulled level (0 when none) plus this till's pending deltas."""
    row = con.execute(
        "SELECT coalesce((SELECT quantity FROM inventory_level WHERE variant_id = ? AND location_id = ?), 0)",
        (variant_id, location_id),
    ).fetchone()
    return int(row[0]) + pending_delta(con, variant_id, location_id)


def drop_reflected(con: sqlite3.Connection, cursor: int) -> int:
    """Forget deltas the shop applied at or before `cursor` (the pulled levels now include them).

    Runs on a connection with the till file writable; returns how many rows went.
    """
    return con.execute(
        "DELETE FROM pending_stock WHERE applied_seq IS NOT NULL AND applied_seq <= ?", (cursor,)
    ).rowcount


def forget_reflected(till: Engine, cursor: int) -> int:
    """`drop_reflected` in a transaction of its own on the till file, taken only when a row is due
    (a pull must not queue behind checkouts for nothing)."""
    with read_transaction(till) as con:
        due = con.execute(
            "SELECT EXISTS (SELECT 1 FROM pending_stock WHERE applied_seq <= ?)", (cursor,)
        ).fetchone()[0]
    if not due:
        return 0
    with write_transaction(till) as con:
        return drop_reflected(con, cursor)


@dataclass(frozen=True)
class ParkedRow:
    """A mutation the shop answered `conflict` or `rejected`, waiting for a person."""

    position: int
    id: str
    type: str
    payload: dict[str, Any]
    base_version: int | None
    created_at: str
    attempts: int
    status: str  # "conflict" | "rejected"
    reason: str | None
    current: dict[str, Any] | None  # the shop's current document on a conflict
    parked_at: str


class SqliteOutbox:
    """`sync.ports.Outbox` over the till file, plus what the sync problems list needs.

    Every method is one short transaction of its own on a pooled driver connection.
    """

    def __init__(self, engine: Engine) -> None:
        """`engine`: the replica's, from open_replica; the outbox itself is in its till file."""
        self._engine = till_engine(engine)

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        return write_transaction(self._engine)

    # --- the Outbox port -------------------------------------------------------------------------

    def next_batch(self, limit: int) -> list[OutboxItem]:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        with read_transaction(self._engine) as con:
            rows = con.execute(
                "SELECT position, id, type, payload, base_version, attempts FROM outbox "
                "WHERE parked_status IS NULL ORDER BY position LIMIT ?",
                (limit,),
            ).fetchall()
        # Not validated here: the rows were valid when written, and the shop judges them anyway.
        return [
            OutboxItem(
                position=position,
                mutation=Mutation.model_construct(
                    id=mutation_id, type=kind, payload=orjson.loads(payload), base_version=base_version
                ),
                attempts=attempts,
            )
            for position, mutation_id, kind, payload, base_version, attempts in rows
        ]

    def settle(self, results: Sequence[MutationResult]) -> OutboxCounts:
        with self._write() as con:
            (cursor,) = con.execute(_LEVELS_CURSOR).fetchone()
            now = utc_stamp()
            for result in results:
                if result.status in ("applied", "duplicate"):
                    _acknowledge(con, result, cursor)
                else:
                    _park(con, result, now)
            if cursor is not None:
                drop_reflected(con, cursor)
            return _counts(con)

    def counts(self) -> OutboxCounts:
        with read_transaction(self._engine) as con:
            return _counts(con)

    # --- beyond the port -----------------------------------------------------------------------

    def record_failure(self, mutation_ids: Sequence[str], message: str) -> None:
        """A push of these mutations failed before any answer: count the attempt, keep the reason."""
        with self._write() as con:
            con.executemany(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ? "
                "WHERE id = ? AND parked_status IS NULL",
                [(message[:LAST_ERROR_CHARS], mutation_id) for mutation_id in mutation_ids],
            )

    def parked(self) -> list[ParkedRow]:
        """Parked mutations, oldest first."""
        with read_transaction(self._engine) as con:
            rows = con.execute(
                f"SELECT {_PARKED_COLUMNS} FROM outbox WHERE parked_status IS NOT NULL ORDER BY position"
            ).fetchall()
        return [_parked_row(row) for row in rows]

    def get_parked(self, mutation_id: str) -> ParkedRow | None:
        with read_transaction(self._engine) as con:
            row = con.execute(
                f"SELECT {_PARKED_COLUMNS} FROM outbox WHERE id = ? AND parked_status IS NOT NULL",
                (mutation_id,),
            ).fetchone()
        return _parked_row(row) if row else None

    def unpark(self, mutation_id: str, then: Also | None = None) -> bool:
        """Queue a parked mutation again, in its original place and with its original id (a copy
        the shop did apply comes back `duplicate`). False when no parked mutation has that id.
        `then` runs in the same transaction when it did (the audit entry)."""
        with self._write() as con:
            changed = con.execute(
                "UPDATE outbox SET parked_status = NULL, parked_reason = NULL, parked_current = NULL, "
                "parked_at = NULL, attempts = 0, last_error = NULL "
                "WHERE id = ? AND parked_status IS NOT NULL",
                (mutation_id,),
            ).rowcount
            if changed and then is not None:
                then(con)
        return changed > 0

    def discard(self, mutation_id: str, then: Also | None = None) -> bool:
        """Drop a parked mutation and its pending stock deltas: the shop will never hear of it.

        Only parked rows: a waiting one may be on its way to the shop right now, and dropping its
        deltas then would leave a gap in the shown stock. False when no parked mutation has that id.
        """
        with self._write() as con:
            parked = con.execute(
                "SELECT 1 FROM outbox WHERE id = ? AND parked_status IS NOT NULL", (mutation_id,)
            ).fetchone()
            if parked is None:
                return False
            if then is not None:
                then(con)  # while the row is still there to describe
            con.execute("DELETE FROM outbox WHERE id = ?", (mutation_id,))
            con.execute("DELETE FROM pending_stock WHERE mutation_id = ?", (mutation_id,))
        return True


def _acknowledge(con: sqlite3.Connection, result: MutationResult, cursor: int | None) -> None:
    if con.execute("DELETE FROM outbox WHERE id = ?", (result.id,)).rowcount == 0:
        return  # settled before (a resent answer) or discarded: nothing of ours to update
    seq = result.seq
    if seq is None or (cursor is not None and cursor >= seq):
        # The pulled levels already show the shop's movement (or the shop logged none).
        con.execute("DELETE FROM pending_stock WHERE mutation_id = ?", (result.id,))
    else:
        con.execute("UPDATE pending_stock SET applied_seq = ? WHERE mutation_id = ?", (seq, result.id))


def _park(con: sqlite3.Connection, result: MutationResult, now: str) -> None:
    current = orjson.dumps(result.current).decode() if result.current is not None else None
    reason = result.reason or f"The shop answered {result.status} without a reason."
    changed = con.execute(
        "UPDATE outbox SET parked_status = ?, parked_reason = ?, parked_current = ?, parked_at = ?, "
        "last_error = NULL WHERE id = ?",
        (result.status, reason, current, now, result.id),
    ).rowcount
    if changed:
        log.warning("mutation %s parked (%s): %s", result.id, result.status, reason)


def _counts(con: sqlite3.Connection) -> OutboxCounts:
    waiting, parked = con.execute(_COUNTS).fetchone()
    return OutboxCounts(waiting=int(waiting), parked=int(parked))


def _parked_row(row: tuple[Any, ...]) -> ParkedRow:
    position, mutation_id, kind, payload, base_version, created_at, attempts = row[:7]
    status, reason, current, parked_at = row[7:]
    return ParkedRow(
        position=position,
        id=mutation_id,
        type=kind,
        payload=orjson.loads(payload),
        base_version=base_version,
        created_at=created_at,
        attempts=attempts,
        status=status,
        reason=reason,
        current=orjson.loads(current) if current is not None else None,
        parked_at=parked_at,
    )
