"""Cash sessions (shifts) at this till: open with a float count, pay in, pay out, drop, X report,
close with a blind count, Z report. No Qt; each call is one transaction in the till file.

Selling records each sale's takings into the open session in the sale's own transaction
(`record_sale_takings`, called by pos.services.checkout), so a kill never leaves a sale counted
without its session or the other way round; a till that crashed with a session open finds it as
it was, rebuilt from its events. The close is blind: `close` takes the counts and only its result
shows what was expected. A variance above the shop's limit needs a manager's approval; the Z
report is stored, queued for the shop as `cash.session`, and audited.

    cash = CashSessions(engine)
    cash.open(actor, {2000: 2, 1000: 1, 200: 5})                 # a 60.00 float by denomination
    cash.move(actor, "pay_out", Money(1250, "EUR"), "window cleaner")
    x = cash.x_report(actor)
    z = cash.close(actor, {5000: 3, ...}, {"card": Money(12345, "EUR")})   # CloseNeedsApproval?
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from pos.domain.cash import (
    CASH,
    CashSession,
    MovementKind,
    Takings,
    XReport,
    ZReport,
    count_cash,
    open_session,
)
from pos.domain.errors import DomainError
from pos.domain.ids import new_id
from pos.domain.money import Money
from pos.domain.permissions import Approval, Limits, Permission, Size, decide, require
from pos.services.audit import Actor, clean_reason, record
from pos.store import cash_sessions as store
from pos.store import outbox, till
from pos.store.database import read_transaction, write_transaction
from pos.store.till_file import till_engine

log = logging.getLogger(__name__)

_MOVE_PERMISSIONS = {"pay_in": Permission.CASH_PAY_IN, "pay_out": Permission.CASH_PAY_OUT,
                     "drop": Permission.CASH_DROP}  # fmt: skip


class NoOpenSession(DomainError):
    """Selling and cash movements need an open session: open one with a float count first."""


def record_sale_takings(
    con: sqlite3.Connection, payments: list[dict[str, Any]], currency: str, *, ref: str, at: datetime,
    staff_id: str | None, refund: bool = False,
) -> bool:  # fmt: skip
    """Count a sale's (or a return's refund) payments into the open session, in the caller's
    transaction. Returns False when no session is open (nothing written)."""
    opened = store.open_session_head(con)
    if opened is None:
        return False
    session_id, currency_of_session = opened
    takings = Takings.of_payments(payments, currency)
    if currency != currency_of_session:
        raise DomainError(f"a {currency} sale in a {currency_of_session} shift", field="currency")
    if refund and CASH in takings.by_tender:
        # Only a cash refund needs the drawer's figure: a sale never replays the shift's events,
        # so a checkout costs the same at the first sale of the day as at the thousandth.
        session = store.load(con, session_id)
        assert session is not None
        session.record_refund(takings)
    amounts = {m: a.minor for m, a in takings.by_tender.items()}
    store.add_event(con, session_id, event_id=new_id(), kind="refund" if refund else "sale", at=at,
                    amounts=amounts, staff_id=staff_id, ref=ref)  # fmt: skip
    return True


class CashSessions:
    def __init__(
        self, engine: Engine, limits: Limits | None = None, clock: Callable[[], datetime] | None = None
    ) -> None:
        self._engine = engine
        self._till = till_engine(engine)
        self._limits = limits or Limits()
        self._clock = clock or (lambda: datetime.now(UTC))

    # --- reading ----------------------------------------------------------------------------------

    def current(self) -> CashSession | None:
        """The open session as its events make it, or None."""
        with read_transaction(self._till) as con:
            return store.load_open(con)

    def currency(self) -> str:
        """The shop's currency, which floats and counts are in."""
        with read_transaction(self._engine) as con:
            return _currency(con)

    def x_report(self, actor: Actor) -> XReport:
        require(decide(actor.role, Permission.X_REPORT))
        with write_transaction(self._till) as con:
            session = self._open_one(con, "print an X report")
            report = session.x_report(self._clock())
            record(con, actor=actor, action=Permission.X_REPORT, at=report.at, subject=session.id)
        return report

    def z_reports(self, actor: Actor, limit: int = 50) -> list[dict[str, Any]]:
        """The stored Z reports (cash.session payloads), newest first."""
        require(decide(actor.role, Permission.Z_REPORT))
        with read_transaction(self._till) as con:
            return store.closed_sessions(con, limit)

    # --- writing ----------------------------------------------------------------------------------

    def open(self, actor: Actor, float_counts: Mapping[int, object]) -> CashSession:
        """Open the till's session with the float counted by denomination (minor units -> pieces)."""
        require(decide(actor.role, Permission.CASH_OPEN))
        with write_transaction(self._till) as con:
            currency = _currency(con)
            counted = count_cash(currency, float_counts)
            if store.open_session_head(con) is not None:
                raise DomainError(
                    "a cash session is already open on this till: close it first", field="session"
                )
            session = open_session(new_id(), "", actor.id, counted, self._clock())
            store.insert_session(con, session)
            record(con, actor=actor, action=Permission.CASH_OPEN, at=session.opened_at, subject=session.id,
                   after={"float": counted.total.minor, "count": counted.to_list()})  # fmt: skip
        log.info("cash session %s opened by %s with a float of %s", session.id, actor.name, counted.total)
        return session

    def move(
        self, actor: Actor, kind: MovementKind, amount: Money, reason: str, approval: Approval | None = None
    ) -> CashSession:
        """A pay-in, pay-out or drop to the safe, with its reason; refused above the drawer's cash."""
        if kind not in _MOVE_PERMISSIONS:
            raise DomainError(f"{kind!r} is not a cash movement: pay_in, pay_out or drop", field="kind")
        used = require(decide(actor.role, _MOVE_PERMISSIONS[kind]), approval, actor_id=actor.id)
        at = self._clock()
        with write_transaction(self._till) as con:
            session = self._open_one(con, f"record a {kind.replace('_', ' ')}")
            moved = session.move(kind, amount, reason, actor.id, at)
            reason_kept = moved.movements[-1].reason or None
            store.add_event(con, session.id, event_id=new_id(), kind=kind, at=at,
                            amounts={CASH: amount.minor}, staff_id=actor.id, reason=reason_kept)  # fmt: skip
            record(con, actor=actor, action=_MOVE_PERMISSIONS[kind], at=at, subject=session.id,
                   before={"cash": session.cash_in_drawer.minor}, after={"cash": moved.cash_in_drawer.minor},
                   reason=reason_kept, approval=used)  # fmt: skip
        return moved

    def open_drawer(self, actor: Actor, reason: str, approval: Approval | None = None) -> None:
        """Allow a drawer opening without a sale (a cashier needs a manager); audited with the reason.
        The caller kicks the drawer afterwards (pos.services.printing)."""
        used = require(decide(actor.role, Permission.OPEN_DRAWER), approval, actor_id=actor.id)
        why = clean_reason(reason, required=True)
        with write_transaction(self._till) as con:
            session = self._open_one(con, "open the drawer")
            record(con, actor=actor, action=Permission.OPEN_DRAWER, at=self._clock(), subject=session.id,
                   reason=why, approval=used)  # fmt: skip

    def close(
        self,
        actor: Actor,
        cash_counts: Mapping[int, object],
        other_counts: Mapping[str, Money] | None = None,
        approval: Approval | None = None,
    ) -> ZReport:
        """Close with the blind counts. A variance above the limit raises PermissionDenied (whose
        decision says a manager is needed) unless `approval` covers it; nothing is written then."""
        require(decide(actor.role, Permission.CASH_CLOSE))
        at = self._clock()
        with write_transaction(self._till) as con:
            session = self._open_one(con, "close it")
            counted = count_cash(session.currency, cash_counts)
            closed = session.close(counted, dict(other_counts or {}), closed_by=actor.id, at=at)
            assert closed.closed is not None
            variance = closed.closed.variance
            # Judged on each tender's own variance: a card total typed high hides no missing cash.
            size = Size(amount=closed.closed.largest_variance)
            used = require(
                decide(actor.role, Permission.CASH_CLOSE, size, self._limits),
                approval,
                actor_id=actor.id,
            )
            z = closed.closed if used is None else replace(closed.closed, approved_by=used.manager_id)
            closed = replace(closed, closed=z)
            payload = z.to_payload(session.opened_by, till.till_code(con))
            store.record_close(con, closed, payload)
            outbox.enqueue(con, mutation_id=new_id(), type="cash.session", payload=payload)
            record(con, actor=actor, action=Permission.CASH_CLOSE, at=at, subject=session.id,
                   after={"variance": variance.minor, "expected_cash": z.figures.expected_cash.minor,
                          "counted_cash": counted.total.minor,
                          "variances": {method: off.minor for method, off in z.tender_variances}},
                   approval=used)  # fmt: skip
        log.info("cash session %s closed by %s, variance %s", session.id, actor.name, variance)
        return z

    def _open_one(self, con: sqlite3.Connection, doing: str) -> CashSession:
        session = store.load_open(con)
        if session is None:
            raise NoOpenSession(
                f"no cash session is open on this till: open one with a float count to {doing}"
            )
        return session


def _currency(con: sqlite3.Connection) -> str:
    row = con.execute("SELECT currency FROM shop WHERE id = 1").fetchone()
    if row is None or not row[0]:
        raise till.TillNotReady("this till does not know its shop's currency yet: sync with the shop once")
    return str(row[0])
