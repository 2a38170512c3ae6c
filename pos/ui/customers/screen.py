"""The customers screen: find (search as you type), view and edit contact details, create, and see
the customer's orders from every channel (web and tills, this till's sales not yet synced too).

Keyboard: the search field has the keyboard (Ctrl+2 from anywhere); ↓ into the results, Enter
opens the customer in the form; Ctrl+S saves, Ctrl+N starts a new customer, Esc back to search.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QEvent,
    QObject,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pos.ui.customers.form import CustomerForm
from pos.ui.customers.picker import describe_customer
from pos.ui.debounce import search_as_you_type
from pos.ui.formatting import MoneyFormatter
from pos.ui.rows_model import ModelIndex, RowsTableModel
from pos.ui.sell.choice_list import ChoiceListModel
from pos.ui.tasks import Tasks

DEBOUNCE_MS = 150
ORDER_HEADERS = ("Number", "Date", "Channel", "Status", "Items", "Total")
CHANNELS = {"web": "Web shop", "pos": "Till"}


class OrdersModel(RowsTableModel):
    HEADERS = ORDER_HEADERS

    def __init__(self, money: MoneyFormatter, parent: Any = None) -> None:
        super().__init__(parent)
        self.money = money

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        order = self.row_at(index.row()) if index.isValid() else None
        if order is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.TextAlignmentRole:
            right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            return right if column in (4, 5) else Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if column == 0:
            return order.number
        if column == 1:
            return order.created_at[:16].replace("T", " ")
        if column == 2:
            channel = CHANNELS.get(order.source, order.source)
            return channel if order.synced else f"{channel} (not synced yet)"
        if column == 3:
            return order.status
        if column == 4:
            return f"{order.item_count:,}"
        return self.money.format(order.total.minor)


class CustomersScreen(QWidget):
    results_shown = Signal(int)
    customer_shown = Signal(object)
    orders_shown = Signal(int)
    saved = Signal(object)
    outbox_touched = Signal()

    def __init__(
        self, customers: Any, tasks: Tasks, money: MoneyFormatter, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("customersScreen")
        self._customers = customers
        self._tasks = tasks
        self._generation = 0
        self.search_edit = QLineEdit(self)
        self.search_edit.setObjectName("customersSearch")
        self.search_edit.setPlaceholderText("Find a customer by name, email, phone or loyalty card")
        self.model = ChoiceListModel(describe_customer, self)
        self.list = QListView(self)
        self.list.setObjectName("customerList")
        self.list.setModel(self.model)
        self.form = CustomerForm(self)
        self.save_button = QPushButton("Save  (Ctrl+S)", self)
        self.new_button = QPushButton("New customer  (Ctrl+N)", self)
        for button in (self.save_button, self.new_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.save_button.clicked.connect(self.save)
        self.new_button.clicked.connect(self.new_customer)
        self.message_label = QLabel(self)
        self.message_label.setObjectName("customersMessage")
        self.orders_model = OrdersModel(money, self)
        self.orders = QTableView(self)
        self.orders.setObjectName("customerOrders")
        self.orders.setModel(self.orders_model)
        self.orders.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.orders.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.orders.verticalHeader().hide()
        self.orders.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self._build()
        self._debounce = search_as_you_type(self.search_edit, self.search_now, DEBOUNCE_MS, self)
        self.search_edit.installEventFilter(self)
        self.list.installEventFilter(self)
        self.list.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self._open_row(current.row())
        )
        for sequence, slot in (("Ctrl+S", self.save), ("Ctrl+N", self.new_customer)):
            shortcut = QShortcut(QKeySequence(sequence), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        self.search_now()

    def _build(self) -> None:
        left = QVBoxLayout()
        left.addWidget(self.search_edit)
        left.addWidget(self.list, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.new_button)
        buttons.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(self.form)
        right.addLayout(buttons)
        right.addWidget(self.message_label)
        heading = QLabel("Orders, every channel", self)
        heading.setObjectName("detailHeading")
        right.addWidget(heading)
        right.addWidget(self.orders, 1)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 4)
        layout.addLayout(right, 6)

    def focus_search(self) -> None:
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    # --- finding ----------------------------------------------------------------------------------

    def search_now(self) -> None:
        self._debounce.stop()
        self._generation += 1
        generation, text = self._generation, self.search_edit.text().strip()

        def show(found: Any) -> None:
            if generation == self._generation:
                self.model.set_items(list(found))
                self.results_shown.emit(self.model.rowCount())

        self._tasks.run(
            self._customers.search,
            text,
            50,
            lane="db",
            on_success=show,
            on_failure=lambda exc: self.message_label.setText(str(exc)),
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if watched is self.search_edit and key in (Qt.Key.Key_Down, Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if self._debounce.isActive():
                    self.search_now()
                if self.model.rowCount():
                    self.list.setFocus()
                    self.list.setCurrentIndex(self.model.index(0, 0))
                return True
            if watched is self.list and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._open_row(self.list.currentIndex().row())
                self.form.name_edit.setFocus()
                return True
            if watched is self.list and key == Qt.Key.Key_Escape:
                self.focus_search()
                return True
        return super().eventFilter(watched, event)

    def _open_row(self, row: int) -> None:
        customer = self.model.item_at(row)
        if customer is not None:
            self.show_customer(customer)

    def show_customer(self, customer: Any) -> None:
        self.form.load(customer)
        self.message_label.setText("")
        self.customer_shown.emit(customer)

        def shown(orders: Any) -> None:
            if self.form.customer is not None and self.form.customer.id == customer.id:
                self.orders_model.replace_rows(orders)
                self.orders.resizeColumnsToContents()  # a customer's orders: a short table
                self.orders_shown.emit(self.orders_model.rowCount())

        self._tasks.run(
            self._customers.orders,
            customer.id,
            lane="db",
            on_success=shown,
            on_failure=lambda exc: self.message_label.setText(str(exc)),
        )

    # --- editing ----------------------------------------------------------------------------------

    def new_customer(self) -> None:
        self.form.clear()
        self.orders_model.replace_rows(())
        self.message_label.setText("")
        self.form.name_edit.setFocus()

    def save(self) -> None:
        def saved(customer: Any) -> None:
            self.form.load(customer)
            self.message_label.setText(f"Saved {customer.name}. The shop hears of it at the next sync.")
            self.saved.emit(customer)
            self.outbox_touched.emit()
            self.search_now()

        self.form.save(self._tasks, self._customers, saved)
