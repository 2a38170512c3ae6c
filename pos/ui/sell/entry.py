"""What a cashier types, turned into numbers: quantities, amounts, discounts and "3*" scan prefixes.

Every parser raises EntryError with a sentence for the screen; nothing here touches a cart, so a
refused entry changes nothing. Amounts become integer minor units through Money.exact.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from pos.domain.errors import DomainError
from pos.domain.money import Money

MAX_QUANTITY = 9999
_QUANTITY_PREFIX = re.compile(r"^\s*(\d{1,4})\s*[*xX×]\s*(\S.*)$")


class EntryError(ValueError):
    """Input a person typed that cannot be used; the message says why and what to type instead."""


def parse_quantity(text: str) -> int:
    """A whole quantity from 1 to MAX_QUANTITY."""
    value = text.strip()
    if not value:
        raise EntryError("Type a quantity, for example 3.")
    if not re.fullmatch(r"[+-]?\d+", value):
        raise EntryError(f"“{value}” is not a quantity: type a whole number such as 3.")
    number = int(value)
    if number < 1:
        raise EntryError(f"The quantity must be at least 1 (you typed {number}). Use Del to remove a line.")
    if number > MAX_QUANTITY:
        raise EntryError(f"{number:,} is more than {MAX_QUANTITY:,}: check the quantity.")
    return number


def _decimal(text: str) -> Decimal:
    value = text.strip().replace(" ", "")
    for symbol in ("€", "$", "£"):
        value = value.replace(symbol, "")
    if "," in value and "." not in value and value.count(",") == 1:
        value = value.replace(",", ".")  # "12,50" as typed where the comma is the decimal mark
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", value):
        raise EntryError(f"“{text.strip()}” is not an amount: type a number such as 12.50.")
    try:
        return Decimal(value)
    except InvalidOperation:
        raise EntryError(f"“{text.strip()}” is not an amount: type a number such as 12.50.") from None


def parse_amount(text: str, currency: str, *, allow_zero: bool = False) -> Money:
    """A positive amount of `currency` ("12.5", "12,50", "€12.50")."""
    if not text.strip():
        raise EntryError("Type an amount, for example 20.00.")
    try:
        amount = Money.exact(_decimal(text), currency)
    except DomainError as exc:
        if exc.field == "decimals":  # said with the text as typed ("1,005"), not as parsed
            raise EntryError(f"{text.strip()} has {exc}.") from None
        raise EntryError(str(exc)) from None
    if amount.minor < 0 or (amount.minor == 0 and not allow_zero):
        raise EntryError(f"The amount must be more than zero (you typed {text.strip()}).")
    return amount


def parse_percent(text: str) -> Decimal:
    """A percentage above 0 and at most 100 ("10", "12.5", "10%")."""
    value = text.strip().removesuffix("%").strip()
    number = _decimal(value) if value else None
    if number is None:
        raise EntryError("Type a percentage, for example 10%.")
    if number <= 0 or number > 100:
        raise EntryError(f"A percentage must be above 0 and at most 100 (you typed {text.strip()}).")
    return number


def split_quantity_prefix(text: str) -> tuple[int, str]:
    """ "3*4006381333931" -> (3, "4006381333931"); a plain code -> (1, code)."""
    match = _QUANTITY_PREFIX.match(text)
    if match is None:
        return 1, text.strip()
    return parse_quantity(match.group(1)), match.group(2).strip()
