"""The lock screen: the till starts here, comes back here after the idle time or on "switch
cashier" (F11), and nothing behind it can be used until someone signs in with their PIN.

The PIN check (tens of milliseconds, on purpose) runs on the task runner's "db" lane; a refusal
(wrong PIN and how many tries are left, locked out for how long, revoked) is shown in words.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from pos.ui.staff.people import PersonAndPin
from pos.ui.tasks import Tasks

log = logging.getLogger(__name__)

LOCK_STYLE = """
QWidget#signInScreen { background: #f7f8f7; }
QFrame#signInCard { background: #ffffff; border: 1px solid #cfdad5; border-radius: 6px; }
QLabel#signInTitle { font-size: 20pt; font-weight: 700; color: #1d2424; }
QLabel#signInWhy { font-size: 11pt; color: #4a5553; }
"""


class SignInScreen(QWidget):
    """`signed_in(actor)` once a PIN was accepted (pos.services.audit.Actor)."""

    signed_in = Signal(object)
    refused = Signal(str)  # the refusal, as shown (tests wait on it)

    def __init__(
        self, staff: Any, tasks: Tasks, shop_name: str = "", parent: QWidget | None = None, *, hint: str = ""
    ) -> None:
        """`staff`: pos.services.staff.StaffService; `hint`: a line under the list (demo PINs)."""
        super().__init__(parent)
        self.setObjectName("signInScreen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(LOCK_STYLE)
        self._staff = staff
        self._tasks = tasks
        card = QFrame(self)
        card.setObjectName("signInCard")
        card.setFixedWidth(460)
        self.title = QLabel(shop_name or "Countertop", card)  # the "why" line says to sign in
        self.title.setObjectName("signInTitle")
        self.title.setWordWrap(True)  # a long shop name wraps instead of being cut
        self.why = QLabel("The till is locked.", card)
        self.why.setObjectName("signInWhy")
        self.why.setWordWrap(True)
        self.people = PersonAndPin(card)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(24, 20, 24, 20)
        inner.setSpacing(10)
        inner.addWidget(self.title)
        inner.addWidget(self.why)
        inner.addWidget(self.people)
        self.hint = QLabel(hint, card)
        self.hint.setObjectName("signInWhy")
        self.hint.setWordWrap(True)
        self.hint.setVisible(bool(hint))
        inner.addWidget(self.hint)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(card, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)
        self.people.submitted.connect(self._check)

    def load(self, why: str = "The till is locked.") -> None:
        """Read the staff list (db lane) and give the name filter the keyboard."""
        self.why.setText(why)
        self.people.reset()
        self._tasks.run(self._staff.members, lane="db", on_success=self._listed, on_failure=self._failed)

    def refresh(self) -> None:
        """The staff list may have changed (a sync brought it): read it again, keep what is typed."""
        self._tasks.run(self._staff.members, lane="db", on_success=self._listed, on_failure=self._failed)

    def focus(self) -> None:
        if self.people.pin_edit.hasFocus():
            return
        self.people.filter_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def _listed(self, members: list[Any]) -> None:
        chosen = self.people.current()
        self.people.set_members(members)
        if chosen is not None:
            self.people.choose(chosen.id)
        if members and self.people.error.text().startswith("No staff"):
            self.people.clear_error()
        if not members:
            self.people.show_error(
                "No staff can sign in on this till yet: the shop's staff list arrives with the next sync."
            )

    def _check(self, member: Any, pin: str) -> None:
        self._tasks.run(self._staff.sign_in, member.id, pin, lane="db",
                        on_success=self._accepted, on_failure=self._failed)  # fmt: skip

    def _accepted(self, actor: Any) -> None:
        self.people.reset()
        self.signed_in.emit(actor)

    def _failed(self, exc: BaseException) -> None:
        if not isinstance(exc, ValueError):
            log.error("sign-in failed", exc_info=exc)
        text = str(exc) or "Signing in failed."
        self.people.show_error(text)
        self.refused.emit(self.people.error.text())
