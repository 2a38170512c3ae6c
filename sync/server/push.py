"""`POST /sync/push`: apply a till's mutations in the order sent, each on its own, results in order.

Each mutation's id is claimed (`applied.py`) in the transaction that applies it, so a resent mutation
answers `duplicate` with the stored result and writes nothing. A rejected or conflicting mutation
rolls back alone and the next one is applied: one bad mutation never blocks the others.

A batch runs in one write transaction (db.write_on: SQLite's BEGIN IMMEDIATE, PostgreSQL's lock on
the change-log counter, which every writer takes first), committed before the answer is sent; if it
cannot commit, none of it was applied and the till's retry applies it afresh. Inside it:
- consecutive `sale.create` mutations, the bulk of the traffic, are judged and written a run at a
  time (sales_batch.py: a few statements for the run instead of ~15 a sale). If the database refuses
  the run's writes, the run is rolled back to its savepoint and applied one sale at a time;
- any other mutation gets its own SAVEPOINT: rolled back to it, it leaves nothing behind, exactly
  as a rolled-back transaction would.
A payload holding a string no database can store (a NUL, a lone surrogate) is rejected before it is
applied, on every backend. A value the database still refuses (DataError) rejects that mutation
alone, rolled back to its savepoint. No integer over 64 bits gets that far (SQLite's driver would
raise OverflowError): the payload schemas bound every number, and check_storable the free JSON.
One transaction per batch instead of one per mutation spares a commit per sale: on SQLite with
`synchronous=FULL` that is an fsync each (~200 sales/s before, over 1,000 after).

Holding the write lock, a mutation's checks see everything committed before and nothing can race
them. The retries below stay for writers outside that rule: a unique violation, deadlock or
serialization failure is tried again from the savepoint, when the checks give the proper answer.
Anything else the database raises (locked, unreachable) fails the request with a 503; nothing of
the batch is kept, and the till's retry applies it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

from sync.protocol import Mutation
from sync.server import applied, db, sales_batch
from sync.server.audit_apply import apply_audit_entry
from sync.server.cash_apply import apply_cash_session
from sync.server.customers_apply import apply_customer
from sync.server.devices import Device
from sync.server.errors import Rejected, Stale
from sync.server.push_checks import valid_payload
from sync.server.returns_apply import apply_return
from sync.server.sales import apply_sale

logger = logging.getLogger(__name__)

Result = dict[str, Any]
Handler = Callable[[Connection, dict[str, Any], Mutation, Device], int]  # (..., pushing device) -> seq
Scope = Callable[[], AbstractContextManager[Any]]
ATTEMPTS = 4
# PostgreSQL: serialization_failure, deadlock_detected. Transient, worth one more try at once.
RETRY_SQLSTATES = {"40001", "40P01"}

HANDLERS: dict[str, Handler] = {
    "sale.create": lambda conn, payload, _m, _d: apply_sale(conn, payload),
    "return.create": lambda conn, payload, _m, _d: apply_return(conn, payload),
    "customer.upsert": lambda conn, payload, m, _d: apply_customer(conn, payload, m.base_version),
    "cash.session": lambda conn, payload, _m, pusher: apply_cash_session(conn, payload, pusher),
    "audit.entry": lambda conn, payload, _m, pusher: apply_audit_entry(conn, payload, pusher),
}


result = applied.result


def push(engine: Engine, pusher: Device, mutations: Sequence[Mutation]) -> list[Result]:
    """One result per mutation, in the order given."""
    results: list[Result] = []
    with engine.connect() as conn, db.write_on(conn):
        for run in _runs(mutations):
            if run[0].type == sales_batch.SALE:
                results.extend(_apply_sales(conn, pusher, run))
            else:
                results.extend(apply_mutation(conn, conn.begin_nested, pusher, m) for m in run)
    return results


def _runs(mutations: Sequence[Mutation]) -> list[list[Mutation]]:
    """Consecutive sales together; every other mutation on its own."""
    runs: list[list[Mutation]] = []
    for m in mutations:
        if runs and m.type == sales_batch.SALE and runs[-1][0].type == sales_batch.SALE:
            runs[-1].append(m)
        else:
            runs.append([m])
    return runs


def _apply_sales(conn: Connection, pusher: Device, run: list[Mutation]) -> list[Result]:
    try:
        with conn.begin_nested():
            return sales_batch.apply_sales(conn, pusher.id, run)
    except (DBAPIError, sales_batch.LostWriteLock) as exc:
        logger.warning("%d sales could not be written together (%s); one at a time", len(run), _why(exc))
    return [apply_mutation(conn, conn.begin_nested, pusher, m) for m in run]


def apply_mutation(conn: Connection, scope: Scope, pusher: Device, m: Mutation) -> Result:
    """Apply `m` inside `scope()` (its transaction or savepoint), trying again after a lost race."""
    handler = HANDLERS.get(m.type)
    if handler is None:
        return result(m.id, "rejected", reason=f"this shop does not accept {m.type!r} mutations")
    try:
        payload = valid_payload(m.type, m.payload)
    except Rejected as exc:
        return result(m.id, "rejected", reason=exc.reason)
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return _apply_once(conn, scope, pusher, m, handler, payload)
        except Rejected as exc:
            logger.info("mutation %s (%s) rejected: %s", m.id, m.type, exc.reason)
            return result(m.id, "rejected", reason=exc.reason)
        except Stale as exc:
            return result(m.id, "conflict", current=exc.current)
        except IntegrityError as exc:
            if attempt == ATTEMPTS:
                logger.warning("mutation %s (%s) still conflicts: %s", m.id, m.type, exc.orig)
                return result(m.id, "rejected", reason=f"conflicts with data on the shop: {_first_line(exc)}")
            logger.info("mutation %s raced another write; trying again", m.id)
        except DataError as exc:
            # A value of this mutation the database cannot hold: its savepoint is rolled back, so
            # refusing it alone is safe, and failing the batch would block the till's outbox for good.
            logger.warning("mutation %s (%s) cannot be stored: %s", m.id, m.type, _why(exc))
            return result(m.id, "rejected", reason=f"a value cannot be stored by the shop: {_why(exc)}")
        except DBAPIError as exc:
            if attempt == ATTEMPTS or _sqlstate(exc) not in RETRY_SQLSTATES:
                raise
            logger.info("mutation %s: %s; trying again", m.id, _first_line(exc))
    raise AssertionError("unreachable")  # the last attempt returns or raises


def _apply_once(
    conn: Connection, scope: Scope, pusher: Device, m: Mutation, handler: Handler, payload: dict[str, Any]
) -> Result:
    with scope():
        stored = applied.claim(conn, m.id, pusher.id, m.type)
        if stored is None:
            done = result(m.id, "applied", seq=handler(conn, payload, m, pusher))
            applied.store(conn, m.id, {"status": "applied", "seq": done["seq"]})
            return done
    if stored["device_id"] != pusher.id:
        raise Rejected(f"mutation id {m.id} was already used by another device")
    return result(m.id, "duplicate", seq=stored["result"].get("seq"))


def _sqlstate(exc: DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None)


def _why(exc: Exception) -> str:
    return _first_line(exc) if isinstance(exc, DBAPIError) else str(exc)


def _first_line(exc: DBAPIError) -> str:
    text = str(exc.orig).strip()
    return text.splitlines()[0] if text else type(exc.orig).__name__
