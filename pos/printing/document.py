"""The one printable document: a sale receipt, a return receipt or a cash report. No Qt, no database.

Every renderer (ESC/POS, PDF, the system printer) draws a `PrintDocument`; builders in
`pos.printing.build` make one from a `sale.create` or `return.create` payload, or from a report's
labelled amounts. Amounts are `Money` taken from the payload as written: the printing code never
adds up a sale itself (the per-rate tax summary sums the payload's per-line tax, nothing else).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pos.domain.money import Money

DocumentKind = Literal["sale", "return", "report", "test"]


@dataclass(frozen=True)
class ShopHeader:
    """What the top and bottom of every receipt show about the shop."""

    name: str
    address: tuple[str, ...] = ()
    tax_id: str = ""
    logo_path: str = ""  # an image file; "" for none
    footer: tuple[str, ...] = ()


@dataclass(frozen=True)
class DocLine:
    """One line of goods: sold (sale) or given back (return)."""

    title: str
    sku: str
    quantity: int
    unit_price: Money | None  # None on a return line (the refund is per line)
    discount: Money | None  # None or zero: no discount row
    amount: Money  # what the line costs (sale) or refunds (return), tax included
    tax_rate: str | None


@dataclass(frozen=True)
class AmountRow:
    """A labelled amount: a total, a tender, a report figure."""

    label: str
    amount: Money
    strong: bool = False  # printed bold (the total)
    note: str = ""  # a second, smaller line: a card reference, "incl."...


@dataclass(frozen=True)
class TaxGroup:
    rate: str | None  # "20", "7.25"; None for lines without a tax rate
    base: Money  # the lines' amounts at this rate: with tax (inclusive prices), without (exclusive)
    tax: Money


@dataclass(frozen=True)
class PrintDocument:
    kind: DocumentKind
    title: str  # "Receipt", "Return", "Z report"
    header: ShopHeader
    currency: str
    number: str = ""  # receipt or return number; "" for a report without one
    barcode: str = ""  # what the Code128 barcode holds (the number); "" for none
    created_at: datetime | None = None  # timezone-aware; shown in local time
    cashier: str | None = None
    customer: str | None = None
    references: tuple[str, ...] = ()  # "Refund of sale T1-000042", "Reason: ..."
    lines: tuple[DocLine, ...] = ()
    totals: tuple[AmountRow, ...] = ()
    taxes: tuple[TaxGroup, ...] = ()
    prices_include_tax: bool = True
    tenders: tuple[AmountRow, ...] = ()
    change: Money | None = None
    opens_drawer: bool = False  # cash changed hands: kick the drawer (if the printer has one)
    notes: tuple[str, ...] = field(default_factory=tuple)  # free text printed before the footer
