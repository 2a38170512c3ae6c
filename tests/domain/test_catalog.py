"""Catalog value types refuse what a till could not sell, with a message naming the field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pos.domain.catalog import Location, Product, TaxRate, Variant
from pos.domain.errors import DomainError
from pos.domain.money import Money

STANDARD = TaxRate("std", "Standard", Decimal("20"))


def variant(**changes: object) -> Variant:
    fields: dict[str, object] = {
        "id": "v1", "sku": "TS-BLU-M", "price": Money(1999, "EUR"), "barcode": "4006381333931",
        "title": "M / Blue",
    }  # fmt: skip
    fields.update(changes)
    return Variant(**fields)  # type: ignore[arg-type]


def test_a_valid_product_with_variants() -> None:
    small = variant(id="v0", sku="TS-BLU-S", barcode="5901234123457", title="S / Blue", position=0)
    product = Product(
        id="p1", title="T-shirt", variants=[small, variant(position=1)], tax_rate=STANDARD, category="Tops"
    )
    assert product.variants == (small, variant(position=1))  # a list becomes a tuple
    assert product.currency == "EUR"
    assert product.variant_by_sku("TS-BLU-M") == variant(position=1)
    assert product.variant_by_sku("nope") is None
    assert hash(product) == hash(
        Product(
            id="p1",
            title="T-shirt",
            variants=(small, variant(position=1)),
            tax_rate=STANDARD,
            category="Tops",
        )
    )


def test_zero_price_and_no_barcode_are_fine() -> None:
    free = variant(price=Money(0, "EUR"), barcode=None)
    assert free.price.is_zero and free.barcode is None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"sku": ""}, "sku", "a SKU must not be empty"),
        ({"sku": "   "}, "sku", "a SKU must not be empty"),
        ({"sku": " TS-1"}, "sku", "leading or trailing spaces"),
        ({"sku": "TS\n1"}, "sku", "control characters"),
        ({"sku": "X" * 65}, "sku", "too long: 65 characters, at most 64"),
        ({"price": Money(-1, "EUR")}, "price", "price -0.01 EUR of SKU 'TS-BLU-M' is negative"),
        ({"barcode": "4006381333932"}, "barcode", "wrong check digit"),
        ({"barcode": "12345"}, "barcode", "has 5 digits"),
        ({"barcode": ""}, "barcode", "digits only"),
        ({"id": ""}, "id", "a variant id must not be empty"),
    ],
)
def test_bad_variants_are_refused(changes: dict[str, object], field: str, message: str) -> None:
    with pytest.raises(DomainError, match=message) as caught:
        variant(**changes)
    assert caught.value.field == field


def test_variant_price_must_be_money() -> None:
    with pytest.raises(TypeError, match="price must be Money"):
        variant(price=1999)
    with pytest.raises(TypeError, match="float"):
        variant(price=Money(19.99, "EUR"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"title": ""}, "title", "a product title must not be empty"),
        ({"title": " \t"}, "title", "a product title must not be empty"),
        ({"title": "x" * 501}, "title", "too long"),
        ({"variants": []}, "variants", "needs at least one variant"),
        ({"status": "deleted"}, "status", "'deleted' is not 'active' or 'archived'"),
        (
            {"variants": [variant(), variant(id="v2", barcode=None)]},
            "sku",
            "SKU 'TS-BLU-M' appears on two variants",
        ),
        (
            {"variants": [variant(), variant(id="v2", sku="TS-BLU-L")]},
            "barcode",
            "barcode '4006381333931' appears on two variants",
        ),
        (
            {"variants": [variant(), variant(id="v2", sku="B", barcode=None, price=Money(5, "USD"))]},
            "variants",
            r"several currencies \(EUR, USD\)",
        ),
    ],
)
def test_bad_products_are_refused(kwargs: dict[str, object], field: str, message: str) -> None:
    fields: dict[str, object] = {"id": "p1", "title": "T-shirt", "variants": [variant()]}
    fields.update(kwargs)
    with pytest.raises(DomainError, match=message) as caught:
        Product(**fields)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_product_type_errors() -> None:
    with pytest.raises(TypeError, match="variants must be Variant"):
        Product(id="p1", title="T", variants=[{"sku": "x"}])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="tax_rate must be a TaxRate"):
        Product(id="p1", title="T", variants=[variant()], tax_rate="20")  # type: ignore[arg-type]


def test_location() -> None:
    assert Location("l1", "MAIN", "Main shop").code == "MAIN"
    with pytest.raises(DomainError, match="a location code must not be empty"):
        Location("l1", "", "Main shop")
    with pytest.raises(DomainError, match="a location code is too long"):
        Location("l1", "X" * 33, "Main shop")
