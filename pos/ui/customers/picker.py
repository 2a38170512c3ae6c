"""F6 on the sell screen: attach a customer to the cart, by search, loyalty card scan, or a new one.

Keyboard: type (name, email, phone or loyalty code; a card scan ends with Enter), ↓ into the
results, Enter attaches; F2 creates a new customer (Enter saves); F8 takes the customer off the
cart; Esc closes.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QListView, QStackedWidget, QVBoxLayout, QWidget

from pos.ui.customers.form import CustomerForm
from pos.ui.debounce import search_as_you_type
from pos.ui.sell.choice_list import ChoiceListModel
from pos.ui.tasks import Tasks

DEBOUNCE_MS = 150


def describe_customer(customer: Any) -> str:
    parts = [
        customer.name,
        customer.email or "",
        customer.phone or "",
        f"card {customer.loyalty_code}" if customer.loyalty_code else "",
    ]
    return "   ·   ".join(part for part in parts if part)


class CustomerPicker(QDialog):
    customer_chosen = Signal(object)  # Customer, or None to take the customer off the cart
    results_shown = Signal(int)

    def __init__(
        self, customers: Any, tasks: Tasks, current_id: str | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("customerPicker")
        self.setWindowTitle("Customer")
        self.setModal(True)
        self._customers = customers
        self._tasks = tasks
        self._generation = 0
        self.created = False
        self._choose_after_search = False  # Enter came before the answer (a loyalty card scan)
        self.edit = QLineEdit(self)
        self.edit.setObjectName("customerSearch")
        self.edit.setPlaceholderText("Name, email, phone or loyalty card")
        self.model = ChoiceListModel(describe_customer, self)
        self.list = QListView(self)
        self.list.setObjectName("customerResults")
        self.list.setModel(self.model)
        self.form = CustomerForm(self)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.list)
        self.pages.addWidget(self.form)
        detach = "   F8 takes the customer off this cart," if current_id else ""
        self.status = QLabel(f"Enter attaches, F2 new customer,{detach} Esc closes", self)
        self.status.setObjectName("promptHint")
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.edit)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.status)
        self.resize(640, 420)
        self._debounce = search_as_you_type(self.edit, self.search_now, DEBOUNCE_MS, self)
        for widget in (
            self.edit,
            self.list,
            self.form.name_edit,
            self.form.email_edit,
            self.form.phone_edit,
            self.form.code_edit,
        ):
            widget.installEventFilter(self)
        QShortcut(QKeySequence("F2"), self).activated.connect(self.new_customer)
        if current_id:
            QShortcut(QKeySequence("F8"), self).activated.connect(self.detach)
        self.edit.setFocus()
        self.search_now()

    # --- search -----------------------------------------------------------------------------------

    def search_now(self) -> None:
        self._debounce.stop()
        self._generation += 1
        generation, text = self._generation, self.edit.text().strip()

        def show(found: Any) -> None:
            if generation != self._generation:
                return
            self.model.set_items(list(found))
            self.list.setCurrentIndex(self.model.index(0, 0))
            self.results_shown.emit(self.model.rowCount())
            if self._choose_after_search:
                self._choose_after_search = False
                self.choose()

        self._tasks.run(
            self._customers.search,
            text,
            50,
            lane="db",
            on_success=show,
            on_failure=lambda exc: self.status.setText(str(exc)),
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return super().eventFilter(watched, event)
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if self.pages.currentWidget() is self.form:
            if enter:
                self.save_new()
                return True
            return False
        if enter and watched in (self.edit, self.list):
            if self._debounce.isActive():
                self.search_now()  # a card scan: Enter right after the code; choose once it answers
                self._choose_after_search = True
                return True
            self.choose()
            return True
        if watched is self.edit and event.key() == Qt.Key.Key_Down and self.model.rowCount():
            self.list.setFocus()
            return True
        return False

    def choose(self) -> None:
        customer = self.model.item_at(self.list.currentIndex().row())
        if customer is None:
            self.status.setText("Nobody found: F2 creates a new customer.")
            return
        self.accept()
        self.customer_chosen.emit(customer)

    def detach(self) -> None:
        self.accept()
        self.customer_chosen.emit(None)

    # --- a new customer ---------------------------------------------------------------------------

    def new_customer(self) -> None:
        self.form.clear()
        typed = self.edit.text().strip()
        if "@" in typed:
            self.form.email_edit.setText(typed)
        elif typed and not typed.replace(" ", "").replace("+", "").isdigit():
            self.form.name_edit.setText(typed)
        self.pages.setCurrentWidget(self.form)
        self.status.setText("New customer: Enter saves, Esc closes without saving")
        self.form.name_edit.setFocus()

    def save_new(self) -> None:
        def saved(customer: Any) -> None:
            self.created = True
            self.accept()
            self.customer_chosen.emit(customer)

        self.form.save(self._tasks, self._customers, saved)
