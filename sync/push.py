"""One push: drain a till's Outbox through a Connector, oldest first, settling each answer.

A batch that gets no valid answer stays in the outbox and goes again with the same mutation ids,
so the shop's deduplication makes the resend harmless. The loop that decides when to push is
sync.engine's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sync.events import Disconnected, OutboxChanged, ProblemReported, SyncEvent
from sync.ports import (
    AuthError,
    Connector,
    Outbox,
    OutboxCounts,
    OutboxItem,
    ProtocolError,
    SyncError,
    TransientError,
)
from sync.protocol import MAX_PUSH_BATCH

log = logging.getLogger(__name__)


@dataclass
class PushReport:
    """What one `push_once` did."""

    batches: int = 0
    sent: int = 0
    applied: int = 0  # applied or duplicate: acknowledged, gone from the outbox
    duplicate: int = 0  # of those, already applied by an earlier push whose answer was lost
    parked: int = 0  # conflict or rejected: parked for a person
    waiting: int = 0  # left in the outbox, not parked (made while this push ran)
    parked_total: int = 0  # parked in the outbox, from this push or before


class Pusher:
    def __init__(self, outbox: Outbox, connector: Connector, emit: Callable[[SyncEvent], None]) -> None:
        self.outbox = outbox
        self.connector = connector
        self._emit = emit
        self._last_counts: OutboxCounts | None = None  # last reported by OutboxChanged

    def push_once(self, check_cancelled: Callable[[], None]) -> PushReport:
        """Send every waiting mutation, batch by batch, settling each answer in the outbox.

        Raises SyncError (after reporting it) or whatever `check_cancelled` raises between batches.
        """
        report = PushReport()
        counts = self.outbox.counts()
        first_sent: int | None = None
        while True:
            check_cancelled()
            batch = self.outbox.next_batch(MAX_PUSH_BATCH)
            if not batch:
                break
            if first_sent is not None and batch[0].position <= first_sent:
                # A connector that checks its answers never gets here; one that does not could
                # otherwise resend the same batch forever.
                raise self._failed(
                    ProtocolError("the shop's answer to a push settled none of the mutations sent"), batch
                )
            first_sent = batch[0].position
            try:
                results = self.connector.push([item.mutation for item in batch])
            except SyncError as exc:
                raise self._failed(exc, batch) from None
            counts = self.outbox.settle(results)
            acknowledged = sum(r.status in ("applied", "duplicate") for r in results)
            report.batches += 1
            report.sent += len(batch)
            report.applied += acknowledged
            report.duplicate += sum(r.status == "duplicate" for r in results)
            report.parked += len(results) - acknowledged
            self._report(counts, acknowledged)
        report.waiting, report.parked_total = counts.waiting, counts.parked
        if counts != self._last_counts:  # e.g. a person sent a parked mutation again, or discarded it
            self._report(counts, 0)
        return report

    def _failed(self, exc: SyncError, batch: list[OutboxItem]) -> SyncError:
        message = str(exc)
        log.warning("push of %d mutations failed: %s", len(batch), message)
        if isinstance(exc, TransientError):
            # Only for a shop out of reach: a refused answer leaves the outbox exactly as it was.
            try:
                self.outbox.record_failure([item.mutation.id for item in batch], message)
            except Exception:
                log.exception("could not record the failed push attempt")
            self._emit(Disconnected(reason=message))
        elif isinstance(exc, AuthError):
            self._emit(ProblemReported(kind="auth", message=message))
        else:
            self._emit(
                ProblemReported(
                    kind="protocol",
                    message=(
                        f"The shop's answer to sending {len(batch)} sales and changes was refused; they "
                        f"wait in this till and will be sent again. {message}"
                    ),
                )
            )
        return exc

    def _report(self, counts: OutboxCounts, applied: int) -> None:
        self._last_counts = counts
        self._emit(OutboxChanged(waiting=counts.waiting, parked=counts.parked, applied=applied))
