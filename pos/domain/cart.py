"""The cart at the counter: items, line discounts, a cart discount, and its totals.

Pricing is pos.domain.cart_totals' job; the cart only decides each line's discount in money:

- a line discount is a percentage of the line's amount (``unit_price * quantity``), rounded half
  up, or a fixed amount, never more than the line's amount;
- the cart discount applies to the lines' amounts after their own discounts; it is split over the
  lines in proportion to those amounts with Money.allocate (no cent lost or made) and added to each
  line's discount before tax, so every line's tax is computed on what the customer really pays.

`Cart` is mutable and owned by one screen (not thread-safe); `CartItem` and `Discount` are frozen.
`to_dict`/`from_dict` give a JSON-safe form (parked carts) that round-trips exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pos.domain.cart_totals import CartLine, CartTotals, cart_totals
from pos.domain.currency import check_currency
from pos.domain.errors import CurrencyMismatchError, DomainError
from pos.domain.ids import new_id
from pos.domain.money import Money, round_half_up
from pos.domain.tax import TaxRate

MAX_QUANTITY = 1_000_000  # the wire protocol's bound on a line's quantity
MAX_LINES = 1000  # the wire protocol's bound on a sale's lines


@dataclass(frozen=True, slots=True)
class Discount:
    """A percentage (0 < p <= 100) or an amount (> 0) off; build with `percent` or `amount`."""

    kind: Literal["percent", "amount"]
    rate: Decimal | None = None  # percent, when kind == "percent"
    money: Money | None = None  # when kind == "amount"

    @classmethod
    def percent(cls, value: Decimal | str | int) -> Discount:
        if isinstance(value, float):
            raise TypeError(f"a discount percentage must not be a float ({value!r}): use a Decimal or a str")
        try:
            rate = Decimal(value.strip() if isinstance(value, str) else value)
        except (InvalidOperation, TypeError):
            raise DomainError(
                f"{value!r} is not a percentage: give a number such as 10 or 12.5", field="discount"
            ) from None
        if not rate.is_finite() or not 0 < rate <= 100:
            raise DomainError(
                f"a discount of {value} % is out of range: it must be more than 0 and at most 100",
                field="discount",
            )
        if rate.as_tuple().exponent < -4:  # type: ignore[operator]
            raise DomainError(f"a discount of {value} % has more than 4 decimal places", field="discount")
        return cls("percent", rate=rate)

    @classmethod
    def amount(cls, value: Money) -> Discount:
        if not isinstance(value, Money):
            raise TypeError(f"a discount amount must be Money, not {type(value).__name__}")
        if value.minor <= 0:
            raise DomainError(f"a discount of {value} must be more than zero", field="discount")
        return cls("amount", money=value)

    def of(self, base: Money) -> Money:
        """The discount on `base` in money, never more than `base`."""
        if self.kind == "percent":
            assert self.rate is not None
            return Money(round_half_up(base.minor * self.rate / 100), base.currency)
        assert self.money is not None
        if self.money.currency != base.currency:
            raise CurrencyMismatchError(f"a {self.money.currency} discount cannot apply to {base.currency}")
        return min(self.money, base)

    def to_dict(self) -> dict[str, Any]:
        if self.kind == "percent":
            return {"percent": str(self.rate)}
        assert self.money is not None
        return {"amount": self.money.minor, "currency": self.money.currency}

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Discount:
        if "percent" in doc:
            return cls.percent(str(doc["percent"]))
        return cls.amount(Money(int(doc["amount"]), str(doc["currency"])))

    def describe(self) -> str:
        return f"{self.rate} %" if self.kind == "percent" else str(self.money)


@dataclass(frozen=True, slots=True)
class CartItem:
    """One line of the cart. `fixed_price`: from a price/weight-embedded barcode (never merged)."""

    line_id: str
    variant_id: str | None
    product_id: str | None
    sku: str
    title: str
    unit_price: Money
    tax_rate: TaxRate | None
    quantity: int = 1
    discount: Discount | None = None
    fixed_price: bool = False
    # The most this line's discount was accepted for (the person's own limit, or a manager's
    # approval), in minor units: more quantity can make a percentage worth more than that.
    discount_allowed: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.unit_price, Money):
            raise TypeError(f"unit_price must be Money, not {type(self.unit_price).__name__}")
        if self.unit_price.is_negative:
            raise DomainError(f"the price {self.unit_price} must not be negative", field="unit_price")
        check_quantity(self.quantity)

    @property
    def amount(self) -> Money:
        """unit_price * quantity, before any discount."""
        return self.unit_price * self.quantity

    def line_discount(self) -> Money:
        return self.discount.of(self.amount) if self.discount else Money.zero(self.unit_price.currency)

    def to_dict(self) -> dict[str, Any]:
        rate = self.tax_rate
        return {
            "line_id": self.line_id,
            "variant_id": self.variant_id,
            "product_id": self.product_id,
            "sku": self.sku,
            "title": self.title,
            "unit_price": self.unit_price.minor,
            "tax_rate": None if rate is None else {"id": rate.id, "name": rate.name, "rate": str(rate.rate)},
            "quantity": self.quantity,
            "discount": self.discount.to_dict() if self.discount else None,
            "fixed_price": self.fixed_price,
            "discount_allowed": self.discount_allowed,
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any], currency: str) -> CartItem:
        rate = doc.get("tax_rate")
        discount = doc.get("discount")
        return cls(
            line_id=str(doc["line_id"]),
            variant_id=doc.get("variant_id"),
            product_id=doc.get("product_id"),
            sku=str(doc["sku"]),
            title=str(doc["title"]),
            unit_price=Money(int(doc["unit_price"]), currency),
            tax_rate=None if rate is None else TaxRate(rate["id"], rate["name"], rate["rate"]),
            quantity=int(doc["quantity"]),
            discount=None if discount is None else Discount.from_dict(discount),
            fixed_price=bool(doc.get("fixed_price", False)),
            discount_allowed=_minor_or_none(doc.get("discount_allowed")),
        )


def check_quantity(quantity: object) -> int:
    """`quantity` if it is a whole number from 1 to MAX_QUANTITY, else DomainError saying why."""
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise DomainError(f"the quantity must be a whole number, not {quantity!r}", field="quantity")
    if quantity < 1:
        raise DomainError(f"the quantity must be at least 1, not {quantity}", field="quantity")
    if quantity > MAX_QUANTITY:
        raise DomainError(f"the quantity {quantity:,} is more than {MAX_QUANTITY:,}", field="quantity")
    return quantity


@dataclass
class Cart:
    currency: str
    prices_include_tax: bool
    items: list[CartItem] = field(default_factory=list)
    customer_id: str | None = None
    discount: Discount | None = None
    discount_allowed: int | None = None  # as CartItem.discount_allowed, for the cart discount

    def __post_init__(self) -> None:
        check_currency(self.currency)
        for item in self.items:
            self._check_currency(item)

    # --- changing the cart -----------------------------------------------------------------------

    def add(self, item: CartItem) -> CartItem:
        """Add a line, or raise the quantity of the same variant's line; returns the line as it is now.

        Lines merge only when both are plain (same variant and price, not fixed-price, no line
        discount): a discounted line or a weighed item stays a line of its own.
        """
        self._check_currency(item)
        for index, existing in enumerate(self.items):
            if _mergeable(existing, item):
                merged = replace(existing, quantity=check_quantity(existing.quantity + item.quantity))
                self.items[index] = merged
                return merged
        if len(self.items) >= MAX_LINES:
            raise DomainError(f"a sale has at most {MAX_LINES} lines: finish this sale first", field="items")
        self.items.append(item)
        return item

    def set_quantity(self, line_id: str, quantity: int) -> CartItem:
        index = self._index(line_id)
        check_quantity(quantity)
        item = self.items[index]
        if item.fixed_price and quantity != 1:
            raise DomainError(
                f"“{item.title}” has its price from the scale's barcode: scan it again for another one",
                field="quantity",
            )
        updated = replace(item, quantity=quantity)
        self.items[index] = updated
        return updated

    def remove(self, line_id: str) -> CartItem:
        return self.items.pop(self._index(line_id))

    def set_line_discount(
        self, line_id: str, discount: Discount | None, allowed: Money | None = None
    ) -> CartItem:
        """`allowed`: the discount money the person setting it may give (CartItem.discount_allowed)."""
        index = self._index(line_id)
        item = self.items[index]
        if discount is not None:
            self._check_discount(discount, item.amount, f"the line “{item.title}”")
        updated = replace(item, discount=discount, discount_allowed=_minor(allowed, discount))
        self.items[index] = updated
        return updated

    def set_discount(self, discount: Discount | None, allowed: Money | None = None) -> None:
        """`allowed`: as in set_line_discount."""
        if discount is not None:
            self._check_discount(discount, self.discount_base(), "the cart")
        self.discount = discount
        self.discount_allowed = _minor(allowed, discount)

    def clear(self) -> None:
        self.items.clear()
        self.customer_id = None
        self.discount = None
        self.discount_allowed = None

    def discount_base(self) -> Money:
        """What the cart discount applies to: the lines' amounts after their own discounts."""
        return sum(self._after_line_discounts(), Money.zero(self.currency))

    @property
    def is_empty(self) -> bool:
        return not self.items

    def item(self, line_id: str) -> CartItem:
        return self.items[self._index(line_id)]

    # --- totals ----------------------------------------------------------------------------------

    def line_discounts(self) -> list[Money]:
        """Each line's whole discount: its own plus its share of the cart discount."""
        own = [item.line_discount() for item in self.items]
        base = self._after_line_discounts()
        base_total = sum(base, Money.zero(self.currency))
        if self.discount is None or base_total.is_zero:
            return own
        cart_off = self.discount.of(base_total)
        if cart_off.is_zero:
            return own
        shares = cart_off.allocate([amount.minor for amount in base])
        return [mine + share for mine, share in zip(own, shares, strict=True)]

    def totals(self) -> CartTotals:
        lines = [
            CartLine(item.unit_price, item.quantity, item.tax_rate, discount)
            for item, discount in zip(self.items, self.line_discounts(), strict=True)
        ]
        return cart_totals(lines, currency=self.currency, prices_include_tax=self.prices_include_tax)

    # --- persistence -----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "prices_include_tax": self.prices_include_tax,
            "customer_id": self.customer_id,
            "discount": self.discount.to_dict() if self.discount else None,
            "discount_allowed": self.discount_allowed,
            "items": [item.to_dict() for item in self.items],
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Cart:
        currency = str(doc["currency"])
        discount = doc.get("discount")
        return cls(
            currency=currency,
            prices_include_tax=bool(doc["prices_include_tax"]),
            items=[CartItem.from_dict(item, currency) for item in doc.get("items", [])],
            customer_id=doc.get("customer_id"),
            discount=None if discount is None else Discount.from_dict(discount),
            discount_allowed=_minor_or_none(doc.get("discount_allowed")),
        )

    # --- helpers ---------------------------------------------------------------------------------

    def _after_line_discounts(self) -> list[Money]:
        return [item.amount - item.line_discount() for item in self.items]

    def _index(self, line_id: str) -> int:
        for index, item in enumerate(self.items):
            if item.line_id == line_id:
                return index
        raise DomainError("that line is no longer in the cart", field="line_id")

    def _check_currency(self, item: CartItem) -> None:
        if item.unit_price.currency != self.currency:
            raise CurrencyMismatchError(
                f"“{item.title}” is priced in {item.unit_price.currency}, the cart in {self.currency}"
            )

    def _check_discount(self, discount: Discount, base: Money, what: str) -> None:
        if discount.kind == "amount":
            assert discount.money is not None
            if discount.money.currency != self.currency:
                raise CurrencyMismatchError(f"a {discount.money.currency} discount on a {self.currency} cart")
            if discount.money > base:
                raise DomainError(
                    f"a discount of {discount.money} is more than {what} comes to ({base})", field="discount"
                )


def new_item(
    *,
    variant_id: str | None,
    product_id: str | None,
    sku: str,
    title: str,
    unit_price: Money,
    tax_rate: TaxRate | None,
    quantity: int = 1,
    fixed_price: bool = False,
) -> CartItem:
    """A cart line with a fresh line id."""
    return CartItem(
        new_id(), variant_id, product_id, sku, title, unit_price, tax_rate, quantity, None, fixed_price
    )


def _mergeable(existing: CartItem, item: CartItem) -> bool:
    return (
        existing.variant_id is not None
        and existing.variant_id == item.variant_id
        and not existing.fixed_price
        and not item.fixed_price
        and existing.discount is None
        and item.discount is None
        and existing.unit_price == item.unit_price
    )


def item_count(items: Iterable[CartItem]) -> int:
    return sum(item.quantity for item in items)


def _minor(allowed: Money | None, discount: Discount | None) -> int | None:
    return None if discount is None or allowed is None else allowed.minor


def _minor_or_none(value: object) -> int | None:
    """A stored discount_allowed (a parked cart's JSON; carts parked before it have none)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None
