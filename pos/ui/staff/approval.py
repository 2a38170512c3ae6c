"""A manager's approval on the spot: what needs approving, the manager's name and PIN, then the
action runs again with the Approval.

Every screen goes through `Approvals.run(fn, *args, ...)`: it calls `fn(*args, approval=None)` on
the "db" lane; when the service raises PermissionDenied whose decision needs a manager, the
ApprovalDialog opens with the decision's reason; the manager's PIN is checked by
StaffService.approve (db lane), and `fn(*args, approval=approval)` runs again. Any other refusal
goes to `failed` as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

from pos.domain.errors import sentence
from pos.domain.permissions import LABELS, PermissionDenied, Role
from pos.ui.dialogs import open_tracked
from pos.ui.staff.people import PersonAndPin
from pos.ui.tasks import Tasks

log = logging.getLogger(__name__)

APPROVAL_STYLE = """
QLabel#approvalWhat { font-size: 13pt; font-weight: 600; color: #8a5a12; }
"""


class ApprovalDialog(QDialog):
    """`approved(Approval)` once a manager's PIN was accepted; Esc cancels (nothing happens)."""

    approved = Signal(object)
    refused = Signal(str)

    def __init__(self, staff: Any, tasks: Tasks, denied: PermissionDenied, requested_by: str | None,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.setObjectName("approvalDialog")
        self.setWindowTitle("Manager approval")
        self.setModal(True)
        self.setStyleSheet(APPROVAL_STYLE)
        self._staff, self._tasks = staff, tasks
        self.permission = denied.decision.permission
        self._requested_by = requested_by
        reason = denied.decision.reason
        self.what = QLabel(sentence(reason) + ".", self)
        self.what.setObjectName("approvalWhat")
        self.what.setWordWrap(True)
        ask = QLabel(f"A manager approves “{LABELS[self.permission]}” with their own PIN.", self)
        ask.setWordWrap(True)
        self.people = PersonAndPin(self)
        self.people.list.setMaximumHeight(120)  # a few managers
        self.people.hint.setText("Manager: type your name, Enter, your PIN, Enter. Esc: cancel.")
        layout = QVBoxLayout(self)
        layout.addWidget(self.what)
        layout.addWidget(ask)
        layout.addWidget(self.people)
        self.setMinimumWidth(440)
        self.people.submitted.connect(self._check)
        self.people.reset()
        tasks.run(staff.members, lane="db", on_success=self._listed, on_failure=self._failed)

    def _listed(self, members: list[Any]) -> None:
        managers = [m for m in members if str(m.role) == Role.MANAGER and m.id != self._requested_by]
        self.people.set_members(managers)
        if not managers:
            self.people.show_error("No other manager is on this till's staff list: nobody can approve this.")
            self.people.filter_edit.setFocus()

    def _check(self, member: Any, pin: str) -> None:
        self._tasks.run(
            partial(self._staff.approve, self.permission, member.id, pin, requested_by=self._requested_by),
            lane="db", on_success=self._accepted, on_failure=self._failed,
        )  # fmt: skip

    def _accepted(self, approval: Any) -> None:
        self.approved.emit(approval)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        if not isinstance(exc, ValueError):
            log.error("manager approval failed", exc_info=exc)
        self.people.show_error(str(exc) or "The approval failed.")
        self.refused.emit(self.people.error.text())


class Approvals:
    """Runs service calls that may need a manager; one per window (pos.app gives it the services)."""

    def __init__(self, staff: Any, who: Any, tasks: Tasks) -> None:
        """`staff`: StaffService; `who`: SignedIn (whose action it is)."""
        self.staff, self.who, self.tasks = staff, who, tasks
        self.dialog: ApprovalDialog | None = None  # the one on screen (tests look at it)
        self.last: Any = None  # the last Approval given (a report names its manager)

    def run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        parent: QWidget,
        then: Callable[[Any], None],
        failed: Callable[[BaseException], None],
        cancelled: Callable[[], None] | None = None,
    ) -> None:
        """`fn(*args, approval=...)` on the db lane, asking a manager when the service says so."""

        def refused(exc: BaseException) -> None:
            if isinstance(exc, PermissionDenied) and exc.decision.needs_approval:
                self.ask(exc, parent, lambda approval: self._again(fn, args, approval, then, failed),
                         cancelled)  # fmt: skip
            else:
                failed(exc)

        self.tasks.run(partial(fn, *args, approval=None), lane="db", on_success=then, on_failure=refused)

    def _again(self, fn: Callable[..., Any], args: tuple[Any, ...], approval: Any,
               then: Callable[[Any], None], failed: Callable[[BaseException], None]) -> None:  # fmt: skip
        self.last = approval
        self.tasks.run(partial(fn, *args, approval=approval), lane="db", on_success=then, on_failure=failed)

    def ask(self, denied: PermissionDenied, parent: QWidget, approved: Callable[[Any], None],
            cancelled: Callable[[], None] | None = None) -> ApprovalDialog:  # fmt: skip
        actor = self.who.actor if self.who is not None else None
        dialog = ApprovalDialog(self.staff, self.tasks, denied, actor.id if actor else None, parent)
        dialog.approved.connect(approved)

        def closed(result: int) -> None:
            parent.window().activateWindow()  # window managers differ in handing activation back
            if result != QDialog.DialogCode.Accepted.value and cancelled is not None:
                cancelled()

        open_tracked(self, "dialog", dialog, closed)
        return dialog
