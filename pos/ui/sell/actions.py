"""The sell screen's function keys: each opens a dialog or changes the cart through the db lane.

Kept apart from the screen's layout so each action reads on its own; `screen` is the SellScreen.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from pos.domain.cart import Discount
from pos.domain.errors import sentence
from pos.domain.permissions import Permission
from pos.services.cash_sessions import NoOpenSession
from pos.ui.sell.entry import parse_amount, parse_percent, parse_quantity
from pos.ui.sell.prompt import PromptDialog

if TYPE_CHECKING:
    from pos.ui.sell.sell_screen import SellScreen

log = logging.getLogger(__name__)


def _need_line(screen: SellScreen) -> Any:
    line = screen.current_line()
    if line is None:
        screen.refuse(
            "The cart is empty: scan an item first."
            if screen.model.rowCount() == 0
            else "Choose a line with ↑ ↓ first."
        )
    return line


def parse_discount(text: str, currency: str) -> Discount | None:
    """ "10%" -> 10 percent off, "2.50" -> 2.50 off, "0" or empty -> no discount."""
    value = text.strip()
    if value in ("", "0", "0%"):
        return None
    if value.endswith("%"):
        return Discount.percent(parse_percent(value))
    return Discount.amount(parse_amount(value, currency))


def change_quantity(screen: SellScreen) -> None:
    line = _need_line(screen)
    if line is None:
        return
    dialog = PromptDialog(
        "Quantity",
        f"How many of “{line.title}”?",
        parse_quantity,
        str(line.quantity),
        "Enter to set, Esc to keep it",
        screen,
    )
    dialog.accepted_value.connect(
        lambda quantity: screen.run(screen.keeper.set_quantity, line.line_id, quantity, then=screen.show_view)
    )
    screen.show_dialog(dialog)


def line_discount(screen: SellScreen) -> None:
    line = _need_line(screen)
    if line is None:
        return
    currency = screen.money.currency
    dialog = PromptDialog(
        "Line discount",
        f"Discount on “{line.title}”",
        lambda text: parse_discount(text, currency),
        line.discount_text,
        "10% for a percentage, 2.50 for an amount, 0 to remove",
        screen,
    )
    dialog.accepted_value.connect(
        lambda discount: screen.run_approved(
            screen.keeper.set_line_discount, line.line_id, discount, then=screen.show_view
        )
    )
    screen.show_dialog(dialog)


def cart_discount(screen: SellScreen) -> None:
    if screen.view is None or screen.view.is_empty:
        screen.refuse("The cart is empty: scan an item first.")
        return
    currency = screen.money.currency
    dialog = PromptDialog(
        "Cart discount",
        "Discount on the whole cart",
        lambda text: parse_discount(text, currency),
        screen.view.cart_discount_text,
        "10% for a percentage, 2.50 for an amount, 0 to remove",
        screen,
    )
    dialog.accepted_value.connect(
        lambda discount: screen.run_approved(screen.keeper.set_discount, discount, then=screen.show_view)
    )
    screen.show_dialog(dialog)


def remove_line(screen: SellScreen) -> None:
    line = _need_line(screen)
    if line is None:
        return

    def removed(view: Any) -> None:
        screen.show_view(view)
        screen.show_message(f"Removed {line.title}", "info")

    screen.run_approved(screen.keeper.remove, line.line_id, then=removed)


def void_sale(screen: SellScreen) -> None:
    """Ctrl+Del: void the whole cart (asked first; a cashier needs a manager; audited)."""
    if screen.view is None or screen.view.is_empty:
        screen.refuse("The cart is empty: there is nothing to void.")
        return
    from pos.ui.sell.confirm import confirm

    count = len(screen.view.lines)

    def voided(view: Any) -> None:
        screen.show_view(view)
        screen.show_message("Sale voided: the cart is empty.", "info")

    def really() -> None:
        screen.run_approved(screen.keeper.void_cart, then=voided)

    _track(screen, confirm(screen, "Void sale", f"Void this sale ({count} line{'s' if count != 1 else ''})? "
                           "Nothing is sold and the cart is emptied.", "Void sale", really))  # fmt: skip


def _track(screen: SellScreen, box: Any) -> None:
    """A question box is the screen's dialog while it is open; the scan field gets the keys after."""
    screen.dialog = box

    def closed(_result: int) -> None:
        if screen.dialog is box:
            screen.dialog = None
        screen.focus_scan()

    box.finished.connect(closed)


def open_search(screen: SellScreen) -> None:
    from pos.ui.sell.search_dialog import ProductSearchDialog

    dialog = ProductSearchDialog(screen.selling.checkout, screen.tasks, screen.money, screen)
    dialog.variant_chosen.connect(lambda variant_id: screen.add_variant(variant_id))
    dialog.choices_needed.connect(lambda choices: screen.pick_variant(choices))
    screen.show_dialog(dialog)


def open_customer(screen: SellScreen) -> None:
    if screen.selling.customers is None:
        screen.refuse("Customers are not available on this till.")
        return
    from pos.ui.customers.picker import CustomerPicker

    current = screen.view.customer_id if screen.view is not None else None
    dialog = CustomerPicker(screen.selling.customers, screen.tasks, current, screen)

    def chosen(customer: Any) -> None:
        customer_id = getattr(customer, "id", None) if customer is not None else None
        name = getattr(customer, "name", None) if customer is not None else None
        screen.run(screen.keeper.set_customer, customer_id, name, then=screen.show_view)
        if dialog.created:
            screen.outbox_touched.emit()

    dialog.customer_chosen.connect(chosen)
    screen.show_dialog(dialog)


def park_cart(screen: SellScreen) -> None:
    parked = screen.selling.parked
    if parked is None:
        screen.refuse("Parking carts is not available on this till.")
        return
    if screen.view is None or screen.view.is_empty:
        screen.refuse("The cart is empty: there is nothing to park.")
        return
    label = screen.view.customer_name

    def done(answer: tuple[str, Any]) -> None:
        screen.show_view(answer[1])
        screen.show_message("Cart parked. F8 lists parked carts.", "success")
        screen.focus_scan()

    screen.run(screen.keeper.park, parked, label, then=done)


def open_parked(screen: SellScreen) -> None:
    parked = screen.selling.parked
    if parked is None:
        screen.refuse("Parking carts is not available on this till.")
        return
    from pos.ui.sell.parked_dialog import ParkedCartsDialog

    dialog = ParkedCartsDialog(parked, screen.tasks, screen.money, screen, approvals=screen.approvals)

    def resume(parked_id: str) -> None:
        if screen.view is not None and not screen.view.is_empty:
            screen.refuse("Finish or park the cart on screen before resuming another.")
            return

        def resumed(view: Any) -> None:
            screen.show_view(view)
            screen.show_message("Parked cart resumed.", "success")

        screen.run(screen.keeper.resume, parked, parked_id, then=resumed)

    dialog.resume_requested.connect(resume)
    screen.show_dialog(dialog)


def open_return(screen: SellScreen) -> None:
    returns = screen.selling.returns
    if returns is None:
        screen.refuse("Returns are not available on this till.")
        return
    from pos.ui.sell.returns_dialog import ReturnsDialog

    dialog = ReturnsDialog(returns, screen.tasks, screen.money, screen)

    def returned(completed: Any) -> None:
        screen.show_message(
            f"Return {completed.number} recorded — refund {screen.money.format(completed.total.minor)}",
            "success",
        )
        screen.outbox_touched.emit()
        screen.selling.nudge()
        screen.print_return(completed.payload)
        screen.tasks.run(screen.keeper.forget_stock, lane="db")  # the keeper lives on the db lane

    dialog.return_completed.connect(returned)
    screen.show_dialog(dialog)


def open_payment(screen: SellScreen) -> None:
    decision = screen.decide(Permission.SELL)
    if decision is not None and not decision.allowed:  # the checkout refuses it too
        screen.refuse(f"{sentence(decision.reason)}: ask a cashier or a manager.")
        return
    view = screen.view
    if view is None or view.is_empty:
        screen.refuse("The cart is empty: scan an item first.")
        return
    if screen.shift_open is False:
        offer_shift(screen)
        return
    if view.totals.total.minor <= 0:
        screen.refuse("The total is zero: remove the discount or add an item.")
        return
    from pos.ui.sell.payment_dialog import PaymentDialog

    dialog = PaymentDialog(view.totals.total, screen.money, screen)

    def commit(tenders: list[Any]) -> None:
        def paid(answer: tuple[Any, Any]) -> None:
            completed, fresh = answer
            dialog.paid(completed)
            screen.show_view(fresh)
            change = screen.money.format(completed.settlement.change.minor)
            screen.show_message(f"Paid — change {change} — receipt {completed.number}", "success")
            screen.sale_completed.emit(completed)
            screen.outbox_touched.emit()
            screen.selling.nudge()

        def refused(exc: BaseException) -> None:
            if not isinstance(exc, ValueError):
                log.error("checkout failed", exc_info=exc)
            if isinstance(exc, NoOpenSession):
                screen.set_shift(None)
            text = str(exc) or "The sale could not be recorded; nothing was written."
            dialog.refused(sentence(text))

        screen.run(screen.keeper.checkout, tenders, then=paid, failed=refused)

    dialog.commit_requested.connect(commit)
    screen.show_dialog(dialog)


def offer_shift(screen: SellScreen) -> None:
    """Selling needs an open shift: say so and offer to open one (Enter) or keep the cart (Esc)."""
    from pos.ui.sell.confirm import confirm

    screen.show_message("No shift is open on this till: open one with a float count to sell.", "error")
    box = confirm(screen, "No shift open", "No shift (cash session) is open on this till, so this sale "
                  "cannot be paid yet. Open a shift now with a float count? The cart stays as it is.",
                  "Open shift", screen.shift_needed.emit)  # fmt: skip
    box.setObjectName("offerShift")
    _track(screen, box)


def open_reprint(screen: SellScreen) -> None:
    """F10: reprint a receipt by number (sale or return); Enter alone reprints the last one."""
    printing = screen.printing
    if printing is None:
        screen.refuse("Printing is not set up on this till.")
        return

    def requested(number: str) -> None:
        if number == "held":
            printing.print_held()
        elif number:
            printing.reprint(number)
        else:
            printing.reprint_last()
        screen.show_message("Reprinting…" if number != "held" else "Printing held receipts…", "info")

    dialog = PromptDialog(
        "Reprint",
        "Receipt or return number to reprint",
        lambda text: text.strip(),
        "",
        "Enter alone: the last receipt · “held”: receipts kept for later · Esc: cancel",
        screen,
    )
    dialog.accepted_value.connect(requested)
    screen.show_dialog(dialog)
