"""Build a PrintDocument from a sale.create payload, a return.create payload or a report's rows.

The payloads are the ones the till wrote (sync.protocol SaleCreate / ReturnCreate): every figure
printed is read from them as written. The only sum here is the tax summary: the payload's per-line
tax grouped by rate (the payload's own `tax` is their sum, which the sale invariant guarantees).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pos.domain.money import Money
from pos.domain.sale import parse_timestamp
from pos.domain.tender import tender_label
from pos.printing.document import AmountRow, DocLine, PrintDocument, ShopHeader, TaxGroup

Doc = Mapping[str, Any]


def sale_receipt(
    sale: Doc,
    header: ShopHeader,
    *,
    cashier: str | None = None,
    customer: str | None = None,
    copy: bool = False,
) -> PrintDocument:
    """The receipt of a sale.create payload; `copy` marks a reprint."""
    currency = sale["currency"]

    def money(minor: int) -> Money:
        return Money(int(minor), currency)

    lines = tuple(
        DocLine(
            title=line["title"], sku=line["sku"], quantity=int(line["quantity"]),
            unit_price=money(line["unit_price"]), discount=money(line["discount"]),
            amount=money(line["total"]), tax_rate=line.get("tax_rate"),
        )
        for line in sale["lines"]
    )
    totals = [AmountRow("Subtotal", money(sale["subtotal"]))]
    if sale["discount"]:
        totals.append(AmountRow("Discount", money(-int(sale["discount"]))))
    if not sale["prices_include_tax"]:
        totals.append(AmountRow("Tax", money(sale["tax"])))
    totals.append(AmountRow("TOTAL", money(sale["total"]), strong=True))
    tenders = tuple(_tender_row(pay, currency) for pay in sale["payments"])
    return PrintDocument(
        kind="sale", title="Receipt (copy)" if copy else "Receipt", header=header, currency=currency,
        number=sale["number"], barcode=sale["number"], created_at=parse_timestamp(sale["created_at"]),
        cashier=cashier, customer=customer, lines=lines, totals=tuple(totals),
        taxes=tax_groups(sale["lines"], currency, amount_key="total", net=not sale["prices_include_tax"]),
        prices_include_tax=bool(sale["prices_include_tax"]), tenders=tenders,
        change=money(sale["change"]),
        opens_drawer=not copy and any(pay["method"] == "cash" for pay in sale["payments"]),
    )  # fmt: skip


def return_receipt(
    ret: Doc,
    sold_lines: Iterable[Doc],
    header: ShopHeader,
    *,
    currency: str,
    sale_number: str,
    cashier: str | None = None,
    customer: str | None = None,
    copy: bool = False,
) -> PrintDocument:
    """The receipt of a return.create payload; `sold_lines` are the sale's lines (titles, rates)."""
    by_id = {str(line["id"]): line for line in sold_lines}

    def money(minor: int) -> Money:
        return Money(int(minor), currency)

    lines = []
    rated = []
    for line in ret["lines"]:
        sold = by_id.get(str(line["line_id"]), {})
        rate = sold.get("tax_rate")
        lines.append(DocLine(
            title=sold.get("title") or "Returned item", sku=sold.get("sku") or "",
            quantity=int(line["quantity"]), unit_price=None, discount=None,
            amount=money(line["amount"]), tax_rate=rate,
        ))  # fmt: skip
        rated.append({"tax_rate": rate, "amount": line["amount"], "tax": line["tax"]})
    refunds = tuple(_refund_row(refund, currency) for refund in ret["refunds"])
    references = [f"Refund of sale {sale_number}"]
    if ret.get("reason"):
        references.append(f"Reason: {ret['reason']}")
    return PrintDocument(
        kind="return", title="Return (copy)" if copy else "Return", header=header, currency=currency,
        number=ret["number"], barcode=ret["number"], created_at=parse_timestamp(ret["created_at"]),
        cashier=cashier, customer=customer, references=tuple(references), lines=tuple(lines),
        totals=(AmountRow("REFUND TOTAL", money(ret["total"]), strong=True),),
        taxes=tax_groups(rated, currency, amount_key="amount"), tenders=refunds,
        opens_drawer=not copy and any(refund["method"] == "cash" for refund in ret["refunds"]),
    )  # fmt: skip


def cash_report(
    title: str,
    rows: Sequence[tuple[str, Money]],
    header: ShopHeader,
    *,
    currency: str,
    number: str = "",
    created_at: datetime | None = None,
    cashier: str | None = None,
    notes: Sequence[str] = (),
    strong: Iterable[str] = (),
) -> PrintDocument:
    """A cash-session report (X or Z): labelled amounts as the cash-session service computed them."""
    bold = set(strong)
    for label, amount in rows:
        if amount.currency != currency:
            raise ValueError(f"report row {label!r} is in {amount.currency}, the report in {currency}")
    return PrintDocument(
        kind="report", title=title, header=header, currency=currency, number=number,
        barcode=number, created_at=created_at, cashier=cashier,
        totals=tuple(AmountRow(label, amount, strong=label in bold) for label, amount in rows),
        notes=tuple(notes),
    )  # fmt: skip


def tax_groups(
    lines: Iterable[Doc], currency: str, *, amount_key: str, net: bool = False
) -> tuple[TaxGroup, ...]:
    """The lines' tax grouped by rate (highest rate first), from each line's own tax figure.

    The base is the lines' `amount_key` (gross), or with `net` (tax-exclusive prices, printed as
    "Tax 20% on ...") that amount without its tax: 2.00 is 20 % on 10.00, not on 12.00.
    """
    groups: dict[str | None, tuple[int, int]] = {}
    for line in lines:
        rate = line.get("tax_rate")
        base, tax = groups.get(rate, (0, 0))
        line_tax = int(line["tax"])
        groups[rate] = (base + int(line[amount_key]) - (line_tax if net else 0), tax + line_tax)
    ordered = sorted(groups.items(), key=lambda item: _rate_key(item[0]), reverse=True)
    return tuple(
        TaxGroup(rate, Money(base, currency), Money(tax, currency))
        for rate, (base, tax) in ordered
        if rate is not None or tax
    )


def _rate_key(rate: str | None) -> Decimal:
    try:
        return Decimal(rate) if rate is not None else Decimal(-1)
    except InvalidOperation:
        return Decimal(-1)


def _tender_row(payment: Doc, currency: str) -> AmountRow:
    label = tender_label(str(payment["method"]))
    shown = payment.get("tendered", payment["amount"])  # cash: what was handed over
    note = f"Ref. {payment['reference']}" if payment.get("reference") else ""
    return AmountRow(label, Money(int(shown), currency), note=note)


def _refund_row(refund: Doc, currency: str) -> AmountRow:
    label = tender_label(str(refund["method"]))
    note = f"Ref. {refund['reference']}" if refund.get("reference") else ""
    return AmountRow(f"Refunded to {label.lower()}", Money(int(refund["amount"]), currency), note=note)
