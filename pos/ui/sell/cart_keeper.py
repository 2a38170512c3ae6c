"""The sell screen's cart lives on the database lane; the UI thread sees only snapshots of it.

`Cart` is mutable and not thread-safe, and scanning needs the database, so every change to the cart
(a scan, a quantity, a discount, resuming a parked cart, the checkout) runs as one call on the
task runner's "db" lane, which is a single thread: changes apply in the order the cashier made them.
Each call returns a `CartView`, an immutable picture of the cart that the table model shows.
No Qt here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pos.domain.cart import Discount
from pos.domain.cart_totals import CartTotals
from pos.domain.errors import DomainError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CartLineView:
    line_id: str
    variant_id: str | None
    title: str
    sku: str
    quantity: int
    unit_price: int  # minor units, in the shop's price basis (inclusive or exclusive)
    discount: int  # line discount plus its share of the cart discount
    discount_text: str  # "10 %" or "" as the cashier set it on the line
    amount: int  # unit_price * quantity - discount, in the shop's price basis
    stock_after: int | None  # shown stock once this cart is sold; None when unknown or no variant
    fixed_price: bool


@dataclass(frozen=True)
class CartView:
    currency: str
    prices_include_tax: bool
    lines: tuple[CartLineView, ...]
    totals: CartTotals
    customer_id: str | None
    customer_name: str | None
    cart_discount_text: str
    changed_line: str | None = None  # the line the last action added or changed (selected on screen)

    @property
    def is_empty(self) -> bool:
        return not self.lines

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)


@dataclass
class ScanOutcome:
    status: str  # "added" | "choose_variant" | "unknown" | "invalid"
    message: str
    choices: Sequence[Any]
    view: CartView


def discount_text(discount: Discount | None, money: Any = None) -> str:
    """How a Discount reads on screen: "10 %" or "€1.50" (`money` formats minor units)."""
    if discount is None:
        return ""
    if discount.kind == "percent" and discount.rate is not None:
        return f"{discount.rate.normalize():f} %"
    if discount.money is not None:
        return money.format(discount.money.minor) if money is not None else str(discount.money)
    return discount.describe()


@dataclass
class CartKeeper:
    """Owns one Cart; call its methods only on the db lane (or inline in a test's SyncTaskRunner)."""

    service: Any  # CheckoutService
    customers: Any = None  # CustomerService, to name a resumed cart's customer
    money: Any = None  # formats discount amounts
    cart: Any = None
    customer_name: str | None = None
    _stock: dict[str, int | None] = field(default_factory=dict)  # shown stock per variant (before this cart)

    def start(self) -> CartView:
        if self.cart is None:
            self.cart = self.service.new_cart()
        return self.view()

    # --- changes ---------------------------------------------------------------------------------

    def scan(self, code: str, quantity: int = 1) -> ScanOutcome:
        result = self.service.scan(self.cart, code)
        changed = None
        message = result.message or ""
        item = result.item
        if result.status == "added" and item is not None:
            changed = item.line_id
            if quantity > 1:  # "3*code": the scan added one, the cashier asked for `quantity`
                try:
                    item = self.cart.set_quantity(item.line_id, item.quantity + quantity - 1)
                    message = f"{item.quantity} × {item.title}"
                except DomainError as exc:  # a weighed item: one per scan
                    message = f"{message}. {exc}"
            self._learn_stock(item)
        return ScanOutcome(result.status, message, tuple(result.choices or ()), self.view(changed))

    def add_variant(self, variant_id: str, quantity: int = 1) -> CartView:
        item = self.service.add_variant(self.cart, variant_id, quantity)
        self._learn_stock(item)
        return self.view(item.line_id)

    def set_quantity(self, line_id: str, quantity: int) -> CartView:
        self.cart.set_quantity(line_id, quantity)
        return self.view(line_id)

    # Voids and discounts go through the service, which checks the permission (a cashier's void or
    # a discount above the limit raises PermissionDenied until a manager's `approval` is given)
    # and audits them.

    def remove(self, line_id: str, approval: Any = None) -> CartView:
        self.service.void_line(self.cart, line_id, approval=approval)
        return self.view()

    def set_line_discount(self, line_id: str, discount: Any, approval: Any = None) -> CartView:
        self.service.set_line_discount(self.cart, line_id, discount, approval=approval)
        return self.view(line_id)

    def set_discount(self, discount: Any, approval: Any = None) -> CartView:
        self.service.set_cart_discount(self.cart, discount, approval=approval)
        return self.view()

    def void_cart(self, approval: Any = None) -> CartView:
        """Void the whole sale (audited); a new, empty cart follows."""
        self.service.void_cart(self.cart, approval=approval)
        return self.fresh()

    def set_customer(self, customer_id: str | None, name: str | None) -> CartView:
        self.cart.customer_id = customer_id
        self.customer_name = name if customer_id else None
        return self.view()

    def replace(self, cart: Any) -> CartView:
        """A resumed parked cart becomes the cart on screen."""
        self.cart = cart
        self.customer_name = None
        if cart.customer_id and self.customers is not None:
            customer = self.customers.get(cart.customer_id)
            self.customer_name = getattr(customer, "name", None) if customer is not None else None
        for item in cart.items:
            self._learn_stock(item)
        return self.view()

    def checkout(self, tenders: Sequence[Any]) -> tuple[Any, CartView]:
        """Commit the sale (durable when this returns; the service names the signed-in cashier),
        then start a new cart."""
        completed = self.service.checkout(self.cart, list(tenders))
        self.forget_stock()  # this sale moved stock
        return completed, self.fresh()

    def park(self, parked: Any, label: str | None = None) -> tuple[str, CartView]:
        parked_id = parked.park(self.cart, label)
        return parked_id, self.fresh()

    def resume(self, parked: Any, parked_id: str) -> CartView:
        return self.replace(parked.resume(parked_id))

    def fresh(self) -> CartView:
        """After a sale or when the cart was parked: a new, empty cart."""
        self.cart = self.service.new_cart()
        self.customer_name = None
        return self.view()

    # --- reading ---------------------------------------------------------------------------------

    def _item(self, line_id: str) -> Any:
        return next(item for item in self.cart.items if item.line_id == line_id)

    def _learn_stock(self, item: Any) -> None:
        """Remember the shown stock of the item's product's variants (read once per cart and product)."""
        if item.variant_id is None or item.variant_id in self._stock or item.product_id is None:
            return
        try:
            for choice in self.service.variants(item.product_id):
                self._stock[choice.variant_id] = choice.stock
        except Exception:  # a stock figure is a hint on screen, never a reason to refuse a scan
            log.exception("could not read the shown stock of variant %s", item.variant_id)
        self._stock.setdefault(item.variant_id, None)

    def forget_stock(self) -> None:
        """Stock changed (a pull, a sale): read it again the next time a variant is scanned."""
        self._stock.clear()

    def view(self, changed_line: str | None = None) -> CartView:
        cart = self.cart
        totals = cart.totals()
        in_cart: dict[str, int] = {}
        for item in cart.items:
            if item.variant_id is not None:
                in_cart[item.variant_id] = in_cart.get(item.variant_id, 0) + item.quantity
        lines = []
        for item, priced in zip(cart.items, totals.lines, strict=True):
            stock = self._stock.get(item.variant_id) if item.variant_id is not None else None
            lines.append(
                CartLineView(
                    line_id=item.line_id,
                    variant_id=item.variant_id,
                    title=item.title,
                    sku=item.sku or "",
                    quantity=item.quantity,
                    unit_price=item.unit_price.minor,
                    discount=priced.discount.minor,
                    discount_text=discount_text(item.discount, self.money),
                    amount=(priced.subtotal - priced.discount).minor,
                    stock_after=None if stock is None else stock - in_cart[item.variant_id],
                    fixed_price=bool(getattr(item, "fixed_price", False)),
                )
            )
        return CartView(
            currency=cart.currency,
            prices_include_tax=cart.prices_include_tax,
            lines=tuple(lines),
            totals=totals,
            customer_id=cart.customer_id,
            customer_name=self.customer_name,
            cart_discount_text=discount_text(cart.discount, self.money),
            changed_line=changed_line,
        )
