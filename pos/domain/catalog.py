"""Catalog value types: locations, products and their variants (TaxRate lives in pos.domain.tax).

Constructing one validates it, so a Product in hand is a product a till can sell: a title, at
least one variant, every variant with a SKU, a non-negative price in the product's one currency
and, if it has a barcode, a valid GTIN. Errors are DomainError with the offending field.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pos.domain.barcode import check_gtin
from pos.domain.errors import DomainError
from pos.domain.money import Money
from pos.domain.tax import TaxRate

__all__ = ["MAX_SKU_LENGTH", "Location", "Product", "ProductStatus", "TaxRate", "Variant"]

MAX_SKU_LENGTH = 64
MAX_TITLE_LENGTH = 500
ProductStatus = Literal["active", "archived"]


def _required_text(value: object, what: str, field_name: str, max_length: int) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    if not value.strip():
        raise DomainError(f"{what} must not be empty", field=field_name)
    if len(value) > max_length:
        raise DomainError(
            f"{what} is too long: {len(value)} characters, at most {max_length}", field=field_name
        )
    return value


@dataclass(frozen=True, slots=True)
class Location:
    """A shop, warehouse or store room that holds stock."""

    id: str
    code: str
    name: str

    def __post_init__(self) -> None:
        _required_text(self.id, "a location id", "id", 64)
        _required_text(self.code, "a location code", "code", 32)
        _required_text(self.name, "a location name", "name", 2000)


@dataclass(frozen=True, slots=True)
class Variant:
    """One sellable item of a product (a size, a colour): its own SKU, barcode and price."""

    id: str
    sku: str
    price: Money
    barcode: str | None = None
    title: str = ""  # option values such as "M / Blue"; "" for a product's only variant
    position: int = 0

    def __post_init__(self) -> None:
        _required_text(self.id, "a variant id", "id", 64)
        sku = _required_text(self.sku, "a SKU", "sku", MAX_SKU_LENGTH)
        if sku != sku.strip() or any(unicodedata.category(ch).startswith("C") for ch in sku):
            raise DomainError(
                f"SKU {sku!r} has leading or trailing spaces or control characters", field="sku"
            )
        if not isinstance(self.price, Money):
            raise TypeError(f"a variant price must be Money, not {type(self.price).__name__}")
        if self.price.is_negative:
            raise DomainError(
                f"price {self.price} of SKU {sku!r} is negative; it must be 0 or more", field="price"
            )
        if self.barcode is not None:
            check_gtin(self.barcode)
        if not isinstance(self.title, str):
            raise TypeError(f"a variant title must be a str, not {type(self.title).__name__}")


@dataclass(frozen=True, slots=True)
class Product:
    """A product with one or more variants, all priced in one currency, taxed at one rate (or none)."""

    id: str
    title: str
    variants: tuple[Variant, ...]
    tax_rate: TaxRate | None = None
    description: str = ""
    category: str = ""
    status: ProductStatus = "active"

    def __post_init__(self) -> None:
        _required_text(self.id, "a product id", "id", 64)
        _required_text(self.title, "a product title", "title", MAX_TITLE_LENGTH)
        if self.status not in ("active", "archived"):
            raise DomainError(f"status {self.status!r} is not 'active' or 'archived'", field="status")
        if self.tax_rate is not None and not isinstance(self.tax_rate, TaxRate):
            raise TypeError(f"tax_rate must be a TaxRate or None, not {type(self.tax_rate).__name__}")
        # Variants may arrive as any sequence; a tuple keeps the Product immutable and hashable.
        object.__setattr__(self, "variants", _check_variants(self.variants, self.title))

    @property
    def currency(self) -> str:
        return self.variants[0].price.currency

    def variant_by_sku(self, sku: str) -> Variant | None:
        return next((v for v in self.variants if v.sku == sku), None)


def _check_variants(variants: Sequence[Variant], title: str) -> tuple[Variant, ...]:
    if isinstance(variants, str | bytes) or not isinstance(variants, Sequence):
        raise TypeError("variants must be a sequence of Variant")
    if not variants:
        raise DomainError(f"product {title!r} needs at least one variant", field="variants")
    for variant in variants:
        if not isinstance(variant, Variant):
            raise TypeError(f"variants must be Variant, not {type(variant).__name__}")
    currencies = {v.price.currency for v in variants}
    if len(currencies) > 1:
        raise DomainError(
            f"variants of {title!r} are priced in several currencies ({', '.join(sorted(currencies))})",
            field="variants",
        )
    _refuse_duplicates([v.sku for v in variants], "SKU", "sku")
    _refuse_duplicates([v.barcode for v in variants if v.barcode is not None], "barcode", "barcode")
    _refuse_duplicates([v.id for v in variants], "variant id", "variants")
    return tuple(variants)


def _refuse_duplicates(values: list[str], what: str, field_name: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise DomainError(f"{what} {value!r} appears on two variants of one product", field=field_name)
        seen.add(value)
