"""The app's start-up (pos.app.run_gui) never waits on the UI thread: a start-up window appears at
once and says what is happening while the keyring answers and the replica opens or upgrades."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication
from sqlalchemy import create_engine

from pos.app import run_gui
from pos.services.connection import KEYRING_SERVICE
from pos.settings import TOKEN_ENV, Settings, ShopConnection
from pos.store.database import current_revision, head_revision, open_replica, upgrade_to
from pos.ui.startup import StartupWindow

# Nothing listens on the discard port: the window opens offline, which is all these tests need.
OFFLINE_SHOP = "http://127.0.0.1:9"


@pytest.fixture
def till(tmp_path: Path) -> Settings:
    settings = Settings(tmp_path / "data")
    settings.connection = ShopConnection(OFFLINE_SHOP, "device-1", "till", "Corner shop", "EUR")
    settings.save()
    return settings


class Watcher:
    """Polls from the UI thread's event loop while run_gui runs: what the start-up window says."""

    def __init__(self, when_seen: Any) -> None:
        self.messages: list[str] = []
        self.window_seen_visible = False
        self.acted = False
        self.opened: Any = None
        self._when_seen = when_seen
        self.timer = QTimer()
        self.timer.setInterval(20)
        self.timer.timeout.connect(self._poll)
        self.timer.start()

    def _poll(self) -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, StartupWindow) and widget.isVisible():
                self.window_seen_visible = True
                self.messages = list(widget.messages)
                if not self.acted and self._when_seen(self.messages):
                    self.acted = True

    def ready(self, window: Any) -> None:
        self.timer.stop()
        self.opened = window.windowTitle()
        QApplication.quit()


def test_a_slow_keyring_is_read_off_the_ui_thread_behind_a_start_up_window(
    qtbot, till, gated_keyring, monkeypatch
):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    gated_keyring.secrets[(KEYRING_SERVICE, OFFLINE_SHOP)] = "a-device-token"

    def release_when_asked(messages: list[str]) -> bool:
        if "Reading the device token…" in messages and gated_keyring.calls:
            gated_keyring.gate.set()  # the person unlocked the keyring
            return True
        return False

    watcher = Watcher(release_when_asked)
    assert run_gui(till, on_ready=watcher.ready) == 0
    assert watcher.window_seen_visible and watcher.acted  # the window was live while the keyring waited
    assert watcher.opened == "Countertop — Corner shop"
    assert gated_keyring.calls and all(not on_main for _op, on_main in gated_keyring.calls)


def old_replica(path: Path) -> None:
    """A replica left by the previous release (schema 0002), in WAL mode like every replica."""
    path.parent.mkdir(parents=True, exist_ok=True)
    plain = create_engine(f"sqlite:///{path}")
    upgrade_to(plain, "0002")
    plain.dispose()
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.close()


def test_upgrading_the_replica_says_so_and_runs_off_the_ui_thread(qtbot, till, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, "a-device-token")
    path = till.replica_path()
    old_replica(path)
    # Another writer holds the replica (as a long sync transaction would): the migration must wait
    # for it on a worker while the window stays live; the watcher lets go once the window says why.
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")

    def release_when_upgrading(messages: list[str]) -> bool:
        if any(m.startswith("Upgrading the local catalog…") for m in messages):
            holder.execute("COMMIT")
            return True
        return False

    watcher = Watcher(release_when_upgrading)
    try:
        assert run_gui(till, on_ready=watcher.ready) == 0
    finally:
        holder.close()
    assert watcher.acted and watcher.opened == "Countertop — Corner shop"
    assert any(m.startswith("Upgrading the local catalog…") for m in watcher.messages)
    assert len(list(path.parent.glob("replica.sqlite3.backup-0002-*"))) == 1  # backed up first
    engine = open_replica(path)
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_after_the_app_closes_event_loops_and_queued_signals_still_work(qtbot, till, monkeypatch):
    """Qt closes every window when the app quits, and the last one posts one more Quit. Left queued
    after run_gui, it marked the thread as quitting for good: every later event loop in the process
    ended at once and no signal from a worker thread arrived (the status area never updated)."""
    monkeypatch.setenv(TOKEN_ENV, "a-device-token")
    watcher = Watcher(lambda _messages: True)
    assert run_gui(till, on_ready=watcher.ready) == 0
    assert watcher.opened == "Countertop — Corner shop"

    QCoreApplication.processEvents()  # what was left queued is delivered now
    loop = QEventLoop()
    QTimer.singleShot(50, lambda: loop.exit(7))
    assert loop.exec() == 7  # -1 when it refuses to run

    relay = _Relay()
    received: list[str] = []
    relay.said.connect(received.append, Qt.ConnectionType.QueuedConnection)
    worker = threading.Thread(target=relay.said.emit, args=("from a worker",))
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: received == ["from a worker"], timeout=2_000)


class _Relay(QObject):
    said = Signal(str)
