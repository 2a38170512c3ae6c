"""Price- and weight-embedded EAN-13 barcodes, as deli counters and produce scales print them.

GS1 keeps EAN-13 prefixes 20-29 for a shop's own use. A scale prints
``<prefix><item code><value><check digit>``, where the value is the price (in the currency's
units with `decimals` decimals) or the weight (kilograms with `decimals` decimals). The layout is
the shop's choice, so it is a setting (`pos.settings.Settings.embedded_barcodes`); DEFAULT_LAYOUTS
is the common one: 2-digit prefix, 5-digit item code, 5-digit value, check digit, with 20-24 for
prices in cents and 25-29 for weights in grams.

How the item code finds the variant (pos.services.checkout): a variant whose barcode is the code
with its value digits zeroed (check digit recomputed), else a variant whose SKU is the item code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from pos.domain.barcode import gtin_check_digit, is_valid_gtin
from pos.domain.errors import DomainError
from pos.domain.money import Money, round_half_up

EAN13_BODY = 12
KINDS = ("price", "weight")


@dataclass(frozen=True, slots=True)
class EmbeddedLayout:
    """`prefix`, `item_digits`, `value_digits` (with `decimals` decimals), then the check digit."""

    prefix: str
    kind: Literal["price", "weight"]
    item_digits: int = 5
    value_digits: int = 5
    decimals: int = 2

    def __post_init__(self) -> None:
        where = f"embedded barcode layout {self.prefix!r}"
        if not isinstance(self.prefix, str) or not (self.prefix.isascii() and self.prefix.isdigit()):
            raise DomainError(f"{where}: the prefix must be digits", field="prefix")
        if not self.prefix.startswith("2"):
            raise DomainError(f"{where}: in-store codes start with 20 to 29", field="prefix")
        if self.kind not in KINDS:
            raise DomainError(f"{where}: kind must be 'price' or 'weight', not {self.kind!r}", field="kind")
        for name in ("item_digits", "value_digits", "decimals"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise DomainError(f"{where}: {name} must be a whole number of at least 0", field=name)
        if self.item_digits < 1 or self.value_digits < 1:
            raise DomainError(f"{where}: item and value need at least one digit each", field="item_digits")
        if len(self.prefix) + self.item_digits + self.value_digits != EAN13_BODY:
            raise DomainError(
                f"{where}: prefix, item and value digits must add up to 12 (an EAN-13 without its check "
                f"digit), not {len(self.prefix) + self.item_digits + self.value_digits}",
                field="value_digits",
            )
        if self.decimals > self.value_digits:
            raise DomainError(f"{where}: more decimals than value digits", field="decimals")
        if self.kind == "weight" and self.decimals > 3:
            raise DomainError(f"{where}: a weight has at most 3 decimals (grams)", field="decimals")

    def to_dict(self) -> dict[str, Any]:
        return {
            "prefix": self.prefix,
            "kind": self.kind,
            "item_digits": self.item_digits,
            "value_digits": self.value_digits,
            "decimals": self.decimals,
        }

    @classmethod
    def from_dict(cls, doc: Any) -> EmbeddedLayout:
        if not isinstance(doc, dict):
            raise DomainError(f"an embedded barcode layout must be an object, not {doc!r}", field="layout")
        unknown = set(doc) - {"prefix", "kind", "item_digits", "value_digits", "decimals"}
        if unknown:
            raise DomainError(
                f"an embedded barcode layout has unknown keys: {sorted(unknown)}", field="layout"
            )
        if "prefix" not in doc or "kind" not in doc:
            raise DomainError("an embedded barcode layout needs a 'prefix' and a 'kind'", field="layout")
        return cls(**doc)


DEFAULT_LAYOUTS: tuple[EmbeddedLayout, ...] = (
    *(EmbeddedLayout(str(p), "price", 5, 5, 2) for p in range(20, 25)),
    *(EmbeddedLayout(str(p), "weight", 5, 5, 3) for p in range(25, 30)),
)


def check_layouts(layouts: Iterable[EmbeddedLayout]) -> tuple[EmbeddedLayout, ...]:
    """The layouts as a tuple; DomainError if one prefix starts another (a code would be ambiguous)."""
    result = tuple(layouts)
    for layout in result:
        if not isinstance(layout, EmbeddedLayout):
            raise TypeError(f"a layout must be an EmbeddedLayout, not {type(layout).__name__}")
    for a in result:
        for b in result:
            if a is not b and b.prefix.startswith(a.prefix):
                raise DomainError(
                    f"embedded barcode prefixes {a.prefix!r} and {b.prefix!r} overlap: a code "
                    "would match both",
                    field="prefix",
                )
    return result


@dataclass(frozen=True, slots=True)
class EmbeddedCode:
    code: str
    layout: EmbeddedLayout
    item_code: str
    price: Money | None = None
    weight_grams: int | None = None

    @property
    def lookup_barcode(self) -> str:
        """The code with its value digits zeroed: what the item's own barcode is in the catalog."""
        head = self.code[: len(self.layout.prefix) + self.layout.item_digits]
        body = head + "0" * self.layout.value_digits
        return body + str(gtin_check_digit(body))


def layout_for(code: str, layouts: Sequence[EmbeddedLayout]) -> EmbeddedLayout | None:
    """The layout whose prefix `code` (13 digits) starts with, if any."""
    if len(code) != EAN13_BODY + 1 or not (code.isascii() and code.isdigit()):
        return None
    for layout in layouts:
        if code.startswith(layout.prefix):
            return layout
    return None


def parse_embedded(code: str, layouts: Sequence[EmbeddedLayout], *, currency: str) -> EmbeddedCode | None:
    """Read an embedded code; None if `code` matches no layout; DomainError on a wrong check digit."""
    layout = layout_for(code, layouts)
    if layout is None:
        return None
    if not is_valid_gtin(code):
        raise DomainError(f"barcode {code!r} has a wrong check digit: scan it again", field="barcode")
    start = len(layout.prefix)
    item_code = code[start : start + layout.item_digits]
    digits = code[start + layout.item_digits : EAN13_BODY]
    value = Decimal(int(digits)).scaleb(-layout.decimals)
    if layout.kind == "price":
        return EmbeddedCode(code, layout, item_code, price=Money.from_decimal(value, currency))
    grams = int(value.scaleb(3))
    if grams <= 0:
        raise DomainError(f"barcode {code!r} encodes a weight of zero", field="barcode")
    return EmbeddedCode(code, layout, item_code, weight_grams=grams)


def weighed_price(price_per_kg: Money, grams: int) -> Money:
    """What `grams` cost at `price_per_kg`, half up to the minor unit."""
    return Money(round_half_up(Decimal(price_per_kg.minor * grams) / 1000), price_per_kg.currency)


def weight_label(grams: int) -> str:
    """0.532 kg."""
    return f"{Decimal(grams).scaleb(-3):.3f} kg"
