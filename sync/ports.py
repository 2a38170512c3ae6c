"""Ports between the sync engine and the rest: what a replica and a connector must offer.

`pos.store` implements `Replica`; each module in `sync.connectors` implements `Connector`.
The engine (`sync.engine`) sees only these, so it can be tested against any real replica and
any real shop, and `sync` never imports `pos`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sync.protocol import Change, Mutation, MutationResult, ShopInfo

Doc = dict[str, Any]


# --- errors a connector raises (the engine decides what to do with each) ---------------------


class SyncError(Exception):
    """Base of everything the engine reports to a person."""


class TransientError(SyncError):
    """Network down, timeout, 5xx, 429: retry later with backoff."""


class AuthError(SyncError):
    """401/403: the device token is wrong or revoked. Retrying will not help."""


class SnapshotExpired(SyncError):
    """410 on changes: the cursor is older than the shop keeps tombstones; re-snapshot."""


class ProtocolError(SyncError):
    """The shop answered something malformed or inconsistent; the page is refused whole."""


class SnapshotCut(ProtocolError):
    """A snapshot run that stopped part-way (loaded elsewhere, e.g. in a child process): the entities
    it finished stay, the next run resumes. Its message already says what the till kept."""


# --- connector ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Capabilities:
    change_feed: bool = True
    tombstones: bool = True
    atomic_stock_delta: bool = True
    idempotent_create: bool = True


@dataclass
class SnapshotStream:
    """One entity's snapshot: its pinned cursor, the announced count and the validated documents.

    `batches` yields lists of validated documents; it raises ProtocolError if the stream is cut short,
    has a line that does not validate, or its trailer count disagrees with the header.
    """

    entity: str
    cursor: int
    count: int
    batches: Iterator[list[Doc]]
    close: Any = None  # callable releasing the HTTP response; called by the engine when done


@dataclass(frozen=True)
class ChangesResult:
    """A validated page of changes, or `not_modified` (304 for If-None-Match with the current head)."""

    changes: Sequence[Change] = ()
    next: int = 0
    head: int = 0
    has_more: bool = False
    not_modified: bool = False


class Connector(Protocol):
    capabilities: Capabilities

    def shop_info(self) -> ShopInfo: ...

    def snapshot(self, entity: str) -> SnapshotStream: ...

    def changes(self, since: int, limit: int, known_head: int | None = None) -> ChangesResult: ...

    def push(self, mutations: Sequence[Mutation]) -> list[MutationResult]:
        """Send at most MAX_PUSH_BATCH mutations; one result per mutation, in the order sent.

        Raises TransientError (network, timeout, 5xx: nothing is known to be applied, resend the
        same ids later), AuthError, or ProtocolError (an answer that does not match the batch).
        """
        ...

    def close(self) -> None: ...


# --- replica -----------------------------------------------------------------------------------


@dataclass
class AppliedChanges:
    """What a page changed locally, per entity: ids upserted and ids deleted (Anki's OpChanges)."""

    upserted: dict[str, set[str]] = field(default_factory=dict)
    deleted: dict[str, set[str]] = field(default_factory=dict)

    def merge(self, other: AppliedChanges) -> None:
        for mine, theirs in ((self.upserted, other.upserted), (self.deleted, other.deleted)):
            for entity, ids in theirs.items():
                mine.setdefault(entity, set()).update(ids)

    def entities(self) -> set[str]:
        return set(self.upserted) | set(self.deleted)


@dataclass(frozen=True)
class SyncState:
    cursor: int | None  # None until a complete snapshot of every entity has been loaded
    snapshot_done: dict[str, int]  # entity -> cursor, for entities loaded in the current snapshot run
    last_success_at: str | None  # ISO UTC of the last pull that reached the head
    last_error: str | None


class Replica(Protocol):
    """The till's local copy. Every method is one or more short transactions of its own."""

    def sync_state(self) -> SyncState: ...

    def begin_snapshot(self) -> None:
        """Start a new full snapshot run: forget the cursor and which entities are done."""

    def load_snapshot(
        self, entity: str, cursor: int, batches: Iterable[list[Doc]], *, overlap_next: bool = False
    ) -> int:
        """Replace every local row of `entity` with the documents, committing in chunks.

        The final transaction removes rows not in the snapshot and records `entity` done at `cursor`.
        A crash part-way leaves the entity not done, so the next run loads it again.
        Returns the number of documents loaded. With `overlap_next` the replica may finish its last
        steps while the next entity loads; the next load_snapshot or finish_snapshot waits for them.
        """

    def finish_snapshot(self) -> int:
        """All entities loaded: set the cursor to the lowest entity cursor and return it."""

    def apply_changes(self, changes: Sequence[Change], cursor: int) -> AppliedChanges:
        """Apply a validated page and move the cursor to `cursor` in ONE transaction.

        Upserts apply only if their version is newer than the stored one; deletes remove the row.
        """

    def record_shop(self, info: ShopInfo) -> None:
        """Remember the shop's name, currency and tax mode (shown and used offline)."""

    def record_sync_result(self, *, success_at: str | None, error: str | None) -> None:
        """Remember when the last pull caught up, or the last problem (shown in the status area)."""


# --- outbox ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutboxItem:
    """A mutation waiting to be pushed, in the order the till made it (`position`)."""

    position: int
    mutation: Mutation
    attempts: int = 0


@dataclass(frozen=True)
class OutboxCounts:
    waiting: int  # not yet acknowledged, not parked
    parked: int  # conflict or rejected: waiting for a person


class Outbox(Protocol):
    """The till's outbox (pos.store implements it). Rows are written by the services in the same
    transaction as the change they describe; the engine only reads and settles them."""

    def next_batch(self, limit: int) -> list[OutboxItem]:
        """The oldest `limit` unparked mutations, in creation order."""

    def settle(self, results: Sequence[MutationResult]) -> OutboxCounts:
        """Record a push's results in ONE transaction.

        applied / duplicate: delete the row; its pending stock deltas keep the result's seq and
        are dropped once the pull cursor reaches it. conflict / rejected: park the row with the
        reason (and the current document) so a person can send it again or discard it.
        Results for ids not in the outbox are ignored.
        """

    def record_failure(self, mutation_ids: Sequence[str], message: str) -> None:
        """A push of these mutations got no answer (shop out of reach): count the attempt."""

    def counts(self) -> OutboxCounts: ...
