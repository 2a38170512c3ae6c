"""F8: the parked carts, newest first. Enter resumes the highlighted cart; Del discards it (asked first)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QLabel, QListView, QMessageBox, QVBoxLayout, QWidget

from pos.domain.errors import sentence
from pos.ui.formatting import MoneyFormatter
from pos.ui.sell.choice_list import ChoiceListModel
from pos.ui.sell.confirm import confirm
from pos.ui.staff.approval import Approvals
from pos.ui.tasks import Tasks

log = logging.getLogger(__name__)


def when_text(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, datetime):
        return value.astimezone().strftime("%d %b %H:%M")
    return ""


def describe_parked(cart: Any, money: MoneyFormatter) -> str:
    total = getattr(cart, "total", None)
    minor = getattr(total, "minor", total)
    count = getattr(cart, "item_count", 0) or 0
    customer = getattr(cart, "customer_name", None)
    parts = [
        when_text(getattr(cart, "parked_at", None)),
        getattr(cart, "label", None) or "",
        f"for {customer}" if customer else "",
        f"{count} item{'s' if count != 1 else ''}",
        money.format(minor) if minor is not None else "",
    ]
    return "   ·   ".join(part for part in parts if part)


class ParkedCartsDialog(QDialog):
    resume_requested = Signal(str)  # parked cart id
    listed = Signal(int)

    def __init__(
        self, parked: Any, tasks: Tasks, money: MoneyFormatter, parent: QWidget | None = None,
        approvals: Approvals | None = None,
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self.setObjectName("parkedCarts")
        self.setWindowTitle("Parked carts")
        self.setModal(True)
        self._parked = parked
        self._tasks = tasks
        self._approvals = approvals
        self.confirm_box: QMessageBox | None = None
        self.model = ChoiceListModel(lambda cart: describe_parked(cart, money), self)
        self.list = QListView(self)
        self.list.setObjectName("parkedList")
        self.list.setModel(self.model)
        self.list.installEventFilter(self)
        self.status = QLabel("Loading…", self)
        self.status.setObjectName("promptHint")
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.status)
        self.resize(760, 360)
        self.list.setFocus()
        self.reload()

    def reload(self) -> None:
        def show(carts: Any) -> None:
            self.model.set_items(list(carts))
            self.list.setCurrentIndex(self.model.index(0, 0))
            count = self.model.rowCount()
            self.status.setText("Enter resumes, Del discards, Esc closes" if count else "No parked carts.")
            self.listed.emit(count)

        self._tasks.run(self._parked.list, lane="db", on_success=show, on_failure=self._failed)

    def _failed(self, exc: BaseException) -> None:
        log.error("parked carts", exc_info=exc)
        self.status.setText(str(exc))

    def _refused(self, exc: BaseException) -> None:
        if not isinstance(exc, ValueError):  # a refusal (not permitted, gone) is said, not logged
            log.error("discarding a parked cart failed", exc_info=exc)
        self.status.setText(sentence(str(exc)))

    def _not_approved(self) -> None:
        self.status.setText("Not approved: the cart stays parked.")

    def current(self) -> Any:
        return self.model.item_at(self.list.currentIndex().row())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.list and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.resume()
                return True
            if event.key() == Qt.Key.Key_Delete:
                self.discard()
                return True
        return super().eventFilter(watched, event)

    def resume(self) -> None:
        cart = self.current()
        if cart is not None:
            self.accept()
            self.resume_requested.emit(str(cart.id))

    def discard(self) -> None:
        cart = self.current()
        if cart is None:
            return

        def really() -> None:
            if self._approvals is None:
                self._tasks.run(self._parked.discard, cart.id, lane="db", on_success=lambda _r: self.reload(),
                                on_failure=self._refused)  # fmt: skip
                return
            # A discarded cart is a voided sale: a cashier's discard asks a manager, as Ctrl+Del does.
            self._approvals.run(self._parked.discard, cart.id, parent=self, then=lambda _r: self.reload(),
                                failed=self._refused, cancelled=self._not_approved)  # fmt: skip

        self.confirm_box = confirm(
            self,
            "Discard parked cart",
            "Discard this parked cart? Its items are not sold and the cart cannot be brought back.",
            "Discard",
            really,
        )
