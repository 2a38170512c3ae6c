"""Staff sign-in by PIN, offline, and a manager's approval on the spot. No Qt.

The shop syncs each staff member with a salted scrypt hash of their PIN (`staff` entity); the till
checks a PIN against it without the network (sync.pin_hash). Wrong PINs are counted per person in
the till file, so the limit holds across restarts: after MAX_FAILURES wrong PINs in a row that person
is locked out for LOCK_SECONDS, doubling with each further wrong PIN (at most an hour). A member the
shop revoked (`active` false after a pull) cannot sign in. A PIN check takes tens of milliseconds
by design: call these off the UI thread.

    staff = StaffService(engine)
    actor = staff.sign_in(staff_id, "4829")            # SignInRefused with a message otherwise
    approval = staff.approve(Permission.VOID_SALE, manager_id, "7710", requested_by=actor.id)
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NoReturn

from sqlalchemy import Engine

from pos.domain.errors import DomainError
from pos.domain.permissions import LABELS, Approval, Permission, Role, can_approve
from pos.domain.sale import format_timestamp, parse_timestamp
from pos.services.audit import Actor, clean_reason, record
from pos.store.database import read_transaction, write_transaction
from pos.store.till_file import till_engine
from sync.pin_hash import verify_pin

log = logging.getLogger(__name__)

MAX_FAILURES = 5
LOCK_SECONDS = 30
MAX_LOCK_SECONDS = 3600


class SignInRefused(DomainError):
    """Wrong PIN, locked out, unknown or revoked: the message says which, for the person at the till."""


@dataclass(frozen=True, slots=True)
class StaffMember:
    id: str
    name: str
    role: Role
    active: bool = True  # False: revoked on the shop (kept for the audit log's names)


class StaffService:
    def __init__(self, engine: Engine, clock: Callable[[], datetime] | None = None) -> None:
        self._engine = engine
        self._till = till_engine(engine)
        self._clock = clock or (lambda: datetime.now(UTC))

    def members(self, *, former: bool = False) -> list[StaffMember]:
        """Everyone who may sign in here, by name (for the sign-in list and quick switch); with
        `former`, those the shop revoked too (the audit log still names what they did)."""
        with read_transaction(self._engine) as con:
            rows = con.execute(
                "SELECT id, name, role, active FROM staff WHERE active OR ? ORDER BY name COLLATE NOCASE, id",
                (former,),
            ).fetchall()
        return [StaffMember(i, n, Role(r), bool(a)) for i, n, r, a in rows if r in Role.__members__.values()]

    def current(self, staff_id: str) -> Actor | None:
        """The person as the replica has them now; None once the shop revoked them (or removed them)."""
        with read_transaction(self._engine) as con:
            row = con.execute("SELECT name, role, active FROM staff WHERE id = ?", (staff_id,)).fetchone()
        if row is None or not row[2] or row[1] not in Role.__members__.values():
            return None
        return Actor(staff_id, row[0], Role(row[1]))

    def sign_in(self, staff_id: str, pin: str) -> Actor:
        """The signed-in person, or SignInRefused. Each attempt is counted; a success resets it."""
        actor = self._check(staff_id, pin)
        with write_transaction(self._till) as con:
            record(con, actor=actor, action="staff.sign_in", at=self._clock())
        log.info("%s signed in", actor.name)
        return actor

    def approve(
        self,
        permission: Permission,
        manager_id: str,
        pin: str,
        *,
        requested_by: str | None = None,
        reason: str | None = None,
    ) -> Approval:
        """A manager's PIN entered on the spot; SignInRefused if it is wrong or not a manager's.

        The approval itself is audited with the action it approves, by the service doing it.
        """
        manager = self._check(manager_id, pin)
        if not can_approve(manager.role, permission):
            raise SignInRefused(f"{manager.name} is not a manager and cannot approve: {LABELS[permission]}")
        if requested_by == manager.id:
            raise SignInRefused("a manager's approval must come from another manager")  # four eyes
        return Approval(
            manager.id, manager.name, permission, clean_reason(reason, required=False) or "", self._clock(),
            requested_by,
        )  # fmt: skip

    # --- the PIN check and its limit ----------------------------------------------------------------

    def _check(self, staff_id: str, pin: str) -> Actor:
        if not isinstance(pin, str) or not (pin.strip().isascii() and pin.strip().isdigit()):
            raise SignInRefused("a PIN is digits only", field="pin")
        with read_transaction(self._engine) as con:
            row = con.execute(
                "SELECT name, role, active, pin_hash FROM staff WHERE id = ?", (staff_id,)
            ).fetchone()
            guard = con.execute(
                "SELECT failures, locked_until FROM sign_in_guard WHERE staff_id = ?", (staff_id,)
            ).fetchone()
        if row is None:
            raise SignInRefused("this person is not on the shop's staff list", field="staff")
        name, role, active, pin_hash = row
        if not active:
            raise SignInRefused(f"{name} can no longer sign in: the shop has revoked their access")
        now = self._clock()
        locked_until = parse_timestamp(guard[1]) if guard and guard[1] else None
        if locked_until is not None and now < locked_until:
            left = locked_until - now
            raise SignInRefused(f"too many wrong PINs for {name}: try again in {_duration(left)}")
        if not verify_pin(pin.strip(), pin_hash or ""):
            self._failed(Actor(staff_id, name, Role(role)), now)
        if guard:  # earlier wrong PINs: the right one clears them
            with write_transaction(self._till) as con:
                con.execute("DELETE FROM sign_in_guard WHERE staff_id = ?", (staff_id,))
        return Actor(staff_id, name, Role(role))

    def _failed(self, person: Actor, now: datetime) -> NoReturn:
        staff_id, name = person.id, person.name
        # Counted in the write transaction: attempts checked at the same time (several commands at
        # once, each PIN check ~50 ms) each add one, and a lock already set is never cut short.
        with write_transaction(self._till) as con:
            row = con.execute(
                "SELECT failures, locked_until FROM sign_in_guard WHERE staff_id = ?", (staff_id,)
            ).fetchone()
            failures = (row[0] if row else 0) + 1
            locked_until, lock = None, timedelta(0)
            if failures >= MAX_FAILURES:
                lock = timedelta(seconds=min(LOCK_SECONDS * 2 ** (failures - MAX_FAILURES), MAX_LOCK_SECONDS))
                locked_until = format_timestamp(now + lock)
            kept = max(filter(None, (locked_until, row[1] if row else None)), default=None)  # same format
            _store_failure(con, staff_id, failures, kept)
            if locked_until:
                # Filed under the person locked out, so the log's person filter finds it.
                record(con, actor=person, action="staff.locked_out", at=now, subject=name,
                       after={"failures": failures, "locked_until": locked_until})  # fmt: skip
        if locked_until:
            # How long, not until when: the stored time is UTC, and the till's clock may be any zone.
            raise SignInRefused(f"wrong PIN for {name}, {failures} in a row: locked for {_duration(lock)}")
        left = MAX_FAILURES - failures
        raise SignInRefused(
            f"wrong PIN for {name} ({left} more tr{'y' if left == 1 else 'ies'} before a lock)"
        )


def _store_failure(con: sqlite3.Connection, staff_id: str, failures: int, locked_until: str | None) -> None:
    con.execute(
        "INSERT INTO sign_in_guard (staff_id, failures, locked_until) VALUES (?, ?, ?) "
        "ON CONFLICT (staff_id) DO UPDATE SET "
        "failures = excluded.failures, locked_until = excluded.locked_until",
        (staff_id, failures, locked_until),
    )


def _duration(left: timedelta) -> str:
    seconds = max(1, int(left.total_seconds() + 0.999))
    return f"{seconds} s" if seconds < 120 else f"{(seconds + 59) // 60} min"
