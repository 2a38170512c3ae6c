"""How numbers look on screen: money in the shop's currency and the person's locale (babel)."""

from __future__ import annotations

import logging
from functools import lru_cache

from babel.numbers import format_decimal

from pos.domain.locales import system_locale
from pos.domain.money import format_amount

log = logging.getLogger(__name__)

class MoneyFormatter:
    """Formats integer minor units of one currency: 1999 EUR -> '€19.99' (en) or '19,99 €' (de)."""

    def __init__(self, currency: str, locale: str | None = None) -> None:
        self.currency = currency
        self.locale = locale or system_locale()
        self.format = lru_cache(maxsize=4096)(self._format)  # prices repeat a lot in a catalog

    def _format(self, minor: int) -> str:
        return format_amount(minor, self.currency, self.locale)

    def range(self, low: int, high: int) -> str:
        if low == high:
            return self.format(low)
        return f"{self.format(low)} – {self.format(high)}"

    def count(self, value: int) -> str:
        return format_decimal(value, locale=self.locale)
