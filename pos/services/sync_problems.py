"""SyncProblems: the "sync problems" list, mutations the shop answered `conflict` or `rejected`.

A parked mutation never blocks the rest of the outbox; it waits here for a person, who can send it
again (the same mutation id, in its original place in the queue: a copy the shop did apply comes
back `duplicate`) or discard it together with its pending stock deltas (the shop will never hear of
it; the till's own record of the sale stays). No Qt; each action is one transaction.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from pos.domain.errors import sentence
from pos.domain.money import Money
from pos.domain.permissions import Approval, Permission
from pos.services.audit import Actor, record
from pos.services.signed_in import SignedIn
from pos.store.database import read_transaction
from pos.store.outbox import ParkedRow, SqliteOutbox
from sync.ports import OutboxCounts

log = logging.getLogger(__name__)


class SyncProblemError(LookupError):
    """The mutation asked for is not in the sync problems list (sent meanwhile, or discarded)."""


@dataclass(frozen=True)
class ParkedMutation:
    id: str  # the mutation id
    type: str  # "sale.create", "return.create", "customer.upsert", ...
    summary: str  # for a person: "Sale T1-000042, 3 items, 24.50 EUR"
    status: str  # "conflict" | "rejected"
    reason: str  # why the shop refused it, in its words
    parked_at: str  # ISO UTC
    created_at: str  # when the till made it
    current: dict[str, Any] | None  # on a conflict: the shop's current record


class SyncProblems:
    def __init__(
        self, engine: Engine, *, who: SignedIn, nudge: Callable[[], None] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:  # fmt: skip
        """`nudge` is called after "send again" so the sync loop sends it at once (SyncEngine.nudge)."""
        self._engine = engine
        self._who = who
        self._clock = clock or (lambda: datetime.now(UTC))
        self._outbox = SqliteOutbox(engine)
        self._nudge = nudge

    def list(self) -> list[ParkedMutation]:
        """Parked mutations, oldest first."""
        rows = self._outbox.parked()
        currency = self._shop_currency() if rows else None
        return [_parked(row, currency) for row in rows]

    def _shop_currency(self) -> str | None:
        with read_transaction(self._engine) as con:
            row = con.execute("SELECT currency FROM shop WHERE id = 1").fetchone()
        return row[0] if row else None

    def counts(self) -> OutboxCounts:
        return self._outbox.counts()

    def send_again(self, mutation_id: str) -> None:
        """Queue it again with the same id; raises SyncProblemError if it is not parked."""
        actor, _ = self._who.require(Permission.SYNC_SEND_AGAIN)
        audit = self._audit(actor, Permission.SYNC_SEND_AGAIN, mutation_id)
        if not self._outbox.unpark(mutation_id, audit):
            raise SyncProblemError(_not_parked(mutation_id))
        log.info("parked mutation %s queued again by a person", mutation_id)
        if self._nudge is not None:
            self._nudge()

    def discard(self, mutation_id: str, approval: Approval | None = None) -> None:
        """Drop it and its pending stock deltas; raises SyncProblemError if it is not parked.

        What the till did is lost to the shop: a cashier needs a manager's approval, and it is audited.
        """
        actor, used = self._who.require(Permission.SYNC_DISCARD, None, approval)
        audit = self._audit(actor, Permission.SYNC_DISCARD, mutation_id, used)
        if not self._outbox.discard(mutation_id, audit):
            raise SyncProblemError(_not_parked(mutation_id))
        log.warning("parked mutation %s discarded by a person", mutation_id)


    def _audit(
        self, actor: Actor, action: Permission, mutation_id: str, approval: Approval | None = None
    ) -> Callable[[sqlite3.Connection], None]:
        def write(con: sqlite3.Connection) -> None:
            kind = con.execute("SELECT type FROM outbox WHERE id = ?", (mutation_id,)).fetchone()
            record(con, actor=actor, action=action, at=self._clock(), subject=mutation_id,
                   before={"type": kind[0]} if kind else None, approval=approval)  # fmt: skip

        return write


def _not_parked(mutation_id: str) -> str:
    return (
        f"No sync problem with id {mutation_id!r}: it was sent again or discarded meanwhile. "
        "Nothing was changed."
    )


def _parked(row: ParkedRow, currency: str | None) -> ParkedMutation:
    return ParkedMutation(
        id=row.id,
        type=row.type,
        summary=summary(row.type, row.payload, currency),
        status=row.status,
        reason=row.reason or "",
        parked_at=row.parked_at,
        created_at=row.created_at,
        current=row.current,
    )


def summary(mutation_type: str, payload: dict[str, Any], currency: str | None = None) -> str:
    """One line a person recognises the mutation by; never fails, whatever the payload holds.

    `currency` is the shop's, for payloads that carry none (a return)."""
    try:
        describe = _SUMMARIES.get(mutation_type)
        if describe is not None:
            return describe(payload, currency)
    except (KeyError, TypeError, ValueError, AttributeError):
        log.debug("cannot summarise a %s payload", mutation_type, exc_info=True)
    what = mutation_type.replace(".", " ").replace("_", " ")
    record = payload.get("id") if isinstance(payload, dict) else None
    return f"{sentence(what)} {record}" if record else sentence(what)


def _sale(payload: dict[str, Any], _currency: str | None) -> str:
    items = sum(int(line["quantity"]) for line in payload["lines"])
    amount = _amount(payload["total"], payload["currency"])
    return f"Sale {payload['number']}, {_items(items)}, {amount}"


def _return(payload: dict[str, Any], currency: str | None) -> str:
    items = sum(int(line["quantity"]) for line in payload["lines"])
    refund = f", refund {_amount(payload['total'], currency)}" if currency else ""
    return f"Return {payload['number']}, {_items(items)}{refund}"


def _customer(payload: dict[str, Any], _currency: str | None) -> str:
    contact = payload.get("email") or payload.get("phone")
    return f"Customer {payload['name']}" + (f" ({contact})" if contact else "")


def _items(count: int) -> str:
    return f"{count} item" if count == 1 else f"{count} items"


def _amount(minor: int, currency: str) -> str:
    money = Money(int(minor), str(currency))
    return f"{money.to_decimal()} {money.currency}"


_SUMMARIES: dict[str, Callable[[dict[str, Any], str | None], str]] = {
    "sale.create": _sale,
    "return.create": _return,
    "customer.upsert": _customer,
}
