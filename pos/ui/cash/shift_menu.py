"""The Shift menu: open a shift, pay in, pay out, drop, X report, blind close, no-sale drawer.

Each entry opens a dialog on the window; cash-session calls run on the "db" lane, printing on the
"net" lane. `state_changed(session or None)` tells the sell screen whether a shift is open, and
`message(text, state)` what happened.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QMainWindow, QMenu

from pos.domain.errors import sentence
from pos.domain.permissions import Outcome, Permission
from pos.domain.tender import tender_label
from pos.ui.cash.close_shift import CloseShiftDialog
from pos.ui.cash.movement import TITLES, CashMovementDialog
from pos.ui.cash.open_shift import OpenShiftDialog
from pos.ui.cash.report_printing import print_report, report_header
from pos.ui.cash.report_rows import x_document, x_rows, z_document, z_rows, z_tender_rows
from pos.ui.cash.report_view import ReportDialog
from pos.ui.dialogs import open_tracked
from pos.ui.formatting import MoneyFormatter
from pos.ui.sell.prompt import PromptDialog
from pos.ui.staff.approval import Approvals
from pos.ui.tasks import Tasks

log = logging.getLogger(__name__)

# (method, label, key, permission): the keys clash with none of the sell screen's (F2-F12, Ctrl+R/L).
SHIFT_ACTIONS = (
    ("open_shift", "&Open shift…", "Ctrl+Shift+O", Permission.CASH_OPEN),
    ("pay_in", "Pay &in…", "Ctrl+Shift+I", Permission.CASH_PAY_IN),
    ("pay_out", "Pay o&ut…", "Ctrl+Shift+U", Permission.CASH_PAY_OUT),
    ("drop", "&Drop to the safe…", "Ctrl+Shift+D", Permission.CASH_DROP),
    ("x_report", "&X report", "Ctrl+Shift+X", Permission.X_REPORT),
    ("close_shift", "&Close shift (blind count)…", "Ctrl+Shift+C", Permission.CASH_CLOSE),
    ("open_drawer", "Open the drawer, &no sale…", "Ctrl+Shift+N", Permission.OPEN_DRAWER),
)


class ShiftActions(QObject):
    state_changed = Signal(object)  # the open CashSession, or None
    message = Signal(str, str)  # text, state ("info" | "success" | "error")

    def __init__(self, window: QMainWindow, cash: Any, who: Any, approvals: Approvals, tasks: Tasks,
                 money: MoneyFormatter, *, printing: Any = None, reports_folder: Path | None = None,
                 shop_name: str = "") -> None:  # fmt: skip
        super().__init__(window)
        self.window, self.cash, self.who, self.approvals = window, cash, who, approvals
        self.tasks, self.money, self.printing = tasks, money, printing
        self.reports_folder, self.shop_name = reports_folder, shop_name
        self.dialog: QDialog | None = None  # the dialog on screen (tests look at it)
        self.actions: dict[str, QAction] = {}

    def build_menu(self) -> QMenu:
        menu = self.window.menuBar().addMenu("S&hift")
        for method, label, key, _permission in SHIFT_ACTIONS:
            action = QAction(label, self.window)
            action.setShortcut(QKeySequence(key))
            action.triggered.connect(getattr(self, method))
            menu.addAction(action)
            self.window.addAction(action)  # its key works wherever the window has the keyboard
            self.actions[method] = action
        return menu

    def allow_for(self, actor: Any) -> None:
        """Grey out what the signed-in person's role may never do (the services check regardless)."""
        for method, _label, _key, permission in SHIFT_ACTIONS:
            allowed = actor is not None and self.who.decide(permission).outcome is not Outcome.REFUSED
            self.actions[method].setEnabled(allowed)

    # --- state ---------------------------------------------------------------------------------------

    def refresh(self) -> None:
        self.tasks.run(self.cash.current, lane="db", on_success=self._state,
                       on_failure=lambda exc: log.warning("reading the shift: %s", exc))  # fmt: skip

    def _state(self, session: Any) -> None:
        self.state_changed.emit(session)

    # --- the actions ---------------------------------------------------------------------------------

    def open_shift(self) -> None:
        actor = self._actor()
        if actor is None:
            return
        dialog = OpenShiftDialog(self.cash, actor, self.tasks, self.money, self.window)

        def opened(session: Any) -> None:
            self._state(session)
            float_text = self.money.format(session.float_count.total.minor)
            self.message.emit(f"Shift open with a float of {float_text}. Ready to sell.", "success")

        dialog.opened.connect(opened)
        self._show(dialog)

    def pay_in(self) -> None:
        self._move("pay_in")

    def pay_out(self) -> None:
        self._move("pay_out")

    def drop(self) -> None:
        self._move("drop")

    def _move(self, kind: str) -> None:
        actor = self._actor()
        if actor is None:
            return
        dialog = CashMovementDialog(kind, self.cash, actor, self.approvals, self.money, self.window)

        def moved(session: Any) -> None:
            self._state(session)
            last = session.movements[-1]
            self.message.emit(f"{TITLES[kind]} of {self.money.format(last.amount.minor)} recorded. "
                              f"The drawer should hold {self.money.format(session.cash_in_drawer.minor)}.",
                              "success")  # fmt: skip

        dialog.moved.connect(moved)
        self._show(dialog)

    def x_report(self) -> None:
        actor = self._actor()
        if actor is None:
            return

        def shown(x: Any) -> None:
            headline = f"X report — shift so far ({_local(x.at)})"
            document = partial(x_document, x, cashier=actor.name)
            self._show(self._report("X report", headline, x_rows(x), document))

        self.tasks.run(self.cash.x_report, actor, lane="db", on_success=shown, on_failure=self._failed)

    def close_shift(self) -> None:
        actor = self._actor()
        if actor is None:
            return
        dialog = CloseShiftDialog(self.cash, actor, self.approvals, self.money, self.window)

        def closed(z: Any) -> None:
            self._state(None)
            self.message.emit(f"Shift closed: {self._variance_words(z)}. Open a new shift to sell again.",
                              "info" if z.tender_variances else "success")  # fmt: skip
            last = self.approvals.last
            approved = (last.manager_name if last is not None and last.manager_id == z.approved_by
                        else z.approved_by)  # fmt: skip
            document = partial(z_document, z, cashier=actor.name, approved_by=approved)
            report = self._report("Z report", "Z report — expected and counted", z_rows(z), document,
                                  variances=z_tender_rows(z))  # fmt: skip
            # Shown once the count dialog has gone, so the report is the active window.
            dialog.finished.connect(lambda _result: self._show(report))
            report.print_now()  # the Z report is printed at once

        dialog.closed_shift.connect(closed)
        self._show(dialog)

    def open_drawer(self) -> None:
        """No-sale drawer opening: a reason, a manager's approval for a cashier, then the kick."""
        actor = self._actor()
        if actor is None:
            return
        dialog = PromptDialog("Open the drawer", "Why open the drawer without a sale?", _reason, "",
                              "Enter: open it (audited) · Esc: cancel", self.window)  # fmt: skip

        def opened(_answer: Any) -> None:
            self.message.emit("Drawer opening recorded.", "success")
            self._kick_drawer()

        dialog.accepted_value.connect(
            lambda reason: self.approvals.run(self.cash.open_drawer, actor, reason, parent=self.window,
                                              then=opened, failed=self._failed,
                                              cancelled=lambda: self.message.emit(
                                                  "Not approved: the drawer stays shut.", "info"))
        )  # fmt: skip
        self._show(dialog)

    def _kick_drawer(self) -> None:
        printing = self.printing
        printer = printing.settings.printer_for("receipt") if printing is not None else None
        if printer is None or not getattr(printer, "drawer", False):
            self.message.emit("Drawer opening recorded; no cash drawer is set up on this till's receipt "
                              "printer, so open it by hand.", "info")  # fmt: skip
            return
        self.tasks.run(printing.drawer_test, printer, lane="net",
                       on_success=lambda text: self.message.emit(f"Drawer opened. {text}", "success"),
                       on_failure=lambda exc: self.message.emit(f"The drawer did not open: {exc}", "error"))

    # --- helpers -------------------------------------------------------------------------------------

    def _report(self, title: str, headline: str, rows: Any, document: Callable[..., Any],
                variances: Any = ()) -> ReportDialog:  # fmt: skip
        dialog: ReportDialog

        def run_print() -> None:
            def job() -> str:
                header = report_header(self.printing, self.shop_name)
                return print_report(self.printing, document(header), self.reports_folder)

            self.tasks.run(job, lane="net", on_success=lambda text: dialog.printed(text),
                           on_failure=lambda exc: dialog.print_failed(f"Not printed: {exc}"))  # fmt: skip

        dialog = ReportDialog(title, headline, rows, self.money, run_print, self.window, variances)
        return dialog

    def _variance_words(self, z: Any) -> str:
        """"everything is even", or each tender that is off: "cash short by €40.00, card over by €40.00"."""
        if not z.tender_variances:
            return "everything is even"
        return ", ".join(
            f"{tender_label(method).lower()} {'short' if off.minor < 0 else 'over'} by "
            f"{self.money.format(abs(off.minor))}"
            for method, off in z.tender_variances
        )

    def _actor(self) -> Any:
        actor = self.who.actor if self.who is not None else None
        if actor is None:
            self.message.emit("Nobody is signed in: sign in with your PIN first.", "error")
        return actor

    def _show(self, dialog: QDialog) -> None:
        open_tracked(self, "dialog", dialog, lambda _result: self.window.activateWindow())

    def _failed(self, exc: BaseException) -> None:
        if not isinstance(exc, ValueError):
            log.error("shift action failed", exc_info=exc)
        text = str(exc) or type(exc).__name__
        self.message.emit(sentence(text), "error")


def _reason(text: str) -> str:
    from pos.ui.sell.entry import EntryError

    reason = " ".join(text.split())
    if not reason:
        raise EntryError("Say why the drawer opens: a reason is needed.")
    return reason


def _local(moment: Any) -> str:
    return moment.astimezone().strftime("%d %b %H:%M")
