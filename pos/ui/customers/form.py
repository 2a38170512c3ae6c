"""Contact details of one customer, to view, edit or create (used by the screen and the F6 picker)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QWidget

from pos.services.customers import CustomerDraft
from pos.ui.tasks import Tasks

log = logging.getLogger(__name__)


class CustomerForm(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("customerForm")
        self.customer: Any = None  # the customer being edited; None: a new one
        self.saving = False
        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("customerName")
        self.email_edit = QLineEdit(self)
        self.email_edit.setObjectName("customerEmail")
        self.phone_edit = QLineEdit(self)
        self.phone_edit.setObjectName("customerPhone")
        self.code_edit = QLineEdit(self)
        self.code_edit.setObjectName("customerCode")
        self.code_edit.setPlaceholderText("Scan the loyalty card (optional)")
        self.state_label = QLabel(self)
        self.state_label.setObjectName("promptHint")
        self.error_label = QLabel(self)
        self.error_label.setObjectName("dialogError")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        form = QFormLayout(self)
        form.addRow("&Name", self.name_edit)
        form.addRow("&Email", self.email_edit)
        form.addRow("&Phone", self.phone_edit)
        form.addRow("&Loyalty code", self.code_edit)
        form.addRow(self.state_label)
        form.addRow(self.error_label)

    def load(self, customer: Any) -> None:
        self.customer = customer
        self.name_edit.setText(customer.name)
        self.email_edit.setText(customer.email or "")
        self.phone_edit.setText(customer.phone or "")
        self.code_edit.setText(customer.loyalty_code or "")
        waiting = getattr(customer, "waiting", False)
        self.state_label.setText("Changes waiting to reach the shop" if waiting else "")
        self.show_error("")

    def clear(self) -> None:
        self.customer = None
        for edit in (self.name_edit, self.email_edit, self.phone_edit, self.code_edit):
            edit.clear()
        self.state_label.setText("New customer")
        self.show_error("")

    def draft(self) -> CustomerDraft:
        def text(edit: QLineEdit) -> str | None:
            return edit.text().strip() or None

        return CustomerDraft(
            name=self.name_edit.text().strip(),
            email=text(self.email_edit),
            phone=text(self.phone_edit),
            loyalty_code=text(self.code_edit),
            id=self.customer.id if self.customer is not None else None,
        )

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def save(self, tasks: Tasks, customers: Any, on_saved: Callable[[Any], None]) -> None:
        """Save the draft on the save lane; `on_saved(customer)` after, or the refusal shown here.

        A ValueError is the service's own refusal (a missing name, a bad email), said as it is;
        anything else is unexpected (the replica locked past its timeout, a full disk) and logged.
        """
        if self.saving:
            return
        draft = self.draft()
        self.saving = True

        def saved(customer: Any) -> None:
            self.saving = False
            on_saved(customer)

        def refused(exc: BaseException) -> None:
            self.saving = False
            if isinstance(exc, ValueError):
                self.show_error(str(exc))
                return
            log.error("saving a customer failed", exc_info=exc)
            self.show_error(f"The customer was not saved ({exc}). Nothing changed: try again.")

        tasks.run(customers.save, draft, lane="save", on_success=saved, on_failure=refused)
