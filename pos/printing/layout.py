"""A PrintDocument as a list of blocks every renderer draws in order.

Blocks say what goes where (a centred heading, a row with text on the left and an amount on the
right, a rule, the barcode, the logo); each renderer decides how wide that is: columns on a thermal
printer, points in a PDF or on a QPrinter page. Times are shown in local time (or `tz`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from functools import lru_cache

from pos.domain.locales import system_locale
from pos.domain.money import Money
from pos.printing.document import DocLine, PrintDocument
from pos.printing.text import printable


@dataclass(frozen=True)
class Text:
    left: str
    right: str = ""
    bold: bool = False
    big: bool = False  # double height and width on a thermal printer; a larger font on a page
    center: bool = False
    indent: int = 0  # in characters; pages indent by the width of that many characters

    def __post_init__(self) -> None:
        # Every renderer prints what a Text holds: control characters never reach a printer.
        object.__setattr__(self, "left", printable(self.left))
        object.__setattr__(self, "right", printable(self.right))


@dataclass(frozen=True)
class Rule:
    pass


@dataclass(frozen=True)
class Gap:
    pass


@dataclass(frozen=True)
class Barcode:
    data: str  # Code128


@dataclass(frozen=True)
class Logo:
    path: str


Block = Text | Rule | Gap | Barcode | Logo


class MoneyText:
    """Formats Money for paper in a locale ("€19.99", "19,99 €"); repeated amounts are cached."""

    def __init__(self, locale: str = "") -> None:
        """`locale`: babel's name ("de_DE"); empty: the till's own (pos.domain.locales)."""
        self.locale = locale or system_locale()
        self._cached = lru_cache(maxsize=1024)(self._format)

    def __call__(self, amount: Money) -> str:
        return self._cached(amount)

    def _format(self, amount: Money) -> str:
        return amount.format(self.locale)


def lay_out(
    doc: PrintDocument, money: Callable[[Money], str] | None = None, tz: tzinfo | None = None
) -> list[Block]:
    """The blocks of `doc` from top to bottom."""
    fmt = money or MoneyText()
    blocks: list[Block] = _header(doc)
    blocks.append(Rule())
    blocks.extend(_identity(doc, tz))
    if doc.lines:
        blocks.append(Rule())
        for line in doc.lines:
            blocks.extend(_line(line, fmt))
    if doc.totals:
        blocks.append(Rule())
        blocks.extend(Text(row.label, fmt(row.amount), bold=row.strong, big=row.strong) for row in doc.totals)
    if doc.taxes:
        blocks.append(Gap())
        blocks.extend(_taxes(doc, fmt))
    if doc.tenders:
        blocks.append(Rule())
        for row in doc.tenders:
            blocks.append(Text(row.label, fmt(row.amount)))
            if row.note:
                blocks.append(Text(row.note, indent=2))
        if doc.change is not None and (doc.change.minor or doc.kind == "sale"):
            blocks.append(Text("Change", fmt(doc.change), bold=True))
    blocks.extend(_footer(doc))
    return blocks


def _header(doc: PrintDocument) -> list[Block]:
    header = doc.header
    blocks: list[Block] = [Logo(header.logo_path)] if header.logo_path else []
    blocks.append(Text(header.name, bold=True, big=True, center=True))
    blocks.extend(Text(line, center=True) for line in header.address if line.strip())
    if header.tax_id:
        blocks.append(Text(f"Tax ID: {header.tax_id}", center=True))
    return blocks


def _identity(doc: PrintDocument, tz: tzinfo | None) -> list[Block]:
    title = f"{doc.title} {doc.number}" if doc.number else doc.title
    blocks: list[Block] = [Text(title, bold=True)]
    if doc.created_at is not None:
        local = doc.created_at.astimezone(tz)
        blocks.append(Text(local.strftime("%Y-%m-%d %H:%M:%S")))
    if doc.cashier:
        blocks.append(Text(f"Cashier: {doc.cashier}"))
    if doc.customer:
        blocks.append(Text(f"Customer: {doc.customer}"))
    blocks.extend(Text(reference) for reference in doc.references)
    return blocks


def _line(line: DocLine, fmt: Callable[[Money], str]) -> list[Block]:
    blocks: list[Block] = [Text(line.title)]
    if line.unit_price is not None:
        detail = f"{line.quantity} x {fmt(line.unit_price)}"
    else:
        detail = f"{line.quantity} returned"
    blocks.append(Text(detail, fmt(line.amount), indent=2))
    if line.discount is not None and line.discount.minor:
        blocks.append(Text(f"incl. discount {fmt(-line.discount)}", indent=2))
    return blocks


def _taxes(doc: PrintDocument, fmt: Callable[[Money], str]) -> list[Block]:
    inclusive = "incl." if doc.prices_include_tax else "on"
    blocks: list[Block] = []
    for group in doc.taxes:
        rate = f"{group.rate}%" if group.rate is not None else "no rate"
        blocks.append(Text(f"Tax {rate} {inclusive} {fmt(group.base)}", fmt(group.tax)))
    return blocks


def _footer(doc: PrintDocument) -> list[Block]:
    blocks: list[Block] = []
    if doc.notes:
        blocks.append(Rule())
        blocks.extend(Text(note) for note in doc.notes)
    if doc.barcode:
        blocks.extend((Gap(), Barcode(doc.barcode)))
    if doc.header.footer:
        blocks.append(Gap())
        blocks.extend(Text(line, center=True) for line in doc.header.footer)
    return blocks
