"""The cart edits that need the right person: discounts above the limit, voiding a line or a sale.

CheckoutService's methods of the same names call these; the sell screen uses those methods, never
the Cart's own, so a cashier's 30 % discount or a voided line is refused in the service unless a
manager approved it on the spot. Every approved discount and every void is written to the audit
log (with who, what it was before, and the approving manager) in a till-file transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from pos.domain.cart import Cart, CartItem, Discount, item_count
from pos.domain.money import Money
from pos.domain.permissions import Approval, Permission, PermissionDenied, Size
from pos.services.audit import Actor, record
from pos.services.signed_in import SignedIn
from pos.store.database import write_transaction


class CartControls:
    def __init__(self, who: SignedIn, till: Engine, clock: Callable[[], datetime]) -> None:
        self._who = who
        self._till = till
        self._clock = clock

    def set_line_discount(
        self, cart: Cart, line_id: str, discount: Discount | None, approval: Approval | None = None
    ) -> CartItem:
        item = cart.item(line_id)
        size = None if discount is None else _size(discount, item.amount)
        actor, used = self._who.require(Permission.DISCOUNT_LINE, size or Size(amount=_zero(cart)), approval)
        # the cart's own checks (range, <= the line)
        updated = cart.set_line_discount(line_id, discount, allowed=size.amount if size else None)
        if used is not None:
            self._audit(actor, Permission.DISCOUNT_LINE, item.sku, _discount_doc(item.discount),
                        _discount_doc(discount), used)  # fmt: skip
        return updated

    def set_cart_discount(
        self, cart: Cart, discount: Discount | None, approval: Approval | None = None
    ) -> None:
        size = None if discount is None else _size(discount, cart.discount_base())
        actor, used = self._who.require(Permission.DISCOUNT_CART, size or Size(amount=_zero(cart)), approval)
        before = cart.discount
        cart.set_discount(discount, allowed=size.amount if size else None)
        if used is not None:
            before_doc, after_doc = _discount_doc(before), _discount_doc(discount)
            self._audit(actor, Permission.DISCOUNT_CART, "cart", before_doc, after_doc, used)

    def check_grown_discounts(self, cart: Cart, actor: Actor) -> None:
        """Raise PermissionDenied for a percentage discount now worth more than it was accepted for
        (more quantity on the line, more items in the cart) and more than `actor` may give: a 10 %
        discount set on one item and then on a hundred is a new, larger discount. `actor`: the
        signed-in person as the calling operation read them."""
        for item in cart.items:
            if item.discount is not None:
                self._check_grown(actor, item.discount, item.amount, item.discount_allowed,
                                  Permission.DISCOUNT_LINE, f"the discount on “{item.title}”")  # fmt: skip
        if cart.discount is not None:
            self._check_grown(actor, cart.discount, cart.discount_base(), cart.discount_allowed,
                              Permission.DISCOUNT_CART, "the cart discount")  # fmt: skip

    def _check_grown(
        self, actor: Actor, discount: Discount, base: Money, allowed: int | None, permission: Permission,
        what: str,
    ) -> None:  # fmt: skip
        size = _size(discount, base)
        assert size.amount is not None
        if allowed is not None and size.amount.minor <= allowed:
            return
        try:
            self._who.require_of(actor, permission, size)
        except PermissionDenied as exc:
            # None: a cart parked before discounts remembered what they were given for.
            how = "has grown since it was given" if allowed is not None else "is more than you may give"
            exc.args = (f"{what} {how}: {exc}. Give it again (a manager approves it) or take it off. "
                        "Nothing was sold.",)  # fmt: skip
            raise

    def void_line(self, cart: Cart, line_id: str, approval: Approval | None = None) -> CartItem:
        item = cart.item(line_id)
        actor, used = self._who.require(Permission.VOID_LINE, None, approval)
        removed = cart.remove(line_id)
        gone = {"title": item.title, "quantity": item.quantity, "amount": item.amount.minor}
        self._audit(actor, Permission.VOID_LINE, item.sku, gone, None, used)
        return removed

    def void_cart(self, cart: Cart, approval: Approval | None = None) -> None:
        if cart.is_empty:
            cart.clear()
            return
        actor, used = self._who.require(Permission.VOID_SALE, None, approval)
        # "items" (pieces) and "total" as a discarded parked cart's void.sale entry has them (parked.py);
        # "lines" is extra: a parked cart's row does not keep its line count.
        total = cart.totals().total.minor
        before = {"items": item_count(cart.items), "lines": len(cart.items), "total": total}
        cart.clear()
        self._audit(actor, Permission.VOID_SALE, "cart", before, None, used)

    def _audit(
        self, actor: Any, action: Permission, subject: str, before: dict[str, Any] | None,
        after: dict[str, Any] | None, approval: Approval | None,
    ) -> None:  # fmt: skip
        with write_transaction(self._till) as con:
            record(con, actor=actor, action=action, at=self._clock(), subject=subject, before=before,
                   after=after, reason=approval.reason if approval else None, approval=approval)  # fmt: skip


def _size(discount: Discount, base: Money) -> Size:
    """Both limits apply: 5 % of a 500.00 line is 25.00, above an amount limit of 10.00."""
    amount = discount.of(base)
    return Size(percent=discount.rate, amount=amount) if discount.kind == "percent" else Size(amount=amount)


def _zero(cart: Cart) -> Money:
    return Money.zero(cart.currency)


def _discount_doc(discount: Discount | None) -> dict[str, Any] | None:
    return None if discount is None else discount.to_dict()
