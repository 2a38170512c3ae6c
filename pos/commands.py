"""Headless commands for scripts and tests: `countertop connect` and `countertop sync`.

They use the same session the app builds (pos.app.open_session); nothing here imports Qt.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from pos.app import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, CommandError, ShopSession, open_session
from pos.services.connection import (
    ConnectionFailed,
    TokenStore,
    keyring_problem,
    test_connection,
)
from pos.settings import TOKEN_ENV, Settings, SettingsError, ShopConnection, normalise_shop_url
from sync.engine import PullReport, SyncCancelled
from sync.events import ChangesApplied, ProblemReported, SyncEvent
from sync.ports import AppliedChanges, AuthError, SyncError
from sync.push import PushReport

__all__ = ["EXIT_BAD_INPUT", "connect_command", "sync_command"]


# --- `countertop connect --shop URL` -------------------------------------------------------------


def connect_command(settings: Settings, shop: str, read_token: Callable[[], str]) -> int:
    try:
        url = normalise_shop_url(shop)
    except SettingsError as exc:
        raise CommandError(str(exc)) from None
    tokens = TokenStore()
    from_env = tokens.env_token()
    token = from_env or read_token()
    if not token:
        raise CommandError(f"No device token: pipe it on standard input or set {TOKEN_ENV}.")
    try:
        info = test_connection(url, token)
    except ConnectionFailed as exc:
        # An unreachable shop is a run-time failure (try again later); a bad URL or token is bad input.
        status = EXIT_FAILED if exc.transient else EXIT_BAD_INPUT
        raise CommandError(f"{exc} Nothing was saved.", status) from None
    # After the test: a wrong address or token is worth knowing before the keyring matters.
    if not from_env and (problem := keyring_problem()):
        raise CommandError(
            f"The shop “{info.shop_name}” accepted the token, but this computer has no usable keyring "
            f"({problem}), so Countertop cannot store the token safely, and it never writes it to a "
            f"file. Nothing was saved: run `countertop connect` again with {TOKEN_ENV} set to the "
            "token, and keep it set for every later command."
        )
    if not from_env:
        tokens.save(url, token)
    previous = settings.connection
    connection = ShopConnection(url, info.device_id, info.device_name, info.shop_name, info.currency)
    settings.connection = connection.kept_for(previous)
    settings.save()
    print(f"Connected to “{info.shop_name}” at {url} as device “{info.device_name}” ({info.currency}).")
    if previous is not None and previous.url != url and settings.connection.folder:
        print(f"The same device as at {previous.url}: this till keeps its replica and the sales it has "
              "not sent yet.")
    if from_env:
        print(f"The token was taken from {TOKEN_ENV} (standard input was not read) and not stored: "
              f"{TOKEN_ENV} is read each time a command runs.")
    else:
        print("The device token is stored in the system keyring.")
    print(f"Settings: {settings.path}")
    return EXIT_OK


# --- `countertop sync [--once]` ------------------------------------------------------------------


ENTITY_ORDER = ("location", "tax_rate", "staff", "product", "inventory_level", "customer", "order")


def _session_for_command(settings: Settings) -> ShopSession:
    connection = settings.connection
    if connection is None:
        raise CommandError("This till is not connected to a shop yet: run `countertop connect --shop URL`.")
    if connection.demo:
        raise CommandError(
            "The active shop is the demo shop, which runs only with the app: use `countertop demo`."
        )
    token = TokenStore().get(connection.url)
    if not token:
        problem = keyring_problem()
        where = f"no usable keyring ({problem})" if problem else "none in the keyring"
        raise CommandError(f"No device token for {connection.url} ({where}): set {TOKEN_ENV} or run "
                           "`countertop connect` again.")
    return open_session(settings, connection, token)


def sync_command(settings: Settings, once: bool, interval: float = 2.0) -> int:
    if interval <= 0:
        raise CommandError(f"--interval must be more than 0 seconds, not {interval}")
    session = _session_for_command(settings)
    applied = AppliedChanges()

    def listen(event: SyncEvent) -> None:
        if isinstance(event, ChangesApplied):
            applied.merge(event.changes)
            if not once:  # syncing until interrupted: each page as it lands
                print(f"{_stamp()} {_page_summary(event.changes)} (cursor {event.cursor})", flush=True)
        elif isinstance(event, ProblemReported) and not once:
            print(f"{_stamp()} problem: {event.message}", flush=True)

    session.bus.subscribe(listen)
    try:
        print(f"Shop: {session.connection.shop_name} at {session.connection.url}")
        if not once:
            print("Syncing until interrupted (Ctrl+C) …", flush=True)
            stop = threading.Event()
            try:
                session.sync.run(stop, interval=interval)
            except KeyboardInterrupt:
                session.sync.cancel()
            return EXIT_OK
        try:
            pushed = session.sync.push_once()
            report = session.sync.pull_once()
        except SyncCancelled:
            return EXIT_FAILED
        except AuthError as exc:
            raise CommandError(str(exc)) from None
        except SyncError as exc:
            raise CommandError(f"Sync failed, the replica keeps what it had: {exc}", EXIT_FAILED) from None
        _print_push(pushed)
        _print_report(report, applied, settings.replica_path(session.connection))
        return EXIT_OK
    finally:
        session.close()


def _stamp() -> str:
    return datetime.now().strftime("%H:%M:%S")


def _counts(changes: AppliedChanges) -> list[tuple[str, int, int]]:
    """(entity, ids upserted, ids deleted) for each entity the changes touched, by name."""
    upserted, deleted = changes.upserted, changes.deleted
    return [(e, len(upserted.get(e, ())), len(deleted.get(e, ()))) for e in sorted(changes.entities())]


def _page_summary(changes: AppliedChanges) -> str:
    parts = [
        f"{entity} {ups:,} upserted" + (f", {dels:,} deleted" if dels else "")
        for entity, ups, dels in _counts(changes)
    ]
    return "applied: " + ("; ".join(parts) if parts else "nothing new")


def _print_push(pushed: PushReport) -> None:
    line = f"Sent to the shop: {pushed.applied:,} records (sales, returns, customers, shifts, audit entries)"
    if pushed.duplicate:
        line += f", {pushed.duplicate:,} of them already applied by an earlier push"
    print(line)
    if pushed.parked_total:
        print(f"Sync problems waiting for a person: {pushed.parked_total:,} (see Sync problems in the app)")


def _print_report(report: PullReport, applied: AppliedChanges, replica: Path) -> None:
    snapshot = report.snapshot
    if snapshot:
        print("Loaded from the shop's snapshot:" if not report.resnapshot
              else "The cursor had expired; loaded a fresh snapshot:")
        for entity in sorted(snapshot, key=lambda e: ENTITY_ORDER.index(e) if e in ENTITY_ORDER else 99):
            print(f"  {entity:<16} {snapshot[entity]:>10,}")
    changes, pages = report.changes_applied, report.pages
    print(f"Changes applied: {changes:,} in {pages:,} page{'s' if pages != 1 else ''}")
    for entity, ups, dels in _counts(applied):
        print(f"  {entity:<16} {ups:>6,} upserted {dels:>6,} deleted")
    print(f"Cursor: {report.cursor} (shop head {report.head}); caught up.")
    print(f"Replica: {replica}")
