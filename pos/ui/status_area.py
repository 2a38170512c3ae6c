"""The status area: online or offline, last successful sync, first-sync progress and problems."""

from __future__ import annotations

import logging
import re
from datetime import datetime

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QProgressBar, QPushButton, QWidget

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


# What the status area says for each kind of ProblemReported (the engine's message is the detail).
PROBLEM_HEADLINES = {
    "auth": "The shop refused this till's device token. The catalog here stays usable; "
            "reconnect the till with a new token to sync again.",
    "protocol": "The shop sent a page Countertop could not read; nothing was changed.",
    "internal": "Sync failed inside Countertop; the replica keeps what it had.",
    "expired": "The shop's change history has moved on; loading a fresh copy of the catalog.",
    "snapshot": "The shop's catalog download was cut short; the till keeps what it has and will resume.",
}
# Added to the "auth" headline when the refused token came from the environment.
ENV_TOKEN_HINT = (
    " The token comes from the environment variable {env}: change it there too, or the next start "
    "is refused again."
)
# Problems that the next successful connection settles (a refused page or a bug may recur).
CLEARED_BY_CONNECTING = {None, "transient", "auth", "expired"}
# "Shop unreachable: connection refused (http://shop:8000)": the status bar already shows the shop's
# address, so the headline leaves it to the details.
_TRAILING_URL = re.compile(r"\s*\((?:https?://)[^()]*\)\s*$")
INDICATOR = {
    "online": "● Online",
    "offline": "● Offline",
    "connecting": "● Connecting…",
    "refused": "● Token refused — reconnect this till",
    "paused": "● Sync stopped",
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


def without_url(message: str) -> str:
    return _TRAILING_URL.sub("", message) or message


class ElidedLabel(QLabel):
    """A one-line label that gives up width by eliding its end ("…") rather than being cut off;
    text() stays whole (a tooltip or Details… shows it). Below `least` pixels it gives up no more,
    so that the status bar takes width from the other elided labels first."""

    def __init__(self, least: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.least = least

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), self.least), hint.height())

    def shown_text(self) -> str:
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight,
                                             self.contentsRect().width())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        self.style().drawItemText(painter, self.contentsRect(), int(self.alignment()), self.palette(),
                                  self.isEnabled(), self.shown_text(), self.foregroundRole())


class StatusArea(QWidget):
    """Lives in the main window's status bar; fed by SyncBridge signals (already on the UI thread).

    Its buttons only ask (signals); the main window wires them to the sync control and the reconnect
    dialog, so this widget never touches the engine.
    """

    stop_requested = Signal()
    resume_requested = Signal()
    reconnect_requested = Signal()
    problems_requested = Signal()  # "Sync problems…": the main window opens the list

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
        self.stop_button = self._button("Stop syncing", "stopSync", self.stop_requested.emit)
        self.resume_button = self._button("Resume sync", "resumeSync", self._resume_clicked)
        # Room for "⚠ Shop unreachable: connection refused"; the whole text is copyable from Details….
        self.problem_label = ElidedLabel(320, self)
        self.problem_label.setObjectName("syncProblem")
        self.details_button = self._button("Details…", "problemDetails", self.show_details)
        self.reconnect_button = self._button("Reconnect…", "reconnectTill", self.reconnect_requested.emit)
        self.details_box: QMessageBox | None = None
        self.outbox_label = QLabel(self)
        self.outbox_label.setObjectName("outboxCounts")
        self.outbox_label.hide()
        self.problems_button = self._button(
            "Sync problems…", "syncProblemsButton", self.problems_requested.emit
        )

        self.person_label = ElidedLabel(120, self)  # who is signed in (hidden on a till without staff)
        self.person_label.setObjectName("signedInPerson")
        self.person_label.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.setSpacing(14)
        layout.addWidget(self.person_label)
        for widget in (self.online_label, self.reconnect_button, self.last_sync_label, self.progress_label,
                       self.progress_bar, self.stop_button, self.resume_button):
            layout.addWidget(widget)
        layout.addWidget(self.outbox_label)
        layout.addWidget(self.problems_button)
        layout.addWidget(self.problem_label)  # up to its whole text; the stretch below takes the rest
        layout.addWidget(self.details_button)
        layout.addStretch(1)

        self._state = "connecting"
        self._online: bool | None = None
        self._paused = False
        self._last_success_at = last_success_at
        self.problem_kind: str | None = None
        self.problem_detail = ""
        self.token_env: str | None = None  # set when the device token comes from this variable
        self.set_online(None)
        self._show_last_sync()
        self.clear_progress()
        self._clear_problem()

    def _button(self, text: str, name: str, slot: object) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the search field keeps the keyboard
        button.clicked.connect(slot)
        button.hide()
        return button

    # --- state -----------------------------------------------------------------------------------

    def show_person(self, actor: object | None) -> None:
        """Who is signed in ("Sam Cashier · cashier · F11 switch"), or that the till is locked."""
        if actor is None:
            self.person_label.setText("Locked: sign in")
        else:
            name, role = getattr(actor, "name", "?"), getattr(actor, "role", "")
            self.person_label.setText(f"Signed in: {name} ({role}) · F11 switch")
        self.person_label.setToolTip(self.person_label.text())  # it may be elided for a problem's sake
        self.person_label.show()

    @property
    def online(self) -> bool | None:
        return self._online

    @property
    def state(self) -> str:
        """"online", "offline", "connecting", "refused" (token refused) or "paused" (sync stopped)."""
        return self._state

    def set_online(self, online: bool | None, reason: str = "") -> None:
        self._online = online
        state = "connecting" if online is None else "online" if online else "offline"
        self._set_state(state, reason)

    def _set_state(self, state: str, tooltip: str = "") -> None:
        self._state = state
        self.online_label.setText(INDICATOR[state])
        self.online_label.setProperty("state", state)
        self.online_label.setToolTip(tooltip)
        self.reconnect_button.setVisible(state == "refused")
        # Re-polish so the style sheet's [state="..."] selectors pick the new value.
        self.online_label.style().unpolish(self.online_label)
        self.online_label.style().polish(self.online_label)

    def clear_progress(self) -> None:
        self.progress_label.hide()
        self.progress_bar.hide()
        self.stop_button.hide()

    def _show_last_sync(self) -> None:
        self.last_sync_label.setText(f"Last sync: {local_time_text(self._last_success_at)}")
        self.last_sync_label.setToolTip(self._last_success_at or "")

    def _show_problem(self, kind: str, headline: str, detail: str = "") -> None:
        self.problem_kind = kind
        self.problem_detail = detail or headline
        self.problem_label.setText(f"⚠ {headline}")
        self.problem_label.setToolTip(self.problem_detail)
        self.problem_label.show()
        self.details_button.setVisible(bool(detail) and detail != headline)

    def _clear_problem(self) -> None:
        self.problem_kind = None
        self.problem_detail = ""
        self.problem_label.hide()
        self.details_button.hide()

    def show_details(self) -> None:
        """The problem's full text in a dialog (non-blocking), for a person to read or copy."""
        if self.details_box is not None:
            self.details_box.close()
        box = QMessageBox(
            QMessageBox.Icon.Warning, "Sync problem", self.problem_label.text().removeprefix("⚠ "),
            QMessageBox.StandardButton.Close, self,
        )
        box.setObjectName("problemDetailsBox")
        box.setInformativeText(self.problem_detail)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details_box = box
        box.open()

    def _resume_clicked(self) -> None:
        self.resume_button.setEnabled(False)  # one resume per click; the control re-enables it
        self.resume_requested.emit()

    # --- sync control ----------------------------------------------------------------------------

    def on_sync_state(self, state: str) -> None:
        """From SyncControl: "running", "stopping" or "paused"."""
        self._paused = state == "paused"
        if state == "stopping":
            self.stop_button.setEnabled(False)
            self.stop_button.setText("Stopping…")
        elif state == "paused":
            self.stop_button.hide()
            self.resume_button.setEnabled(True)
            self.resume_button.show()
            self._set_state("paused", "Sync is stopped; the catalog shows what has arrived so far.")
            if not self.progress_label.isHidden():
                loaded = self.progress_label.text().removeprefix("Loading ")
                self.progress_label.setText(f"Stopped — {loaded}")
        else:
            self.resume_button.hide()
            self.stop_button.setEnabled(True)
            self.stop_button.setText("Stop syncing")
            self.set_online(None, "Resuming the sync")

    # --- the outbox ----------------------------------------------------------------------------

    def on_outbox(self, waiting: int, parked: int) -> None:
        """Mutations waiting for the shop and problems parked for a person (OutboxChanged, counts())."""
        parts = []
        if waiting:
            parts.append(f"{waiting:,} waiting to send")
        if parked:
            parts.append(f"⚠ {parked:,} sync problem{'s' if parked != 1 else ''}")
        self.outbox_label.setText("  ·  ".join(parts) if parts else "All sent")
        self.outbox_label.setProperty("state", "problem" if parked else "ok")
        self.outbox_label.setToolTip("Sales, returns and customers this till made that the shop has not "
                                     "acknowledged yet" if waiting else "")
        self.outbox_label.show()
        self.problems_button.setVisible(parked > 0)
        self.outbox_label.style().unpolish(self.outbox_label)
        self.outbox_label.style().polish(self.outbox_label)

    # --- bridge slots ---------------------------------------------------------------------------

    def on_connected(self, event: Connected) -> None:
        if self._paused:
            return
        self.set_online(True, f"Connected to {event.shop_name}")
        if self.problem_kind in CLEARED_BY_CONNECTING:
            self._clear_problem()

    def on_disconnected(self, event: Disconnected) -> None:
        self.set_online(False, event.reason)
        self._show_problem("transient", without_url(event.reason), event.reason)

    def on_snapshot_progress(self, event: SnapshotProgress) -> None:
        if self._paused:  # a late event from the run that was just stopped
            return
        label = ENTITY_LABELS.get(event.entity, event.entity)
        self.progress_label.setText(
            f"Loading {label}: {event.done:,} of {event.total:,} "
            f"(step {event.entity_index + 1} of {event.entity_count})"
        )
        self.progress_bar.setRange(0, max(event.total, 1))
        self.progress_bar.setValue(min(event.done, max(event.total, 1)))
        self.progress_label.show()
        self.progress_bar.show()
        self.stop_button.show()

    def on_changes_applied(self, event: ChangesApplied) -> None:
        if self._online is not True and not self._paused:
            self.set_online(True)

    def on_caught_up(self, event: CaughtUp) -> None:
        self._last_success_at = event.at
        self._show_last_sync()
        if self._paused:
            return
        self.clear_progress()
        self.set_online(True)
        self._clear_problem()

    def on_problem(self, event: ProblemReported) -> None:
        if event.kind == "transient":
            self.set_online(False, event.message)
            self._show_problem("transient", without_url(event.message), event.message)
            return
        if event.kind == "auth":
            self._online = False
            self._set_state("refused", event.message)
        headline = PROBLEM_HEADLINES.get(event.kind, PROBLEM_HEADLINES["internal"])
        if event.kind == "auth" and self.token_env:
            headline += ENV_TOKEN_HINT.format(env=self.token_env)
        self._show_problem(event.kind, headline, event.message)
