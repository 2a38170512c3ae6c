"""Totals of a cart: per-line amounts and tax, tax per rate, and the cart total.

Each line's amount is ``unit_price * quantity - discount``; that amount is the net when the shop's
prices exclude tax and the gross when they include it, and its tax follows the rounding rule of
pos.domain.tax (per line, half up). The cart's figures are sums of the lines, so:

- the line totals add up to the cart total to the minor unit;
- the line taxes add up to the tax breakdown's total;
- ``total == subtotal - discount + tax`` with tax-exclusive prices and
  ``total == subtotal - discount`` with tax-inclusive prices.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pos.domain.currency import check_currency
from pos.domain.errors import CurrencyMismatchError, DomainError
from pos.domain.money import Money, total
from pos.domain.tax import LineTax, TaxBreakdown, TaxRate, line_tax


@dataclass(frozen=True, slots=True)
class CartLine:
    """`quantity` (> 0) of an item at `unit_price`, less an optional whole-line `discount`."""

    unit_price: Money
    quantity: int
    tax_rate: TaxRate | None = None
    discount: Money | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.unit_price, Money):
            raise TypeError(f"unit_price must be Money, not {type(self.unit_price).__name__}")
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int):
            raise TypeError(f"quantity must be an int, not {type(self.quantity).__name__}")
        if self.quantity <= 0:
            raise DomainError(f"quantity {self.quantity} must be at least 1", field="quantity")
        if self.unit_price.is_negative:
            raise DomainError(f"unit price {self.unit_price} must not be negative", field="unit_price")
        if self.tax_rate is not None and not isinstance(self.tax_rate, TaxRate):
            raise TypeError(f"tax_rate must be a TaxRate or None, not {type(self.tax_rate).__name__}")
        discount = Money.zero(self.unit_price.currency) if self.discount is None else self.discount
        if not isinstance(discount, Money):
            raise TypeError(f"discount must be Money or None, not {type(discount).__name__}")
        if discount.currency != self.unit_price.currency:
            raise CurrencyMismatchError(
                f"a {discount.currency} discount cannot apply to a {self.unit_price.currency} price"
            )
        if discount.is_negative:
            raise DomainError(f"discount {discount} must not be negative", field="discount")
        if discount > self.unit_price * self.quantity:
            raise DomainError(
                f"discount {discount} is more than the line's {self.unit_price * self.quantity}",
                field="discount",
            )
        object.__setattr__(self, "discount", discount)

    @property
    def currency(self) -> str:
        return self.unit_price.currency


@dataclass(frozen=True, slots=True)
class LineTotal:
    """One line priced: `total` is what the customer pays for it (its gross)."""

    line: CartLine
    subtotal: Money  # unit_price * quantity
    discount: Money
    net: Money
    tax: Money
    gross: Money

    @property
    def total(self) -> Money:
        return self.gross


@dataclass(frozen=True, slots=True)
class CartTotals:
    currency: str
    prices_include_tax: bool
    lines: tuple[LineTotal, ...]
    breakdown: TaxBreakdown
    subtotal: Money  # sum of unit_price * quantity, before discounts
    discount: Money
    net: Money
    tax: Money
    total: Money


def price_line(line: CartLine, prices_include_tax: bool) -> LineTotal:
    subtotal = line.unit_price * line.quantity
    discount = line.discount if line.discount is not None else Money.zero(line.currency)
    taxed = line_tax(subtotal - discount, line.tax_rate, inclusive=prices_include_tax)
    return LineTotal(
        line=line, subtotal=subtotal, discount=discount, net=taxed.net, tax=taxed.tax, gross=taxed.gross
    )


def cart_totals(lines: Iterable[CartLine], *, currency: str, prices_include_tax: bool) -> CartTotals:
    """Price every line and sum the cart. All lines must be in `currency`."""
    check_currency(currency)
    priced: list[LineTotal] = []
    for position, line in enumerate(lines, start=1):
        if not isinstance(line, CartLine):
            raise TypeError(f"line {position} must be a CartLine, not {type(line).__name__}")
        if line.currency != currency:
            raise CurrencyMismatchError(f"line {position} is in {line.currency}, the cart in {currency}")
        priced.append(price_line(line, prices_include_tax))
    breakdown = TaxBreakdown.of(((p.line.tax_rate, _as_line_tax(p)) for p in priced), currency)
    subtotal = total((p.subtotal for p in priced), currency)
    discount = total((p.discount for p in priced), currency)
    # The total comes from the price basis and the breakdown, not from the line totals, so that
    # the "line totals add up" invariant is a real check on the arithmetic.
    cart_total = subtotal - discount if prices_include_tax else subtotal - discount + breakdown.tax
    return CartTotals(
        currency=currency,
        prices_include_tax=prices_include_tax,
        lines=tuple(priced),
        breakdown=breakdown,
        subtotal=subtotal,
        discount=discount,
        net=breakdown.net,
        tax=breakdown.tax,
        total=cart_total,
    )


def _as_line_tax(priced: LineTotal) -> LineTax:
    return LineTax(net=priced.net, tax=priced.tax, gross=priced.gross)
