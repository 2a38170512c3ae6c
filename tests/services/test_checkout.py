"""CheckoutService over a real replica file: scanning every kind of code, the picker, search, stock."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from pos.domain.embedded import DEFAULT_LAYOUTS, EmbeddedLayout
from pos.domain.errors import DomainError
from pos.domain.tender import Tender
from pos.services.checkout import CheckoutError, CheckoutService
from pos.settings import Settings
from tests.services import checkout_shop as shop
from tests.services.checkout_shop import eur
from tests.staffing import as_cashier


@pytest.fixture
def service(engine: Engine) -> CheckoutService:
    return CheckoutService(engine, DEFAULT_LAYOUTS, who=as_cashier())


def test_new_cart_takes_the_shops_currency_and_tax_mode(service: CheckoutService) -> None:
    cart = service.new_cart()
    assert (cart.currency, cart.prices_include_tax, cart.items) == ("EUR", True, [])


def test_new_cart_before_the_first_sync_says_so(tmp_path: Path) -> None:
    from pos.store.database import open_replica

    engine = open_replica(tmp_path / "empty.sqlite3")
    try:
        with pytest.raises(CheckoutError, match="sync first"):
            CheckoutService(engine, who=as_cashier()).new_cart()
    finally:
        engine.dispose()


def test_scanning_an_ean13_adds_the_item_and_again_raises_its_quantity(service: CheckoutService) -> None:
    cart = service.new_cart()
    first = service.scan(cart, "4006381333931")
    assert first.status == "added" and first.message == "Kitchen Knife"
    assert (first.item.variant_id, first.item.unit_price, first.item.quantity) == ("p1v0", eur(2999), 1)
    assert first.item.tax_rate.rate == Decimal("20")
    second = service.scan(cart, "4006381333931")
    assert second.status == "added" and second.message == "2 × Kitchen Knife"
    assert len(cart.items) == 1 and cart.items[0].quantity == 2
    assert cart.items[0].line_id == first.item.line_id
    assert cart.totals().total == eur(5998)


@pytest.mark.parametrize(
    ("scanned", "variant"),
    [
        ("012345678905", "p4v0"),  # UPC-A read, the shop lists the EAN-13 form
        ("0012345678905", "p4v0"),  # the EAN-13 form itself
        ("00012345678905", "p4v0"),  # GTIN-14 with a leading zero
        ("96385074", "p5v0"),  # EAN-8
        ("knf-1", "p1v0"),  # SKU in any letter case
        ("\x024006381333948\r\n", "p2v0"),  # scanner framing and line end
        ("４００６３８１３３３９３１", "p1v0"),  # full-width digits from an input method
        ("4006381333955", "p8v0"),  # an archived product still sells (the goods are in hand)
    ],
)
def test_every_kind_of_code_finds_its_variant(service: CheckoutService, scanned: str, variant: str) -> None:
    cart = service.new_cart()
    result = service.scan(cart, scanned)
    assert result.status == "added", result.message
    assert [item.variant_id for item in cart.items] == [variant]


def test_an_item_without_a_tax_rate_is_untaxed(service: CheckoutService) -> None:
    cart = service.new_cart()
    service.scan(cart, "96385074")
    assert cart.items[0].tax_rate is None and cart.totals().tax == eur(0)


@pytest.mark.parametrize(
    ("scanned", "status", "words"),
    [
        ("4006381333962", "unknown", "Unknown code 4006381333962"),  # valid EAN-13, not in the shop
        ("NOPE-42", "unknown", "Unknown code NOPE-42"),
        ("4006381333932", "invalid", "wrong check digit"),
        ("96385075", "invalid", "wrong check digit"),
        ("", "invalid", "Nothing was scanned"),
        ("\r\n", "invalid", "Nothing was scanned"),
        ("9" * 65, "invalid", "too long"),
        ("2100010012341", "invalid", "wrong check digit"),  # an embedded code misread
        (shop.gtin("210009901234"), "unknown", "Scale item 00099"),  # an embedded code for no item
    ],
)
def test_unknown_and_unreadable_codes_leave_the_cart_untouched(
    service: CheckoutService, scanned: str, status: str, words: str
) -> None:
    cart = service.new_cart()
    service.scan(cart, "4006381333931")
    before = cart.to_dict()
    result = service.scan(cart, scanned)
    assert result.status == status
    assert words in result.message and (
        "Nothing was added" in result.message or words == "Nothing was scanned"
    )
    assert result.item is None
    assert cart.to_dict() == before


def test_a_code_on_several_variants_asks_which_with_price_and_stock(service: CheckoutService) -> None:
    cart = service.new_cart()
    result = service.scan(cart, shop.SHARED)
    assert result.status == "choose_variant" and cart.is_empty
    assert "3 items" in result.message
    assert [(c.variant_id, c.title, c.price, c.stock) for c in result.choices] == [
        ("p3v0", "Merino Hoodie / S", eur(5900), 4),
        ("p3v1", "Merino Hoodie / M", eur(5900), 0),
        ("p3v2", "Merino Hoodie / XL", eur(6400), 0),
    ]
    item = service.add_variant(cart, result.choices[2].variant_id, quantity=2)
    assert (item.title, item.quantity, cart.totals().total) == ("Merino Hoodie / XL", 2, eur(12800))


def test_a_price_embedded_code_adds_the_encoded_price_on_a_line_of_its_own(service: CheckoutService) -> None:
    cart = service.new_cart()
    first = service.scan(cart, shop.PRICE_SCAN)
    again = service.scan(cart, shop.PRICE_SCAN)
    assert first.status == again.status == "added"
    assert [(i.variant_id, i.unit_price, i.quantity, i.fixed_price) for i in cart.items] == [
        ("p6v0", eur(1234), 1, True),
        ("p6v0", eur(1234), 1, True),
    ]
    assert cart.totals().total == eur(2468)


def test_a_weight_embedded_code_prices_the_weight_from_the_price_per_kg(service: CheckoutService) -> None:
    cart = service.new_cart()
    result = service.scan(cart, shop.WEIGHT_SCAN)
    assert result.status == "added"
    item = cart.items[0]
    # 15.99 per kg * 0.532 kg = 8.50668, half up to 8.51; found by the SKU "00020"
    assert (item.variant_id, item.unit_price, item.title) == ("p7v0", eur(851), "Comté 0.532 kg")
    assert item.fixed_price and item.tax_rate.rate == Decimal("5")


def test_the_layouts_come_from_the_settings(engine: Engine, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    settings.embedded_barcodes = (EmbeddedLayout("21", "weight", 5, 5, 3),)
    cart_service = CheckoutService(engine, settings, who=as_cashier())
    cart = cart_service.new_cart()
    assert cart_service.scan(cart, shop.PRICE_SCAN).status == "added"
    # read as 1.234 kg of an item whose price per kg is 0.00
    assert cart.items[0].title == "Smoked Ham 1.234 kg" and cart.items[0].unit_price == eur(0)
    assert cart_service.scan(cart, shop.WEIGHT_SCAN).status == "unknown"  # 25 is no scale prefix now


def test_find_lists_products_with_their_variants(service: CheckoutService) -> None:
    matches = service.find("hoodie")
    assert [m.title for m in matches] == ["Merino Hoodie"]
    assert [v.option for v in matches[0].variants] == ["S", "M", "XL"]
    assert service.find("KNF-1")[0].variants[0].stock == 10
    assert service.find("zzzz-nothing") == []


def test_variants_show_stock_at_the_tills_location_less_what_it_sold(service: CheckoutService) -> None:
    assert [v.stock for v in service.variants("p1")] == [10]
    cart = service.new_cart()
    service.add_variant(cart, "p1v0", 3)
    service.checkout(cart, [Tender("cash", eur(10000))])
    assert [v.stock for v in service.variants("p1")] == [7]
    service.set_location(shop.WAREHOUSE)
    assert [v.stock for v in service.variants("p1")] == [100]
    assert service.variants("no-such-product") == []


@pytest.mark.parametrize("quantity", [0, -1])
def test_add_variant_refuses_quantities_below_one(service: CheckoutService, quantity: int) -> None:
    cart = service.new_cart()
    with pytest.raises(DomainError, match="at least 1"):
        service.add_variant(cart, "p1v0", quantity)
    assert cart.is_empty


def test_add_variant_of_a_variant_gone_from_the_catalog(service: CheckoutService) -> None:
    cart = service.new_cart()
    with pytest.raises(CheckoutError, match="no longer in the catalog"):
        service.add_variant(cart, "gone")
    assert cart.is_empty


def test_location_defaults_to_the_lowest_code_and_can_be_chosen(service: CheckoutService) -> None:
    assert service.location() == shop.SHOP  # "SHOP" < "WH"
    service.set_location(shop.WAREHOUSE)
    assert service.location() == shop.WAREHOUSE
    with pytest.raises(CheckoutError, match="no location"):
        service.set_location("nowhere")
    assert service.location() == shop.WAREHOUSE
    service.set_location(None)
    assert service.location() == shop.SHOP
    assert service.till_code() == "T1"


def test_skus_that_differ_only_in_case_are_each_sold_when_typed_exactly(service: CheckoutService) -> None:
    cart = service.new_cart()
    small, large = service.scan(cart, "tote-1"), service.scan(cart, "TOTE-1")
    assert small.status == large.status == "added"
    assert [(i.variant_id, i.unit_price) for i in cart.items] == [("p9v0", eur(500)), ("p9v1", eur(900))]
    either = service.scan(cart, "Tote-1")  # neither exactly: the person chooses
    assert either.status == "choose_variant" and len(either.choices) == 2 and len(cart.items) == 2
