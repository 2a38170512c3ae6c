"""ReturnsService: take goods back against a receipt number and refund them. No Qt.

    returns = ReturnsService(engine)
    sale = returns.find_sale(" t1-000042 ")  # typed or scanned; None when no sale has that number
    line = sale.lines[0]
    done = returns.create_return(sale, {line.line_id: 1}, refund_to="original", restock=True)
    print(done.number, done.total, [(r.method, r.amount) for r in done.refunds])

The sale may have been made on this till (`sale`) or on any till or the web shop (a synced
order: another till's sale shows up here once that till has pushed it and this one has pulled).
A line may give back what was sold minus what every earlier return took, this till's and those
the shop reports; refunds follow pos.domain.returns.

`create_return` re-reads the sale inside one BEGIN IMMEDIATE transaction (so two screens cannot
return the same unit twice), then writes the return and its lines, takes the return number
`<till code>-R<seq>`, and enqueues `return.create` with +quantity pending stock for restocked
lines at this till's location; it returns after COMMIT. Bad input raises ReturnError (a
DomainError) with a message for a person, and nothing is written.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine

from pos.domain import returns as rules
from pos.domain.errors import DomainError
from pos.domain.ids import new_id
from pos.domain.money import Money
from pos.domain.permissions import Permission
from pos.domain.sale import format_timestamp
from pos.services.audit import record
from pos.services.cash_sessions import NoOpenSession, record_sale_takings
from pos.services.signed_in import SignedIn
from pos.store import outbox, till
from pos.store import returns as store
from pos.store.database import read_transaction, write_transaction
from pos.store.till_file import till_engine
from sync.protocol import MUTATION_PAYLOADS

log = logging.getLogger(__name__)

RETURN_CREATE = MUTATION_PAYLOADS["return.create"]
MAX_REASON_CHARS = 2000
# "T1-000042", "W-000017", "T1-R000003": a code, a dash, an optional R and digits.
_NUMBER = re.compile(r"^([A-Z0-9]{1,12})-(R?)(\d{1,12})$")
_PADDED_DIGITS = 6
# Orders that took no money (or gave it all back by cancelling) have nothing to refund.
_NOT_RETURNABLE = {"pending": "is not paid yet", "cancelled": "was cancelled"}


class ReturnError(DomainError):
    """A return that cannot be taken as asked; nothing was written."""


@dataclass(frozen=True)
class ReturnableLine:
    line_id: str
    variant_id: str | None
    sku: str
    title: str
    unit_price: Money
    sold: int
    returned: int  # by earlier returns, on any till
    total: Money  # the line's total, tax included
    tax: Money
    refunded: Money  # by earlier returns
    refunded_tax: Money

    @property
    def returnable(self) -> int:
        return self.sold - self.returned

    def as_sold_line(self) -> rules.SoldLine:
        return rules.SoldLine(
            self.line_id, self.title, self.sold, self.total, self.tax,
            returned=self.returned, refunded=self.refunded, refunded_tax=self.refunded_tax,
        )  # fmt: skip


@dataclass(frozen=True)
class ReturnableSale:
    order_id: str  # the sale's id (== the shop's order id)
    number: str
    source: str  # "till": made on this till; "pos": another till's (synced); "web": a web order
    status: str
    created_at: str
    currency: str
    customer_id: str | None
    total: Money
    lines: tuple[ReturnableLine, ...]
    payments: tuple[rules.Paid, ...]
    refunded_by_method: Mapping[str, Money]  # what earlier returns paid back, per method
    earlier_returns: tuple[str, ...]  # their numbers

    @property
    def fully_returned(self) -> bool:
        return all(line.returnable == 0 for line in self.lines)

    def line(self, line_id: str) -> ReturnableLine:
        for line in self.lines:
            if line.line_id == line_id:
                return line
        raise ReturnError("That line is not part of this sale.", field="quantities")


@dataclass(frozen=True)
class CompletedReturn:
    return_id: str
    number: str
    order_id: str
    sale_number: str
    total: Money
    refunds: tuple[rules.Refund, ...]
    lines: tuple[rules.LineRefund, ...]
    restocked: bool
    location_id: str
    created_at: datetime
    payload: dict[str, Any] = field(repr=False)  # the return.create payload, as written
    mutation_id: str = ""


def normalise_number(text: str) -> str:
    """A receipt number as typed or scanned, cleaned: " t1 - 000042\\n" -> "T1-000042"."""
    return re.sub(r"\s+", "", text or "").upper()


def number_candidates(text: str) -> list[str]:
    """The numbers `text` may mean: as cleaned, and zero-padded ("T1-42" -> "T1-000042")."""
    cleaned = normalise_number(text)
    match = _NUMBER.match(cleaned)
    if not match:
        return []
    code, r, digits = match.groups()
    padded = f"{code}-{r}{int(digits):0{_PADDED_DIGITS}d}"
    return [cleaned] if padded == cleaned else [cleaned, padded]


class ReturnsService:
    def __init__(
        self, engine: Engine, clock: Callable[[], datetime] | None = None, *, who: SignedIn
    ) -> None:
        self._engine = engine
        self._who = who
        self._clock = clock or (lambda: datetime.now(UTC))

    # --- finding the sale ------------------------------------------------------------------------

    def find_sale(self, number: str) -> ReturnableSale | None:
        """The sale a typed or scanned receipt number names, with what each line can still return.

        None when no sale on this till or in the synced orders has that number. ReturnError when the
        text is no receipt number at all, names a return, or names an order that took no money.
        """
        candidates = number_candidates(number)
        if not candidates:
            shown = normalise_number(number)[:40] or "nothing"
            raise ReturnError(
                f"{shown!s} is not a receipt number: type or scan one such as T1-000042.", field="number"
            )
        with read_transaction(self._engine) as con:
            for candidate in candidates:
                found = store.find_sale(con, candidate)
                if found is not None:
                    return _returnable(found)
            if any(store.is_return_number(con, c) for c in candidates):
                raise ReturnError(
                    f"{candidates[0]} is the number of a return, not of a sale: scan the sale's receipt.",
                    field="number",
                )
        return None

    def find_sale_or_explain(self, number: str) -> ReturnableSale:
        """find_sale, but a number that matches nothing is a ReturnError saying so."""
        found = self.find_sale(number)
        if found is None:
            raise ReturnError(
                f"No sale has receipt number {number_candidates(number)[-1]}, on this till or in the "
                "shop's orders synced here. A sale from another till shows up once both tills have "
                "synced.",
                field="number",
            )
        return found

    # --- taking the return ----------------------------------------------------------------------

    def create_return(
        self,
        sale: ReturnableSale,
        quantities: Mapping[str, int],
        *,
        refund_to: str = "original",
        restock: bool = True,
        reason: str | None = None,
    ) -> CompletedReturn:
        """Take back `quantities` (line id -> units) of `sale` and refund them, durably.

        Returns after COMMIT. Raises ReturnError / DomainError with nothing written when nothing is
        chosen, a quantity is not a whole number from 1 to what the line can still return, the
        refund mode is unknown, the till cannot take returns yet, or no shift is open (NoOpenSession).
        """
        actor, _ = self._who.require(Permission.RETURN_WITH_RECEIPT)
        staff_id = actor.id
        if refund_to not in rules.REFUND_MODES:
            raise ReturnError(f"Refund to {refund_to!r}? Choose the original payment or cash.",
                              field="refund_to")
        cleaned_reason = _clean_reason(reason)
        created_at = self._clock()
        return_id, mutation_id = new_id(), new_id()
        with self._write() as con:
            current = store.load_sale(con, sale.order_id)
            if current is None:
                raise ReturnError(f"Sale {sale.number} is no longer on this till. Nothing was returned.")
            fresh = _returnable(current)
            plan = rules.plan_return([line.as_sold_line() for line in fresh.lines], dict(quantities))
            location = till.selling_location(con)
            if location is None:
                raise ReturnError("This till has no location yet: sync with the shop first. "
                                  "Nothing was returned.")
            try:
                number = till.take_return_number(con)
            except till.TillNotReady as exc:
                raise ReturnError(f"{exc}. Nothing was returned.") from None
            total = sum((r.amount for r in plan), Money.zero(fresh.currency))
            refunds = rules.split_refund(
                total, fresh.payments, refund_to=refund_to, refunded_before=fresh.refunded_by_method
            )
            payload = _payload(
                fresh, plan, refunds, return_id=return_id, number=number, location_id=location,
                staff_id=staff_id, reason=cleaned_reason, restock=restock, created_at=created_at,
            )  # fmt: skip
            _validate(payload)
            store.insert_return(con, payload)
            # The shift counts the refund in the return's own transaction, as a sale's takings.
            if not record_sale_takings(con, payload["refunds"], fresh.currency, ref=number, at=created_at,
                                       staff_id=staff_id, refund=True):  # fmt: skip
                raise NoOpenSession("No shift is open on this till: open one with a float count first. "
                                    "Nothing was returned.")  # fmt: skip
            record(con, actor=actor, action=Permission.RETURN_WITH_RECEIPT, at=created_at, subject=number,
                   after={"sale": fresh.number, "total": total.minor, "refund_to": refund_to},
                   reason=cleaned_reason)  # fmt: skip
            outbox.enqueue(
                con, mutation_id=mutation_id, type="return.create", payload=payload,
                stock=_stock_deltas(fresh, plan, location) if restock else (),
            )  # fmt: skip
        log.info("return %s of sale %s committed: %s", number, fresh.number, total)
        return CompletedReturn(
            return_id, number, fresh.order_id, fresh.number, total, refunds, plan, restock, location,
            created_at, payload, mutation_id,
        )  # fmt: skip

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        return write_transaction(till_engine(self._engine))


def _returnable(found: store.StoredSale) -> ReturnableSale:
    why_not = _NOT_RETURNABLE.get(found.status)
    if why_not:
        raise ReturnError(f"Order {found.number} {why_not}: there is nothing to refund.", field="number")
    currency = found.currency
    earlier = _Earlier.of(found.returns, currency)
    lines = tuple(_line(ln, earlier, currency) for ln in found.lines)
    return ReturnableSale(
        order_id=found.id, number=found.number, source=found.source, status=found.status,
        created_at=found.created_at, currency=currency, customer_id=found.customer_id,
        total=Money(found.total, currency), lines=lines,
        payments=tuple(rules.Paid(p["method"], Money(int(p["amount"]), currency)) for p in found.payments),
        refunded_by_method=earlier.by_method,
        earlier_returns=tuple(str(r.get("number", "")) for r in found.returns),
    )  # fmt: skip


@dataclass
class _Earlier:
    """What earlier returns took back, per sale line, and paid back, per tender method."""

    returned: dict[str, int] = field(default_factory=dict)
    refunded: dict[str, int] = field(default_factory=dict)
    refunded_tax: dict[str, int] = field(default_factory=dict)
    by_method: dict[str, Money] = field(default_factory=dict)

    @classmethod
    def of(cls, returns: list[dict[str, Any]], currency: str) -> _Earlier:
        tally = cls()
        for earlier in returns:
            for ln in earlier.get("lines", []):
                key = ln["line_id"]
                tally.returned[key] = tally.returned.get(key, 0) + int(ln["quantity"])
                tally.refunded[key] = tally.refunded.get(key, 0) + int(ln["amount"])
                tally.refunded_tax[key] = tally.refunded_tax.get(key, 0) + int(ln["tax"])
            for refund in earlier.get("refunds", []):
                paid_back = Money(int(refund["amount"]), currency)
                method = refund["method"]
                tally.by_method[method] = tally.by_method.get(method, Money.zero(currency)) + paid_back
        return tally


def _line(ln: dict[str, Any], earlier: _Earlier, currency: str) -> ReturnableLine:
    line_id, sold = ln["id"], int(ln["quantity"])
    return ReturnableLine(
        line_id=line_id, variant_id=ln.get("variant_id"), sku=ln.get("sku", ""), title=ln["title"],
        unit_price=Money(int(ln["unit_price"]), currency), sold=sold,
        returned=min(earlier.returned.get(line_id, 0), sold),
        total=Money(int(ln["total"]), currency), tax=Money(int(ln["tax"]), currency),
        refunded=Money(earlier.refunded.get(line_id, 0), currency),
        refunded_tax=Money(earlier.refunded_tax.get(line_id, 0), currency),
    )  # fmt: skip


def _clean_reason(reason: str | None) -> str | None:
    if reason is None:
        return None
    if not isinstance(reason, str):
        raise ReturnError("The reason must be text.", field="reason")
    cleaned = reason.strip()
    if len(cleaned) > MAX_REASON_CHARS:
        raise ReturnError(f"The reason is too long: at most {MAX_REASON_CHARS} characters.", field="reason")
    return cleaned or None


def _payload(
    sale: ReturnableSale,
    plan: tuple[rules.LineRefund, ...],
    refunds: tuple[rules.Refund, ...],
    *,
    return_id: str,
    number: str,
    location_id: str,
    staff_id: str | None,
    reason: str | None,
    restock: bool,
    created_at: datetime,
) -> dict[str, Any]:
    return {
        "id": return_id,
        "number": number,
        "order_id": sale.order_id,
        "location_id": location_id,
        "staff_id": staff_id,
        "reason": reason,
        "lines": [
            {
                "id": new_id(), "line_id": r.line_id, "quantity": r.quantity, "amount": r.amount.minor,
                "tax": r.tax.minor, "restock": restock,
            }
            for r in plan
        ],
        "refunds": [
            {"id": new_id(), "method": r.method, "amount": r.amount.minor, "reference": None} for r in refunds
        ],
        "total": sum(r.amount.minor for r in plan),
        "created_at": format_timestamp(created_at),
    }


def _validate(payload: dict[str, Any]) -> None:
    # The shop checks the same: a return it would reject must never be handed out as refunded.
    try:
        RETURN_CREATE.validate_python(payload)
    except ValidationError as exc:
        raise ReturnError(
            f"This return cannot be sent to the shop ({exc.error_count()} problems: "
            f"{exc.errors()[0]['msg']}). Nothing was returned."
        ) from None


def _stock_deltas(
    sale: ReturnableSale, plan: tuple[rules.LineRefund, ...], location_id: str
) -> list[outbox.StockDelta]:
    back: dict[str, int] = {}
    for refund in plan:
        variant = sale.line(refund.line_id).variant_id
        if variant is not None:
            back[variant] = back.get(variant, 0) + refund.quantity
    return [(variant, location_id, quantity) for variant, quantity in back.items()]
