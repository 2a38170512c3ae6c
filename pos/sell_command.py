"""`countertop sell`: the counter's checkout without the screen, for scripts and tests.

    COUNTERTOP_STAFF_PIN=1111 countertop sell --staff "Sam Cashier" --item 4000000000017 --cash 50.00
    countertop sell --staff "Sam Cashier" --item KIT-0000002 --card 12.30 --ref AUTH-1 --cash 5 < pin

Each `--item` is a barcode or SKU, as a scanner would type it, optionally followed by `xN` or `*N`
for N of it. Tenders: every `--card AMOUNT` (paid on an external terminal; `--ref` gives the
references in the same order), then every `--cash AMOUNT` (change comes only from cash). It sells
from the local replica, with or without a network; the sync sends the sale to the shop. As at the
screen, the seller signs in with their PIN (pos.shift_command.sign_in) and a shift must be open
(`countertop shift open`).

Prints the receipt on stdout: number, lines, totals, tax per rate, payments and change; and, when
this till has a receipt printer set up (Settings > Printers in the app, or the demo shop's PDF
receipts), on that printer too, saying on stderr where it went. The sale is committed before the
printer is tried: a printer that fails is reported on stderr and the command still exits 0, because
the sale stands (reprint it from the till with F10). Bad input (an unknown item, a tender below the
total, an amount that is not a number, a quantity below 1) prints why and exits 2 with nothing written.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Sequence

from sqlalchemy import Engine

from pos.app import EXIT_OK, CommandError, print_service
from pos.domain.cart import Cart, check_quantity
from pos.domain.errors import DomainError, sentence
from pos.domain.money import Money
from pos.domain.tender import Tender, settle
from pos.services.checkout import CheckoutService, CompletedSale
from pos.services.signed_in import SignedIn
from pos.settings import Settings
from pos.shift_command import exact_amount, open_till, sign_in
from pos.store import till
from pos.store.database import driver_connection, transaction
from pos.store.till_file import till_engine

log = logging.getLogger(__name__)

_QUANTITY_SUFFIX = re.compile(r"^(?P<code>.+?)[x*](?P<quantity>[+-]?\d+)$")
WIDTH = 56


def sell_command(
    settings: Settings,
    items: Sequence[str],
    cash: Sequence[str] = (),
    card: Sequence[str] = (),
    refs: Sequence[str] = (),
    staff: str | None = None,
) -> int:
    engine = open_till(settings)
    connection = settings.connection
    assert connection is not None
    try:
        who = SignedIn(sign_in(engine, staff))
        service = CheckoutService(engine, settings, who=who)
        try:
            cart = service.new_cart()
            for spec in items:
                _add(service, cart, spec)
            tenders = _tenders(cart.currency, card, refs, cash)
            settle(cart.totals().total, tenders)  # refuse before writing anything
            _ensure_till(engine, connection.device_id)
            sale = service.checkout(cart, tenders)
        except DomainError as exc:
            raise CommandError(_nothing_sold(str(exc))) from None
        print(receipt(sale, cart), flush=True)
        print_on_printer(engine, settings, sale)
        return EXIT_OK
    finally:
        engine.dispose()


def print_on_printer(engine: Engine, settings: Settings, sale: CompletedSale) -> None:
    """The committed sale's receipt on the till's receipt printer, if one is set up; never raises."""
    try:
        result = print_service(engine, settings).print_sale(sale.payload)
    except Exception as exc:  # the sale is committed: a printing fault must not look like a failed sale
        log.exception("receipt %s: printing failed", sale.number)
        print(f"Receipt {sale.number} was not printed ({exc}). The sale is recorded.", file=sys.stderr)
        return
    if result is None:
        return  # no receipt printer set up, or automatic receipts are off
    if result.ok:
        print(result.message, file=sys.stderr)
    else:
        print(f"{result.message} The sale is recorded: reprint it from the till (F10) once the printer "
              "is back.", file=sys.stderr)


def _add(service: CheckoutService, cart: Cart, spec: str) -> None:
    result = service.scan(cart, spec)
    quantity = 1
    if result.status == "unknown" and (match := _QUANTITY_SUFFIX.match(spec.strip())):
        quantity = _quantity(match["quantity"], spec)
        result = service.scan(cart, match["code"])
    if result.status == "choose_variant":
        skus = ", ".join(choice.sku for choice in result.choices)
        raise DomainError(f"{spec!r} is on several items: give the SKU of one ({skus})")
    if result.status != "added" or result.item is None:
        raise DomainError(result.message.removesuffix(" Nothing was added.").rstrip("."))
    if quantity > 1:
        cart.set_quantity(result.item.line_id, result.item.quantity + quantity - 1)


def _quantity(text: str, spec: str) -> int:
    try:
        return check_quantity(int(text))
    except DomainError as exc:
        raise DomainError(f"--item {spec}: {exc}") from None


def _tenders(currency: str, card: Sequence[str], refs: Sequence[str], cash: Sequence[str]) -> list[Tender]:
    if not card and not cash:
        raise DomainError("no payment given: add --cash AMOUNT or --card AMOUNT")
    if len(refs) > len(card):
        raise DomainError(f"{len(refs)} --ref for {len(card)} --card: give one reference per card payment")
    tenders = [
        Tender("card", _amount(text, currency, "--card"), refs[index] if index < len(refs) else None)
        for index, text in enumerate(card)
    ]
    tenders += [Tender("cash", _amount(text, currency, "--cash")) for text in cash]
    return tenders


def _amount(text: str, currency: str, option: str) -> Money:
    return exact_amount(text, currency, option)


def _ensure_till(engine: Engine, device_id: str) -> None:
    """A till that synced before it learned its code still sells, under the device id's code."""
    with driver_connection(till_engine(engine)) as con:
        if con.execute("SELECT 1 FROM till WHERE id = 1").fetchone():
            return
        with transaction(con):
            till.ensure_till(con, device_id)


def receipt(sale: CompletedSale, cart: Cart) -> str:
    """The receipt as plain text (one sale's figures, as the payload holds them)."""
    p, totals = sale.payload, sale.totals
    out = [f"Receipt: {sale.number}", f"Date: {p['created_at']}", "-" * WIDTH]
    for line, item in zip(p["lines"], cart.items, strict=True):
        unit = _fmt(line["unit_price"], p["currency"])
        out.append(
            _row(f"{line['quantity']} x {line['title']}", f"@ {unit}  {_fmt(line['total'], p['currency'])}")
        )
        if line["discount"]:
            out.append(_row(f"    discount{' ' + item.discount.describe() if item.discount else ''}",
                            "-" + _fmt(line["discount"], p["currency"])))  # fmt: skip
    out.append("-" * WIDTH)
    out.append(_row("Subtotal:", _fmt(p["subtotal"], p["currency"])))
    if p["discount"]:
        out.append(_row("Discount:", "-" + _fmt(p["discount"], p["currency"])))
    for entry in totals.breakdown.entries:
        label = f"Tax {entry.rate.rate.normalize():f} %" if entry.rate is not None else "No tax"
        out.append(
            _row(
                f"{label}{' (included)' if p['prices_include_tax'] else ''}:",
                _fmt(entry.tax.minor, p["currency"]),
            )
        )
    out.append(_row("Total:", _fmt(p["total"], p["currency"], True)))
    for pay in p["payments"]:
        ref = f" ({pay['reference']})" if pay["reference"] else ""
        out.append(_row(f"{pay['method'].capitalize()}{ref}:", _fmt(pay["tendered"], p["currency"], True)))
    out.append(_row("Change:", _fmt(p["change"], p["currency"], True)))
    return "\n".join(out)


def _fmt(minor: int, currency: str, with_currency: bool = False) -> str:
    text = f"{Money(minor, currency).to_decimal()}"
    return f"{text} {currency}" if with_currency else text


def _row(left: str, right: str) -> str:
    return f"{left:<{max(WIDTH - len(right) - 1, len(left))}} {right}"


def _nothing_sold(message: str) -> str:
    text = sentence(message)
    return text if "Nothing was sold" in text else f"{text.rstrip('.')}. Nothing was sold."
