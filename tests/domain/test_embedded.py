"""Price- and weight-embedded EAN-13 codes from deli and produce scales."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.domain.barcode import gtin_check_digit, is_valid_gtin
from pos.domain.embedded import (
    DEFAULT_LAYOUTS,
    EmbeddedLayout,
    check_layouts,
    parse_embedded,
    weighed_price,
    weight_label,
)
from pos.domain.errors import DomainError
from pos.domain.money import Money


def gtin(body: str) -> str:
    return body + str(gtin_check_digit(body))


def test_price_code() -> None:
    code = parse_embedded(gtin("210001001234"), DEFAULT_LAYOUTS, currency="EUR")
    assert (code.item_code, code.price, code.weight_grams) == ("00010", Money(1234, "EUR"), None)
    assert code.lookup_barcode == gtin("210001000000")


def test_weight_code() -> None:
    code = parse_embedded(gtin("250002000532"), DEFAULT_LAYOUTS, currency="EUR")
    assert (code.item_code, code.price, code.weight_grams) == ("00020", None, 532)
    assert weighed_price(Money(1599, "EUR"), 532) == Money(851, "EUR")  # 8.50668 -> 8.51
    assert weighed_price(Money(1000, "EUR"), 5) == Money(5, "EUR")
    assert weighed_price(Money(100, "EUR"), 5) == Money(1, "EUR")  # 0.5 cent: half up
    assert weight_label(532) == "0.532 kg" and weight_label(12_345) == "12.345 kg"


def test_a_price_in_a_currency_without_cents() -> None:
    layout = EmbeddedLayout("22", "price", 5, 5, 0)
    code = parse_embedded(gtin("220001012345"), [layout], currency="JPY")
    assert code.price == Money(12345, "JPY")


def test_custom_layout_with_a_longer_item_code() -> None:
    layout = EmbeddedLayout("2", "price", 7, 4, 2)
    code = parse_embedded(gtin("212345670999"), [layout], currency="EUR")
    assert (code.item_code, code.price) == ("1234567", Money(999, "EUR"))


@pytest.mark.parametrize(
    "code", ["4006381333931", "96385074", "210001001234", "21000100123400", "2A00010012340"]
)
def test_codes_outside_every_layout_are_not_embedded(code: str) -> None:
    assert parse_embedded(code, DEFAULT_LAYOUTS, currency="EUR") is None


def test_a_misread_embedded_code_is_refused() -> None:
    good = gtin("210001001234")
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    with pytest.raises(DomainError, match="wrong check digit"):
        parse_embedded(bad, DEFAULT_LAYOUTS, currency="EUR")


def test_a_zero_weight_is_refused() -> None:
    with pytest.raises(DomainError, match="weight of zero"):
        parse_embedded(gtin("250002000000"), DEFAULT_LAYOUTS, currency="EUR")


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"prefix": "30", "kind": "price"}, "20 to 29"),
        ({"prefix": "2x", "kind": "price"}, "digits"),
        ({"prefix": "21", "kind": "volume"}, "kind"),
        ({"prefix": "21", "kind": "price", "item_digits": 4}, "add up to 12"),
        ({"prefix": "21", "kind": "price", "item_digits": 0, "value_digits": 10}, "at least one digit"),
        ({"prefix": "21", "kind": "weight", "decimals": 4}, "at most 3 decimals"),
        ({"prefix": "21", "kind": "price", "decimals": 6}, "more decimals than value digits"),
        ({"prefix": "21", "kind": "price", "decimals": "2"}, "whole number"),
    ],
)
def test_bad_layouts(kwargs: dict, words: str) -> None:
    with pytest.raises(DomainError, match=words):
        EmbeddedLayout(**kwargs)


def test_overlapping_prefixes_are_refused() -> None:
    with pytest.raises(DomainError, match="overlap"):
        check_layouts([EmbeddedLayout("2", "price", 6, 5, 2), EmbeddedLayout("21", "price", 5, 5, 2)])
    assert check_layouts(DEFAULT_LAYOUTS) == DEFAULT_LAYOUTS


def test_layouts_round_trip_and_reject_unknown_keys() -> None:
    for layout in DEFAULT_LAYOUTS:
        assert EmbeddedLayout.from_dict(layout.to_dict()) == layout
    with pytest.raises(DomainError, match="unknown keys"):
        EmbeddedLayout.from_dict({"prefix": "21", "kind": "price", "colour": "red"})
    with pytest.raises(DomainError, match="needs a 'prefix'"):
        EmbeddedLayout.from_dict({"kind": "price"})
    with pytest.raises(DomainError, match="must be an object"):
        EmbeddedLayout.from_dict(["21"])


@given(prefix=st.integers(20, 24), item=st.integers(0, 99_999), cents=st.integers(0, 99_999))
def test_every_price_code_reads_back_what_the_scale_printed(prefix: int, item: int, cents: int) -> None:
    code = gtin(f"{prefix}{item:05d}{cents:05d}")
    parsed = parse_embedded(code, DEFAULT_LAYOUTS, currency="EUR")
    assert (parsed.item_code, parsed.price) == (f"{item:05d}", Money(cents, "EUR"))
    assert is_valid_gtin(parsed.lookup_barcode) and parsed.lookup_barcode[:7] == code[:7]
