"""The status area: online or offline, last successful sync, first-sync progress and problems."""

from __future__ import annotations

import logging
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from sync.events import CaughtUp, ChangesApplied, Connected, Disconnected, ProblemReported, SnapshotProgress

log = logging.getLogger(__name__)

ENTITY_LABELS = {
    "location": "locations",
    "tax_rate": "tax rates",
    "staff": "staff",
    "product": "products",
    "inventory_level": "stock levels",
    "customer": "customers",
    "order": "orders",
}


def local_time_text(iso_utc: str | None, now: datetime | None = None) -> str:
    """'14:03' today, '3 Mar 14:03' on another day, in the computer's local time."""
    if not iso_utc:
        return "never"
    try:
        when = datetime.fromisoformat(iso_utc.replace("Z", "+00:00")).astimezone()
    except ValueError:
        return iso_utc
    today = (now or datetime.now().astimezone()).date()
    if when.date() == today:
        return when.strftime("%H:%M:%S")
    return when.strftime("%-d %b %H:%M")


class StatusArea(QWidget):
    """Lives in the main window's status bar; fed by SyncBridge signals (already on the UI thread)."""

    def __init__(self, last_success_at: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusArea")
        self.online_label = QLabel(self)
        self.online_label.setObjectName("onlineIndicator")
        self.last_sync_label = QLabel(self)
        self.last_sync_label.setObjectName("lastSync")
        self.progress_label = QLabel(self)
        self.progress_label.setObjectName("syncProgressText")
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setObjectName("syncProgress")
        self.progress_bar.setFixedWidth(160)
        self.progress_bar.setTextVisible(False)
        self.problem_label = QLabel(self)
        self.problem_label.setObjectName("syncProblem")
        self.problem_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.setSpacing(14)
        layout.addWidget(self.online_label)
        layout.addWidget(self.last_sync_label)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.problem_label, 1)
        layout.addStretch(1)

        self._online: bool | None = None
        self._last_success_at = last_success_at
        self.set_online(None)
        self._show_last_sync()
        self.clear_progress()
        self.problem_label.hide()

    # --- state -----------------------------------------------------------------------------------

    @property
    def online(self) -> bool | None:
        return self._online

    def set_online(self, online: bool | None, reason: str = "") -> None:
        self._online = online
        text, state = {True: ("● Online", "online"), False: ("● Offline", "offline")}.get(
            online, ("● Connecting…", "connecting")
        )
        self.online_label.setText(text)
        self.online_label.setProperty("state", state)
        self.online_label.setToolTip(reason)
        # Re-polish so the style sheet's [state="..."] selectors pick the new value.
        self.online_label.style().unpolish(self.online_label)
        self.online_label.style().polish(self.online_label)

    def clear_progress(self) -> None:
        self.progress_label.hide()
        self.progress_bar.hide()

    def _show_last_sync(self) -> None:
        self.last_sync_label.setText(f"Last sync: {local_time_text(self._last_success_at)}")
        self.last_sync_label.setToolTip(self._last_success_at or "")

    def _show_problem(self, message: str) -> None:
        self.problem_label.setText(f"⚠ {message}")
        self.problem_label.setToolTip(message)
        self.problem_label.show()

    # --- bridge slots ---------------------------------------------------------------------------

    def on_connected(self, event: Connected) -> None:
        self.set_online(True, f"Connected to {event.shop_name}")
        self.problem_label.hide()

    def on_disconnected(self, event: Disconnected) -> None:
        self.set_online(False, event.reason)
        self._show_problem(event.reason)

    def on_snapshot_progress(self, event: SnapshotProgress) -> None:
        label = ENTITY_LABELS.get(event.entity, event.entity)
        self.progress_label.setText(
            f"Loading {label}: {event.done:,} of {event.total:,} "
            f"(step {event.entity_index + 1} of {event.entity_count})"
        )
        self.progress_bar.setRange(0, max(event.total, 1))
        self.progress_bar.setValue(min(event.done, max(event.total, 1)))
        self.progress_label.show()
        self.progress_bar.show()

    def on_changes_applied(self, event: ChangesApplied) -> None:
        if self._online is not True:
            self.set_online(True)

    def on_caught_up(self, event: CaughtUp) -> None:
        self._last_success_at = event.at
        self._show_last_sync()
        self.clear_progress()
        self.set_online(True)
        self.problem_label.hide()

    def on_problem(self, event: ProblemReported) -> None:
        if event.kind == "transient":
            self.set_online(False, event.message)
        self._show_problem(event.message)
