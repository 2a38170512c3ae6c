"""The sell screen: a scan field that always has the keyboard, the cart, totals and function keys.

A barcode scanner types digits and Enter. Enter hands the code to the cart keeper on the "db" lane
and clears the field at once, so the next scan can be typed while the first is looked up; the
answer comes back as a CartView the table shows. Function keys open dialogs; every dialog gives the
keyboard back to the scan field when it closes, and so does every action.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pos.domain.errors import sentence
from pos.domain.permissions import Outcome, Permission, refused_outright
from pos.ui.dialogs import open_tracked
from pos.ui.formatting import MoneyFormatter
from pos.ui.printing.problem_bar import PrintProblemBar
from pos.ui.printing.receipt_printing import ReceiptPrinting
from pos.ui.sell import actions
from pos.ui.sell.cart_keeper import CartKeeper, CartView, ScanOutcome
from pos.ui.sell.cart_model import CartTableModel
from pos.ui.sell.entry import EntryError, split_quantity_prefix
from pos.ui.sell.services import Selling
from pos.ui.sell.style import SELL_STYLE
from pos.ui.sell.totals_panel import TotalsPanel
from pos.ui.sell.variant_picker import VariantPicker
from pos.ui.staff.approval import Approvals
from pos.ui.tasks import Tasks

log = logging.getLogger(__name__)

# (key, label, method name); shown on screen in this order.
FUNCTION_KEYS = (
    ("F2", "Search", "open_search"),
    ("F3", "Quantity", "change_quantity"),
    ("F4", "Line discount", "line_discount"),
    ("F5", "Cart discount", "cart_discount"),
    ("Del", "Remove line", "remove_line"),
    ("F6", "Customer", "open_customer"),
    ("F7", "Park", "park_cart"),
    ("F8", "Parked carts", "open_parked"),
    ("F9", "Return", "open_return"),
    ("F10", "Reprint", "open_reprint"),
    ("F12", "Pay", "open_payment"),
    ("Ctrl+Del", "Void sale", "void_sale"),
)
# What each key does in the services' terms: a key is greyed for a person refused all of them
# (one that needs a manager stays enabled and asks for one). Keys not listed are open to everyone.
KEY_PERMISSIONS: dict[str, tuple[Permission, ...]] = {
    "F4": (Permission.DISCOUNT_LINE,),
    "F5": (Permission.DISCOUNT_CART,),
    "Del": (Permission.VOID_LINE,),
    "F7": (Permission.PARK_CART,),
    "F8": (Permission.RESUME_CART,),
    "F9": (Permission.RETURN_WITH_RECEIPT, Permission.REFUND_WITHOUT_RECEIPT),
    "F12": (Permission.SELL,),
    "Ctrl+Del": (Permission.VOID_SALE,),
}
COLUMN_WIDTHS = (None, 70, 120, 150, 130)
NO_SHIFT = ("No shift is open on this till, so nothing can be sold yet. Ctrl+Shift+O opens one with a "
            "float count (F12 offers it too).")


class SellScreen(QWidget):
    cart_shown = Signal(object)  # CartView, after the table and totals show it
    message_shown = Signal(str, str)  # text, state ("info" | "error" | "success" | "warning")
    sale_completed = Signal(object)  # CompletedSale
    outbox_touched = Signal()  # a sale, return or customer was queued for the shop
    shift_needed = Signal()  # the cashier asked to open a shift (pos.ui.cash.shift_menu opens it)

    def __init__(
        self, selling: Selling, tasks: Tasks, money: MoneyFormatter, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("sellScreen")
        self.setStyleSheet(SELL_STYLE)
        self.selling = selling
        self.tasks = tasks
        self.money = money
        self.keeper = CartKeeper(selling.checkout, selling.customers, money)
        self.view: CartView | None = None
        self.dialog: QDialog | None = None  # the dialog on screen, if any (tests look at it)
        self.message = ""
        self.message_state = "info"
        self.shift_open: bool | None = None  # None: not known (no cash sessions on this screen)
        self.approvals = Approvals(selling.staff, selling.who, tasks) if selling.staff is not None else None

        self.scan_edit = QLineEdit(self)
        self.scan_edit.setObjectName("scanField")
        self.scan_edit.setPlaceholderText(
            "Scan or type a barcode or SKU, then Enter   (3* before it: quantity 3)"
        )
        self.customer_label = QLabel("No customer", self)
        self.customer_label.setObjectName("customerLabel")
        self.message_label = QLabel(self)
        self.message_label.setObjectName("sellMessage")
        self.message_label.setWordWrap(True)
        self.shift_label = QLabel(NO_SHIFT, self)
        self.shift_label.setObjectName("noShift")
        self.shift_label.setWordWrap(True)
        self.shift_label.hide()
        self.model = CartTableModel(money, self)
        self.table = QTableView(self)
        self.table.setObjectName("cartTable")
        self.table.setModel(self.model)
        self._setup_table()
        self.totals = TotalsPanel(money, self)
        self.totals.setMinimumWidth(300)
        self.buttons: dict[str, QPushButton] = {}
        self.print_bar = PrintProblemBar(self)
        self.printing: ReceiptPrinting | None = None
        if selling.printing is not None:
            self._setup_printing(ReceiptPrinting(selling.printing, self))
        self._build_layout()
        self._install_keys()
        self.scan_edit.returnPressed.connect(self.submit_scan)
        self.scan_edit.installEventFilter(self)

    def _setup_table(self) -> None:
        table = self.table
        table.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the scan field keeps the keyboard; arrows move here
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setShowGrid(False)
        table.setWordWrap(False)
        table.verticalHeader().hide()
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        table.verticalHeader().setDefaultSectionSize(34)
        header = table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, width in enumerate(COLUMN_WIDTHS):
            if width is not None:
                table.setColumnWidth(column, width)

    def _build_layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.scan_edit, 1)
        top.addWidget(self.customer_label)
        middle = QHBoxLayout()
        middle.addWidget(self.table, 1)
        middle.addWidget(self.totals)
        keys = QGridLayout()
        keys.setSpacing(6)
        for position, (key, label, method) in enumerate(FUNCTION_KEYS):
            button = QPushButton(f"{key}  {label}", self)
            button.setObjectName("functionKey")
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(getattr(self, method))
            self.buttons[key] = button
            keys.addWidget(button, position // 6, position % 6)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.addLayout(top)
        layout.addWidget(self.shift_label)
        layout.addWidget(self.message_label)
        layout.addWidget(self.print_bar)
        layout.addLayout(middle, 1)
        layout.addLayout(keys)

    def _install_keys(self) -> None:
        self._function_keys = {
            QKeySequence(key)[0].key(): method for key, _label, method in FUNCTION_KEYS if "Del" not in key
        }
        for key, _label, method in FUNCTION_KEYS:
            if "Del" in key:
                continue  # the scan field's Delete: handled in eventFilter when the field is empty
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(getattr(self, method))
        for key, slot in (("Ctrl+R", self.print_bar.retry), ("Ctrl+L", self.print_bar.later)):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    # --- receipts (pos.ui.printing: printed off the UI thread, after the sale is committed) --------

    def _setup_printing(self, printing: ReceiptPrinting) -> None:
        self.printing = printing
        self.sale_completed.connect(lambda completed: printing.print_sale(completed.payload))
        printing.printed.connect(self._receipt_printed)
        printing.failed.connect(self.print_bar.show_failure)
        printing.refused.connect(lambda text: self.show_message(text, "error"))
        printing.held_changed.connect(self._receipts_held)
        self.print_bar.retry_requested.connect(printing.retry)
        self.print_bar.later_requested.connect(printing.hold)

    def _receipt_printed(self, text: str, state: str) -> None:
        """`state` "success", or "warning" when the printer needs a person soon (paper running low):
        then it is shown even beside a refusal, which a plain "printed" gives way to."""
        if self.message_state == "error":
            if state == "warning":
                self.show_message(f"{self.message}  ·  {text}", "error")
            return
        self.show_message(f"{self.message}  ·  {text}" if self.message_state == "success" else text, state)

    def _receipts_held(self, count: int) -> None:
        self.show_message(f"{count} receipt(s) wait to be printed: F10, then “held”, prints them.", "info")

    def print_return(self, payload: dict[str, Any]) -> None:
        if self.printing is not None:
            self.printing.print_return(payload)

    # --- start and focus -------------------------------------------------------------------------

    def start(self) -> None:
        """Make the first cart (reads the shop's currency and tax mode on the db lane)."""
        self.run(self.keeper.start, then=self.show_view)
        self.focus_scan()

    def shop_ready(self) -> None:
        """The sync caught up: a screen opened before the shop's first sync makes its cart now."""
        if self.keeper.cart is None:
            self.run(self.keeper.start, then=self._first_cart)

    def _first_cart(self, view: CartView) -> None:
        self.show_message("Ready to sell: scan an item.")
        self.show_view(view)

    def focus_scan(self) -> None:
        self.scan_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        then: Callable[[Any], None],
        failed: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Cart work goes to the db lane; a refusal (DomainError...) is shown, the cart unchanged."""
        self.tasks.run(fn, *args, lane="db", on_success=then, on_failure=failed or self.show_failure)

    def show_failure(self, exc: BaseException) -> None:
        if not isinstance(exc, ValueError):
            log.error("sell screen action failed", exc_info=exc)
        text = str(exc) or type(exc).__name__
        self.show_message(sentence(text), "error")  # domain messages start lower-case
        self.focus_scan()

    def show_message(self, text: str, state: str = "info") -> None:
        self.message, self.message_state = text, state
        self.message_label.setText(text)
        self.message_label.setProperty("state", state)
        self.message_label.style().unpolish(self.message_label)
        self.message_label.style().polish(self.message_label)
        self.message_shown.emit(text, state)

    # --- the cart on screen ----------------------------------------------------------------------

    def show_view(self, view: CartView) -> None:
        self.view = view
        selected = view.changed_line or self.current_line_id()
        self.model.set_view(view)
        self.totals.show_view(view)
        if view.customer_id:
            self.customer_label.setText(f"Customer: {view.customer_name or view.customer_id}")
        else:
            self.customer_label.setText("No customer")
        row = self.model.row_of(selected)
        if row is None and view.lines:
            row = len(view.lines) - 1
        if row is not None:
            self.select_row(row)
        self.cart_shown.emit(view)

    def current_line_id(self) -> str | None:
        index = self.table.currentIndex()
        line = self.model.row_at(index.row()) if index.isValid() else None
        return line.line_id if line is not None else None

    def current_line(self) -> Any:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def select_row(self, row: int) -> None:
        if not 0 <= row < self.model.rowCount():
            return
        index = self.model.index(row, 0)
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.table.selectionModel().setCurrentIndex(index, flags)
        self.table.scrollTo(index)

    # --- scanning ---------------------------------------------------------------------------------

    def submit_scan(self) -> None:
        text = self.scan_edit.text()
        self.scan_edit.clear()
        if not text.strip():
            return
        try:
            quantity, code = split_quantity_prefix(text)
        except EntryError as exc:
            self.refuse(str(exc))
            return
        self.run(self.keeper.scan, code, quantity, then=lambda outcome: self._scanned(outcome, quantity))

    def _scanned(self, outcome: ScanOutcome, quantity: int) -> None:
        if outcome.status == "added":
            self.show_view(outcome.view)
            line = self.current_line()
            self.show_message(f"Added {line.title}" if line is not None else "Added", "info")
        elif outcome.status == "choose_variant":
            self.pick_variant(outcome.choices, quantity)
        else:
            self.refuse(outcome.message or "Nothing found for that code.")

    def refuse(self, message: str) -> None:
        """Unknown code or bad entry: say so, beep, leave the cart alone."""
        QApplication.beep()
        self.show_message(message, "error")
        self.focus_scan()

    def pick_variant(self, choices: Any, quantity: int = 1) -> None:
        picker = VariantPicker(choices, self.money, self)
        picker.picked.connect(lambda variant_id: self.add_variant(variant_id, quantity))
        self.show_dialog(picker)

    def add_variant(self, variant_id: str, quantity: int = 1) -> None:
        def added(view: CartView) -> None:
            self.show_view(view)
            line = self.current_line()
            self.show_message(f"Added {line.title}" if line is not None else "Added", "info")

        self.run(self.keeper.add_variant, variant_id, quantity, then=added)

    # --- dialogs ----------------------------------------------------------------------------------

    def show_dialog(self, dialog: QDialog) -> None:
        """Open `dialog` window-modal (never exec()); the scan field gets the keyboard back after."""
        open_tracked(self, "dialog", dialog, lambda _result: self._dialog_closed())

    def _dialog_closed(self) -> None:
        self.window().activateWindow()  # window managers differ in handing activation back
        self.focus_scan()

    # --- function keys (each in pos.ui.sell.actions) ---------------------------------------------

    def open_search(self) -> None:
        actions.open_search(self)

    def change_quantity(self) -> None:
        actions.change_quantity(self)

    def line_discount(self) -> None:
        actions.line_discount(self)

    def cart_discount(self) -> None:
        actions.cart_discount(self)

    def remove_line(self) -> None:
        actions.remove_line(self)

    def open_customer(self) -> None:
        actions.open_customer(self)

    def park_cart(self) -> None:
        actions.park_cart(self)

    def open_parked(self) -> None:
        actions.open_parked(self)

    def open_return(self) -> None:
        actions.open_return(self)

    def open_payment(self) -> None:
        actions.open_payment(self)

    def open_reprint(self) -> None:
        actions.open_reprint(self)

    def void_sale(self) -> None:
        actions.void_sale(self)

    # --- people and the shift ---------------------------------------------------------------------

    def run_approved(self, fn: Callable[..., Any], *args: Any, then: Callable[[Any], None]) -> None:
        """Like `run` for a call that may need a manager: `fn(*args, approval=...)`; when the service
        says a manager must approve, the approval dialog opens and the call runs again with it."""
        if self.approvals is None:
            self.run(partial(fn, *args, approval=None), then=then)
            return

        def done(value: Any) -> None:
            then(value)
            self.focus_scan()

        def cancelled() -> None:
            self.show_message("Not approved: nothing changed.", "info")
            self.focus_scan()

        self.approvals.run(fn, *args, parent=self, then=done, failed=self.show_failure, cancelled=cancelled)

    def decide(self, permission: Permission) -> Any:
        """What the services will say for the person signed in (None when this screen has no one)."""
        who = self.selling.who
        if who is None or who.actor is None:
            return None
        return who.decide(permission)

    def person_changed(self, actor: Any) -> None:
        """Someone signed in (or the till locked): grey what their role may never do here."""
        for key, permissions in KEY_PERMISSIONS.items():
            greyed = actor is not None and all(refused_outright(actor.role, p) for p in permissions)
            self.buttons[key].setEnabled(not greyed)
        decision = self.decide(Permission.SELL) if actor is not None else None
        if decision is not None and decision.outcome is Outcome.REFUSED:
            self.show_message(f"{sentence(decision.reason)}: this till sells for "
                              "cashiers and managers.", "info")  # fmt: skip

    def set_shift(self, session: Any) -> None:
        """The shift menu read the till's cash session: say so when none is open."""
        self.shift_open = session is not None
        self.shift_label.setVisible(not self.shift_open)

    # --- keys in the scan field -------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.scan_edit
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
        ):
            return self._scan_key(event)
        return super().eventFilter(watched, event)

    def _scan_key(self, event: QKeyEvent) -> bool:
        key = event.key()
        rows = self.model.rowCount()
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and rows:
            index = self.table.currentIndex()
            row = index.row() if index.isValid() else rows
            row = max(0, row - 1) if key == Qt.Key.Key_Up else min(rows - 1, row + 1)
            self.select_row(row)
            return True
        if key == Qt.Key.Key_Delete and not self.scan_edit.text():
            if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
                self.void_sale()
            else:
                self.remove_line()
            return True
        method = self._function_keys.get(key)
        if method is not None:  # the shortcut did not take it (the window was not active yet)
            getattr(self, method)()
            return True
        if key == Qt.Key.Key_Escape:
            self.scan_edit.clear()
            self.show_message("", "info")
            return True
        return False
