"""The X and Z reports as labelled amounts: what the screen shows and the printed report prints.

Every figure is the cash-session service's (pos.domain.cash.XReport / ZReport); nothing is added
up here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pos.domain.money import Money
from pos.domain.tender import tender_label
from pos.printing.build import cash_report
from pos.printing.document import PrintDocument, ShopHeader


def x_rows(x: Any) -> list[tuple[str, Money]]:
    """The figures of an XReport, in the order a cashier reads them."""
    rows = [
        ("Float", x.opening_float),
        (f"Sales ({x.sale_count})", x.sales_total),
        (f"Refunds ({x.refund_count})", x.refunds_total),
        ("Pay-ins", x.pay_ins),
        ("Pay-outs", x.pay_outs),
        ("Drops to the safe", x.drops),
    ]
    for tender in x.tenders:
        name = tender_label(tender.method)
        rows += [(f"{name} taken", tender.taken), (f"{name} refunded", tender.refunded),
                 (f"{name} expected", tender.expected)]  # fmt: skip
    return rows


def z_tender_rows(z: Any) -> list[tuple[str, Money, Money, Money]]:
    """(tender, expected, counted, variance) per tender of a ZReport."""
    rows = []
    for tender in z.figures.tenders:
        counted = tender.counted if tender.counted is not None else tender.expected
        variance = tender.variance if tender.variance is not None else counted - counted
        rows.append((tender_label(tender.method), tender.expected, counted, variance))
    return rows


def z_rows(z: Any) -> list[tuple[str, Money]]:
    rows = x_rows(z.figures)
    for name, _expected, counted, variance in z_tender_rows(z):
        rows += [(f"{name} counted", counted), (f"{name} variance", variance)]
    rows.append(("Variance, all tenders", z.variance))
    return rows


def x_document(x: Any, header: ShopHeader, cashier: str | None) -> PrintDocument:
    return cash_report("X report", x_rows(x), header, currency=x.currency, created_at=x.at,
                       cashier=cashier, notes=(f"Shift opened {_local(x.opened_at)}",),
                       strong={"Cash expected"})  # fmt: skip


def z_document(
    z: Any, header: ShopHeader, cashier: str | None, approved_by: str | None = None
) -> PrintDocument:
    notes = [f"Shift opened {_local(z.figures.opened_at)}, closed {_local(z.closed_at)}"]
    if approved_by:
        notes.append(f"Variance approved by {approved_by}")
    return cash_report("Z report", z_rows(z), header, currency=z.figures.currency, created_at=z.closed_at,
                       cashier=cashier, notes=notes, strong={"Variance, all tenders"})  # fmt: skip


def _local(moment: datetime) -> str:
    return moment.astimezone().strftime("%d %b %Y %H:%M")
