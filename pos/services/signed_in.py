"""Who is at the till now, and the one place services ask "may this person do this?". No Qt.

The composition root makes one `SignedIn` per till and hands it to every service; the sign-in
screen sets the person (`sign_in`) after pos.services.staff.StaffService checked their PIN, the idle
lock and "switch cashier" clear it (`sign_out`). A protected service call starts with
`actor, approval = self._who.require(Permission.X, size, approval)`: it raises NotSignedIn when
nobody is signed in, PermissionDenied when the role may not (its `decision.needs_approval` tells
the screen to ask a manager's PIN and call again with the Approval), and returns who acted and
the approval used, for the audit entry. Screens may call `decide` to grey out a button, but the
check that counts is the service's.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from pos.domain.errors import DomainError
from pos.domain.permissions import Approval, Decision, Limits, Permission, Size, decide, require
from pos.services.audit import Actor

log = logging.getLogger(__name__)


class NotSignedIn(DomainError):
    """Nobody is signed in at this till (or the till locked itself after being idle)."""


class SignedIn:
    def __init__(
        self,
        actor: Actor | None = None,
        limits: Limits | None = None,
        *,
        recheck: Callable[[str], Actor | None] | None = None,
    ) -> None:
        """`recheck(staff_id)`: the person as the shop has them now (None: revoked or gone); asked at
        every `require`, so a role the shop took away is not kept while someone stays signed in."""
        self._actor = actor
        self._lock = threading.Lock()  # set on the UI thread, read by the database worker
        self.limits = limits or Limits()
        self._recheck = recheck
        self._revoked: list[Callable[[Actor], None]] = []

    @property
    def actor(self) -> Actor | None:
        with self._lock:
            return self._actor

    def sign_in(self, actor: Actor) -> None:
        with self._lock:
            self._actor = actor

    def sign_out(self) -> None:
        with self._lock:
            self._actor = None

    def watch_revoked(self, callback: Callable[[Actor], None]) -> None:
        """`callback(actor)` when a decision finds the person signed in revoked (on the thread that
        asked: a window locks itself through a queued signal)."""
        self._revoked.append(callback)

    def decide(self, permission: Permission, size: Size | None = None) -> Decision:
        """What the service will say for the signed-in person as last read (NotSignedIn if nobody
        is): for greying out on the UI thread, which reads nothing. The check that counts is
        `require`'s, which reads the person again."""
        return decide(self._last_read().role, permission, size, self.limits)

    def require(
        self, permission: Permission, size: Size | None = None, approval: Approval | None = None
    ) -> tuple[Actor, Approval | None]:
        actor = self._current()
        return actor, self.require_of(actor, permission, size, approval)

    def require_of(
        self, actor: Actor, permission: Permission, size: Size | None = None, approval: Approval | None = None
    ) -> Approval | None:
        """`require` for `actor` as the same operation already read them (one read per operation,
        not one per check); never for a person read in an earlier operation."""
        return require(decide(actor.role, permission, size, self.limits), approval, actor_id=actor.id)

    def _last_read(self) -> Actor:
        actor = self.actor
        if actor is None:
            raise NotSignedIn("nobody is signed in at this till: sign in with your PIN first")
        return actor

    def _current(self) -> Actor:
        actor = self._last_read()
        if self._recheck is None:
            return actor
        now = self._recheck(actor.id)
        if now is None:
            with self._lock:
                if self._actor is actor:
                    self._actor = None
            for callback in self._revoked:  # watchers stay for the till's life (one window)
                try:
                    callback(actor)
                except Exception:  # a watcher gone (a closed window) must not hide the refusal
                    log.exception("a watcher of revoked staff failed")
            raise NotSignedIn(f"the shop has revoked {actor.name}'s access: nothing was done. "
                              "Someone else signs in with their PIN.")  # fmt: skip
        if now != actor:  # a new role (or name) from the shop
            with self._lock:
                if self._actor is actor:
                    self._actor = now
        return now
