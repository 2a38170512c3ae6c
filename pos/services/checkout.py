"""CheckoutService: the counter's use cases, from a scan to a durable, paid sale. No Qt.

The sell screen and the headless API (`countertop sell`, scripts, tests) call the same methods::

    from pos.domain.money import Money
    from pos.domain.tender import Tender
    from pos.services.checkout import CheckoutService
    from pos.store.database import open_replica

    engine = open_replica(settings.replica_path())
    who = SignedIn(StaffService(engine).sign_in(staff_id, pin))  # pos.services.signed_in
    CashSessions(engine).open(who.actor, {2000: 5})  # once per shift: the float by denomination
    checkout = CheckoutService(engine, settings, who=who)  # or a tuple of EmbeddedLayouts
    cart = checkout.new_cart()
    result = checkout.scan(cart, "4000000000017")  # .status: "added", "choose_variant", ...
    if result.status == "choose_variant":
        checkout.add_variant(cart, result.choices[0].variant_id)
    sale = checkout.checkout(cart, [Tender("cash", Money(5000, cart.currency))])
    print(sale.number, sale.totals.total, sale.settlement.change)

Selling needs a signed-in person allowed to sell and an open cash session on the till
(pos.services.cash_sessions); discounts above the limit and voids go through `set_line_discount`,
`set_cart_discount`, `void_line` and `void_cart`, which ask for a manager's approval
(pos.services.cart_controls). Every check happens before anything is written (a DomainError,
or its subclass CheckoutError, says what is wrong for a person). Then one BEGIN IMMEDIATE
transaction on a synchronous=FULL connection writes the sale, its lines and payments, takes the
receipt number, counts the takings into the open shift and enqueues the `sale.create` mutation
with its stock deltas (pos.store.outbox); `checkout` returns only after COMMIT, so a sale the
cashier sees as paid survives a kill or a power cut.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import Engine

from pos.domain.barcode import GTIN_LENGTHS, is_valid_gtin, normalise_code
from pos.domain.cart import Cart, CartItem, check_quantity, new_item
from pos.domain.cart_totals import CartTotals
from pos.domain.embedded import (
    EmbeddedCode,
    EmbeddedLayout,
    check_layouts,
    parse_embedded,
    weighed_price,
    weight_label,
)
from pos.domain.errors import DomainError, sentence
from pos.domain.ids import new_id
from pos.domain.money import Money
from pos.domain.permissions import Permission
from pos.domain.sale import build_sale, check_sale
from pos.domain.tender import Settlement, Tender, settle
from pos.services import scanning
from pos.services.cart_controls import CartControls
from pos.services.cash_sessions import NoOpenSession, record_sale_takings
from pos.services.catalog import MAX_CODE_CHARS, CatalogService
from pos.services.scanning import VariantRow
from pos.services.signed_in import SignedIn
from pos.settings import Settings
from pos.store import outbox, sales, till
from pos.store.database import BUSY_TIMEOUT_MS, driver_connection, read_transaction
from pos.store.till_file import till_engine
from sync.protocol import MAX_TEXT, MUTATION_PAYLOADS, fit_text

log = logging.getLogger(__name__)

SALE_CREATE = MUTATION_PAYLOADS["sale.create"]
LOCK_POLL_S = 0.0005
ScanStatus = Literal["added", "choose_variant", "unknown", "invalid"]


class CheckoutError(DomainError):
    """The till cannot sell right now or the request is unusable; nothing was written."""


@dataclass(frozen=True)
class VariantChoice:
    """A variant as the picker and the search list show it: price and shown stock at this till."""

    variant_id: str
    product_id: str
    sku: str
    barcode: str | None
    title: str  # "Product / M"
    option: str  # "M"; "" for a product's only variant
    price: Money
    stock: int  # the shop's level at this till's location plus this till's pending deltas
    active: bool


@dataclass(frozen=True)
class ProductMatch:
    product_id: str
    title: str
    variants: tuple[VariantChoice, ...]


@dataclass(frozen=True)
class ScanResult:
    status: ScanStatus
    message: str  # for a person: what was added, or why nothing was
    item: CartItem | None = None  # the added or merged line
    choices: tuple[VariantChoice, ...] = ()  # status "choose_variant": the variants the code names

    @property
    def added(self) -> bool:
        return self.status == "added"


@dataclass(frozen=True)
class CompletedSale:
    sale_id: str
    number: str
    totals: CartTotals
    settlement: Settlement
    created_at: datetime
    payload: dict[str, Any] = field(repr=False)  # the sale.create payload, as written
    mutation_id: str = ""
    location_id: str = ""


class CheckoutService:
    def __init__(
        self,
        engine: Engine,
        settings_or_layouts: Settings | Sequence[EmbeddedLayout] = (),
        *,
        who: SignedIn,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """`settings_or_layouts`: the Settings (its `embedded_barcodes`) or the layouts themselves;
        `who`: the person at the till, asked before every sale, discount and void."""
        self._engine = engine
        self._who = who
        self._till = till_engine(engine)  # sales, receipt numbers and the outbox live there
        if isinstance(settings_or_layouts, Settings):
            layouts: Sequence[EmbeddedLayout] = settings_or_layouts.embedded_barcodes
        else:
            layouts = settings_or_layouts
        self._layouts = check_layouts(layouts)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._catalog = CatalogService(engine)
        self._controls = CartControls(who, self._till, self._clock)
        self.set_line_discount = self._controls.set_line_discount
        self.set_cart_discount = self._controls.set_cart_discount
        self.void_line = self._controls.void_line
        self.void_cart = self._controls.void_cart

    # --- carts -----------------------------------------------------------------------------------

    def new_cart(self) -> Cart:
        """An empty cart in the shop's currency and tax mode."""
        with read_transaction(self._engine) as con:
            row = con.execute("SELECT currency, prices_include_tax FROM shop WHERE id = 1").fetchone()
        if row is None:
            raise CheckoutError("This till has not loaded its shop yet: connect it and sync first.")
        return Cart(currency=row[0], prices_include_tax=bool(row[1]))

    def scan(self, cart: Cart, code: str) -> ScanResult:
        """What a scanner or the scan field typed: add it, ask which variant, or say why not."""
        text = normalise_code(code)
        if not text:
            return ScanResult("invalid", "Nothing was scanned.")
        if len(text) > MAX_CODE_CHARS:
            return ScanResult(
                "invalid", f"That code is too long ({len(text)} characters). Nothing was added."
            )
        digits = text.isascii() and text.isdigit()
        with read_transaction(self._engine) as con:
            hits = scanning.by_barcode(con, text) if digits else []
            hits = hits or scanning.by_sku(con, text)
            if hits:
                return self._scanned_hits(con, cart, text, hits)
            if digits:
                return self._scanned_digits(con, cart, text)
        return _unknown(text)

    def add_variant(self, cart: Cart, variant_id: str, quantity: int = 1) -> CartItem:
        """Add `quantity` of a variant (from the picker or the search list); returns the cart line."""
        check_quantity(quantity)
        with read_transaction(self._engine) as con:
            row = scanning.by_id(con, variant_id)
        if row is None:
            raise CheckoutError("That item is no longer in the catalog: search for it again.")
        return cart.add(self._item(row, cart, quantity))

    def find(self, text: str, limit: int = 50) -> list[ProductMatch]:
        """Products matching `text` (name, SKU, barcode; best first) with their variants and stock."""
        rows = self._catalog.search(text, limit=limit)
        if not rows:
            return []
        currency = self._currency()
        with read_transaction(self._engine) as con:
            variants = scanning.by_products(con, [row.id for row in rows])
            location = till.selling_location(con)
            stock = scanning.shown_stock(con, [v.variant_id for v in variants], location)
        grouped: dict[str, list[VariantChoice]] = {}
        for variant in variants:  # in the shop's order (position), as the query returns them
            grouped.setdefault(variant.product_id, []).append(_choice(variant, currency, stock))
        return [
            ProductMatch(row.id, row.title, tuple(grouped.get(row.id, ())))
            for row in rows
            if grouped.get(row.id)
        ]

    def variants(self, product_id: str) -> list[VariantChoice]:
        """The variants of a product in their shop order, with price and shown stock."""
        currency = self._currency()
        with read_transaction(self._engine) as con:
            rows = scanning.by_product(con, product_id)
            location = till.selling_location(con)
            stock = scanning.shown_stock(con, [r.variant_id for r in rows], location)
        return [_choice(row, currency, stock) for row in rows]

    # --- paying ----------------------------------------------------------------------------------

    def checkout(self, cart: Cart, tenders: Sequence[Tender]) -> CompletedSale:
        """Validate, then write the sale durably in one transaction; returns after COMMIT.

        Raises DomainError (CheckoutError for till-level problems, NotSignedIn, PermissionDenied,
        NoOpenSession) with nothing written. The cart is left as it was: the caller starts a new
        one (`new_cart`). The sale is recorded as made by the signed-in person.
        """
        actor, _ = self._who.require(Permission.SELL)
        staff_id = actor.id
        if cart.is_empty:
            raise CheckoutError("The cart is empty: scan an item first. Nothing was sold.")
        self._controls.check_grown_discounts(cart, actor)  # the person as read for this sale, once
        totals = cart.totals()
        settlement = settle(totals.total, list(tenders))
        created_at = self._clock()
        sale_id, mutation_id = new_id(), new_id()
        with self._write() as con:
            location = till.selling_location(con)
            if location is None:
                raise CheckoutError("This till has no location to sell from yet: sync with the shop first.")
            try:
                number = till.take_sale_number(con)
            except till.TillNotReady as exc:
                raise CheckoutError(f"{exc}. Nothing was sold.") from None
            payload = build_sale(
                cart, settlement, sale_id=sale_id, number=number, location_id=location,
                staff_id=staff_id, created_at=created_at, totals=totals,
            )  # fmt: skip
            _validate(payload)
            sales.write_sale(con, payload)
            # The shift counts the sale in the sale's own transaction (pos.services.cash_sessions).
            if not record_sale_takings(con, payload["payments"], totals.total.currency, ref=number,
                                       at=created_at, staff_id=staff_id):  # fmt: skip
                raise NoOpenSession("No shift is open on this till: open one with a float count first. "
                                    "Nothing was sold.")  # fmt: skip
            outbox.enqueue(
                con, mutation_id=mutation_id, type="sale.create", payload=payload,
                stock=_stock_deltas(payload, location),
            )  # fmt: skip
        log.info("sale %s committed: %s in %d lines", number, totals.total, len(payload["lines"]))
        return CompletedSale(sale_id, number, totals, settlement, created_at, payload, mutation_id, location)

    def sale(self, number: str) -> dict[str, Any] | None:
        """The sale.create payload of a sale made on this till, by receipt number."""
        with read_transaction(self._engine) as con:
            return sales.sale_by_number(con, number)

    # --- the till --------------------------------------------------------------------------------

    def location(self) -> str | None:
        """The location this till sells from (chosen, else the shop's with the lowest code)."""
        with read_transaction(self._engine) as con:
            return till.selling_location(con)

    def set_location(self, location_id: str | None) -> None:
        """Sell from `location_id` (None: back to the default). CheckoutError if unknown."""
        with self._write() as con:
            known = (
                location_id is None
                or con.execute("SELECT 1 FROM location WHERE id = ?", (location_id,)).fetchone()
            )
            if not known:
                raise CheckoutError(f"There is no location {location_id!r} in this shop.")
            try:
                till.set_location(con, location_id)
            except till.TillNotReady as exc:
                raise CheckoutError(str(exc)) from None

    def till_code(self) -> str | None:
        with read_transaction(self._engine) as con:
            info = till.read_till(con)
        return info.till_code if info else None

    # --- helpers ---------------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with driver_connection(self._till) as con:
            _begin_immediate(con)
            try:
                yield con
                con.execute("COMMIT")
            except BaseException:
                if con.in_transaction:
                    con.execute("ROLLBACK")
                raise

    def _currency(self) -> str:
        return self.new_cart().currency

    def _item(self, row: VariantRow, cart: Cart, quantity: int = 1) -> CartItem:
        return new_item(
            variant_id=row.variant_id, product_id=row.product_id, sku=row.sku, title=row.title,
            unit_price=Money(row.price, cart.currency), tax_rate=row.checked_tax_rate(), quantity=quantity,
        )  # fmt: skip

    def _scanned_hits(
        self, con: sqlite3.Connection, cart: Cart, text: str, hits: list[VariantRow]
    ) -> ScanResult:
        if len({hit.variant_id for hit in hits}) > 1:
            location = till.selling_location(con)
            stock = scanning.shown_stock(con, [h.variant_id for h in hits], location)
            choices = tuple(_choice(hit, cart.currency, stock) for hit in hits)
            return ScanResult(
                "choose_variant", f"{text} is on {len(choices)} items: choose one.", choices=choices
            )
        return self._add(cart, lambda: self._item(hits[0], cart))

    def _scanned_digits(self, con: sqlite3.Connection, cart: Cart, text: str) -> ScanResult:
        try:
            embedded = parse_embedded(text, self._layouts, currency=cart.currency)
        except DomainError as exc:
            return ScanResult("invalid", f"{sentence(str(exc))}. Nothing was added.")
        if embedded is not None:
            return self._scanned_embedded(con, cart, embedded)
        if len(text) in GTIN_LENGTHS and not is_valid_gtin(text):
            return ScanResult(
                "invalid",
                f"Barcode {text} did not read right (wrong check digit): scan it again. Nothing was added.",
            )
        return _unknown(text)

    def _scanned_embedded(self, con: sqlite3.Connection, cart: Cart, code: EmbeddedCode) -> ScanResult:
        rows = scanning.by_barcode(con, code.lookup_barcode) or scanning.by_sku(con, code.item_code)
        if not rows:
            return ScanResult(
                "unknown", f"Scale item {code.item_code} (barcode {code.code}) is not in the catalog. "
                "Nothing was added.",
            )  # fmt: skip
        row = rows[0]

        def item() -> CartItem:
            if code.price is not None:
                price, title = code.price, row.title
            else:
                assert code.weight_grams is not None
                price = weighed_price(Money(row.price, cart.currency), code.weight_grams)
                label = weight_label(code.weight_grams)
                # The weight stays whole on the receipt: the title gives up the room for it.
                title = f"{fit_text(row.title, MAX_TEXT - len(label) - 1)} {label}"
            return new_item(
                variant_id=row.variant_id, product_id=row.product_id, sku=row.sku, title=title,
                unit_price=price, tax_rate=row.checked_tax_rate(), fixed_price=True,
            )  # fmt: skip

        return self._add(cart, item)

    @staticmethod
    def _add(cart: Cart, make: Callable[[], CartItem]) -> ScanResult:
        try:
            added = cart.add(make())
        except DomainError as exc:
            return ScanResult("invalid", f"{sentence(str(exc))}. Nothing was added.")
        count = f"{added.quantity} × " if added.quantity > 1 else ""
        return ScanResult("added", f"{count}{added.title}", item=added)


def _begin_immediate(con: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE, polling for the write lock every LOCK_POLL_S instead of SQLite's busy handler.

    The busy handler sleeps up to 100 ms between tries, so a sale waiting behind a sync that
    writes chunk after chunk only gets in when a try happens to fall in a gap between them
    (seconds, measured by benchmarks/sale_commit.py). Short polls catch the first gap.
    """
    con.execute("PRAGMA busy_timeout = 0")
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    try:
        while True:
            try:
                con.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(LOCK_POLL_S)
    finally:
        con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def _choice(row: VariantRow, currency: str, stock: dict[str, int]) -> VariantChoice:
    return VariantChoice(
        row.variant_id, row.product_id, row.sku, row.barcode, row.title, row.option,
        Money(row.price, currency), stock.get(row.variant_id, 0), row.status == "active",
    )  # fmt: skip


def _unknown(text: str) -> ScanResult:
    return ScanResult("unknown", f"Unknown code {text}: no barcode or SKU matches. Nothing was added.")


def _validate(payload: dict[str, Any]) -> None:
    # The shop checks the same: a sale it would reject must never be committed as paid.
    check_sale(payload)
    try:
        SALE_CREATE.validate_python(payload)
    except ValidationError as exc:
        raise CheckoutError(
            f"This sale cannot be sent to the shop ({exc.error_count()} problems: "
            f"{exc.errors()[0]['msg']}). Nothing was sold."
        ) from None


def _stock_deltas(payload: dict[str, Any], location_id: str) -> list[outbox.StockDelta]:
    sold: dict[str, int] = {}
    for line in payload["lines"]:
        if line["variant_id"] is not None:
            sold[line["variant_id"]] = sold.get(line["variant_id"], 0) + line["quantity"]
    return [(variant, location_id, -quantity) for variant, quantity in sold.items()]
