"""Wire types of the Countertop sync protocol, version 1, shared by client and server.

Entity documents are TypedDicts so that a validated document is a plain dict: the client validates
hundreds of thousands of them during a first sync, and building model objects for each would cost
more than the rest of the pull. Envelopes and request bodies are pydantic models.

Conventions:
- ids are UUID strings (UUIDv7 when a till or the server creates them);
- money is an integer count of minor units in the shop currency;
- tax rates are decimal strings in percent ("20", "7.25");
- timestamps are ISO 8601 strings in UTC with a trailing "Z".
"""

from __future__ import annotations

import string
from typing import Annotated, Any, Literal, NotRequired

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter
from typing_extensions import TypedDict

PROTOCOL_VERSION = 1
API_PREFIX = "/api/v1"

# Snapshot order: referenced entities first, so a till can show products with their tax rates
# and stock as soon as they arrive.
ENTITIES: tuple[str, ...] = (
    "location",
    "tax_rate",
    "staff",
    "product",
    "inventory_level",
    "customer",
    "order",
)
Entity = Literal["location", "tax_rate", "staff", "product", "inventory_level", "customer", "order"]

MAX_MINOR = 10**15  # any amount of money, in minor units
MAX_TEXT = 2000  # characters of a free text field



def fit_text(text: str, limit: int = MAX_TEXT) -> str:
    """`text` cut to `limit` characters with an ellipsis. For a line's title joined from a product's
    and a variant's (each within its own cap, together perhaps over it): it is a copy for people to
    read, the line keeps its variant id and SKU, and the product's part comes first. A caller adding
    to it (a weighed item's weight) cuts it to the room left."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Minor = Annotated[int, Field(ge=-MAX_MINOR, le=MAX_MINOR)]
Amount = Annotated[int, Field(ge=0, le=MAX_MINOR)]  # money that cannot be negative
# Digits are spelled [0-9]: the regex engine's \d also matches other scripts' digits ("٢٠"), which
# Decimal and datetime would then read or refuse in ways the shop and the till do not agree on.
Percent = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,3}(\.[0-9]{1,4})?$")]
Timestamp = Annotated[
    str, StringConstraints(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$")
]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]


# --- entity documents (the `data` of a change, one line of a snapshot) -----------------------


class LocationDoc(TypedDict):
    id: Id
    version: int
    code: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    name: Text


class TaxRateDoc(TypedDict):
    id: Id
    version: int
    name: Text
    rate: Percent


class StaffDoc(TypedDict):
    id: Id
    version: int
    name: Text
    role: Literal["cashier", "warehouse", "manager"]
    active: bool
    pin_hash: str | None


class VariantDoc(TypedDict):
    id: Id
    sku: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    barcode: Annotated[str, StringConstraints(pattern=r"^[0-9]{8,14}$")] | None
    title: Text  # option values, e.g. "M / Blue"; "" for a product's only variant
    price: Annotated[int, Field(ge=0, le=10**12)]
    position: int


class ProductDoc(TypedDict):
    id: Id
    version: int
    title: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    description: Text
    category: Text
    status: Literal["active", "archived"]
    tax_rate_id: Id | None
    variants: list[VariantDoc]
    updated_at: Timestamp


class InventoryLevelDoc(TypedDict):
    id: Id
    version: int
    variant_id: Id
    location_id: Id
    quantity: int


class CustomerDoc(TypedDict):
    id: Id
    version: int
    name: Text
    email: Text | None
    phone: Text | None
    loyalty_code: Text | None
    updated_at: Timestamp


class OrderLineDoc(TypedDict):
    id: Id
    variant_id: Id | None
    sku: str
    title: Text
    quantity: int
    unit_price: Minor
    discount: Minor
    tax_rate: Percent | None
    tax: Minor
    total: Minor


class PaymentDoc(TypedDict):
    id: Id
    method: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    amount: Minor
    reference: Text | None


class FulfilmentLineDoc(TypedDict):
    line_id: Id
    quantity: int


class FulfilmentDoc(TypedDict):
    id: Id
    lines: list[FulfilmentLineDoc]
    tracking: Text | None
    created_at: Timestamp


class ReturnLineDoc(TypedDict):
    id: Id
    line_id: Id  # the order line the goods came back from
    quantity: Annotated[int, Field(ge=1, le=1_000_000)]
    amount: Minor  # refunded for this line, tax included
    tax: Minor  # the tax inside `amount`
    restock: bool  # True: the goods went back on the shelf (stock moved +quantity)


class RefundDoc(TypedDict):
    id: Id
    method: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    amount: Minor  # paid back to the customer
    reference: Text | None


class ReturnDoc(TypedDict):
    id: Id
    number: Annotated[str, StringConstraints(min_length=1, max_length=64)]  # "<till code>-R<seq>"
    location_id: Id
    reason: Text | None
    lines: list[ReturnLineDoc]
    refunds: list[RefundDoc]
    total: Minor  # sum of line amounts == sum of refunds
    created_at: Timestamp


class OrderDoc(TypedDict):
    id: Id
    version: int
    number: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    source: Literal["web", "pos"]
    status: Literal["pending", "paid", "fulfilled", "partially_fulfilled", "cancelled", "refunded"]
    customer_id: Id | None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    subtotal: Minor
    tax: Minor
    total: Minor
    lines: list[OrderLineDoc]
    payments: list[PaymentDoc]
    fulfilments: list[FulfilmentDoc]
    created_at: Timestamp
    updated_at: Timestamp
    # Added for issue 4 (absent in documents of older shops): returns taken against this order, and
    # for till sales the location the goods left from.
    returns: NotRequired[list[ReturnDoc]]
    location_id: NotRequired[Id | None]


DOC_TYPES: dict[str, type] = {
    "location": LocationDoc,
    "tax_rate": TaxRateDoc,
    "staff": StaffDoc,
    "product": ProductDoc,
    "inventory_level": InventoryLevelDoc,
    "customer": CustomerDoc,
    "order": OrderDoc,
}
# Validators that return plain dicts; build once, reuse (they are thread-safe).
DOC_VALIDATORS: dict[str, TypeAdapter[Any]] = {name: TypeAdapter(t) for name, t in DOC_TYPES.items()}


# --- pull ------------------------------------------------------------------------------------


class ShopInfo(BaseModel):
    """`GET /api/v1/sync/shop`: who the shop is and who the caller is ("test connection")."""

    protocol_version: int = PROTOCOL_VERSION
    shop_name: str
    currency: str
    prices_include_tax: bool
    device_id: str
    device_name: str
    head: int
    # Short code of this till, unique in the shop: receipt numbers are "<till_code>-<sequence>".
    # None from shops that predate it; the till then uses a code derived from its device id.
    till_code: str | None = None


class SnapshotHeader(TypedDict):
    """First NDJSON line of `GET /sync/snapshot?entity=E`."""

    type: Literal["header"]
    entity: Entity
    cursor: int  # the change-log seq the snapshot is pinned to
    count: int  # number of document lines that follow


class SnapshotTrailer(TypedDict):
    """Last NDJSON line: lets the client tell a complete stream from a truncated one."""

    type: Literal["end"]
    count: int


# Between header and trailer each line is one entity document (DOC_TYPES[entity]).
# Products come in title order (title_order_key, then id); other entities by id. Any order is
# valid: a till that gets products in title order builds its search index as they arrive.

_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def title_order_key(title: str) -> str:
    """A product title as tills order search results: ASCII letters lowercased, then code points.

    That is SQLite's NOCASE collation (it folds ASCII only and compares UTF-8 bytes, which order as
    code points do). The shop keeps this key with each product's document to list a snapshot in it.
    """
    # str.lower() folds only A-Z in an ASCII string, and is ~10x faster than translate.
    return title.lower() if title.isascii() else title.translate(_ASCII_LOWER)


class Change(TypedDict):
    seq: int
    entity: Entity
    id: Id
    op: Literal["upsert", "delete"]
    version: int
    data: dict[str, Any] | None  # the entity document for upserts, null for deletes


class ChangesPage(TypedDict):
    """`GET /sync/changes?since=SEQ&limit=N`. `ETag` header is the quoted head."""

    changes: list[Change]
    next: int  # the cursor to ask with next time: seq of the last change, or `since` if none
    head: int  # highest seq in the log when the page was read
    has_more: bool


CHANGES_PAGE = TypeAdapter(ChangesPage)
SNAPSHOT_HEADER = TypeAdapter(SnapshotHeader)
SNAPSHOT_TRAILER = TypeAdapter(SnapshotTrailer)
MAX_CHANGES_LIMIT = 5000


# --- push (issue 4 builds on these) ------------------------------------------------------------

MutationType = Literal[
    "sale.create",
    "return.create",
    "customer.upsert",
    "stock.adjust",
    "stock.count",
    "product.update",
    "fulfilment.create",
    "order.status",
    "cash.session",
    "audit.entry",
]


MAX_PUSH_BATCH = 100


def fallback_till_code(device_id: str) -> str:
    """The till code of a device the shop gave none: "T" + the last 6 hex digits of its id, upper-
    cased. The till prints it on receipts and books; the shop files the till's books under it.

    The last digits, not the first: a UUIDv7 starts with its creation time, so two devices added
    the same day would share a prefix.
    """
    digits = "".join(c for c in device_id if c in string.hexdigits)[-6:].upper()
    return "T" + (digits or "0")
ReceiptNumber = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{1,12}-R?[0-9]{1,12}$")]
Quantity = Annotated[int, Field(ge=1, le=1_000_000)]


class SaleLine(TypedDict):
    """One line of a till sale, priced on the till (pos.domain); the server stores it as sent."""

    id: Id
    variant_id: Id | None  # None for an open-price item with no catalog variant
    sku: str
    title: Text  # "Product / variant", as printed on the receipt
    quantity: Quantity
    unit_price: Minor  # for a price- or weight-embedded barcode: the encoded line price
    discount: Minor  # the line's own discount plus its share of the cart discount
    tax_rate: Percent | None
    tax: Minor
    total: Minor  # what the customer pays for the line, tax included


class SalePayment(TypedDict):
    id: Id
    method: Literal["cash", "card"]
    amount: Minor  # applied to the sale: for cash, tendered minus change
    tendered: Minor  # handed over (cash) or charged (card, == amount)
    reference: Text | None  # card terminal reference, optional


class SaleCreate(TypedDict):
    """Payload of `sale.create`: becomes an order with source "pos", status "paid", id == `id`.

    Stock: the server moves every line with a variant by -quantity at `location_id`.
    Invariant checked by the server: sum(line totals) == total == sum(payment amounts),
    sum(tendered) - change == total, change only from cash.
    """

    id: Id
    number: ReceiptNumber
    location_id: Id
    customer_id: Id | None
    staff_id: Id | None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    prices_include_tax: bool
    subtotal: Minor  # sum of unit_price * quantity
    discount: Minor  # sum of line discounts (cart discount included)
    tax: Minor
    total: Minor
    change: Minor
    lines: Annotated[list[SaleLine], Field(min_length=1, max_length=1000)]
    payments: Annotated[list[SalePayment], Field(min_length=1, max_length=20)]
    created_at: Timestamp


class ReturnCreate(TypedDict):
    """Payload of `return.create`: appended to the order's `returns`.

    Restocked lines move stock by +quantity at `location_id`. The server rejects a return of more
    than was sold minus already returned, per line, and refunds that differ from the line amounts.
    """

    id: Id
    number: ReceiptNumber
    order_id: Id
    location_id: Id
    staff_id: Id | None
    reason: Text | None
    lines: Annotated[list[ReturnLineDoc], Field(min_length=1, max_length=1000)]
    refunds: Annotated[list[RefundDoc], Field(min_length=1, max_length=20)]
    total: Minor
    created_at: Timestamp


class CustomerUpsert(TypedDict):
    """Payload of `customer.upsert`: create (till-made UUIDv7 id) or change a customer.

    With the mutation's `base_version` set, a stale version answers `conflict` with the current
    customer document.
    """

    id: Id
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    email: Text | None
    phone: Text | None
    loyalty_code: Text | None


TillCode = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{1,12}$")]
Count = Annotated[int, Field(ge=0, le=10**9)]


class CashTender(TypedDict):
    """One tender's line of a closed session: expected = taken - refunded (cash: plus the float,
    pay-ins, minus pay-outs and drops); variance = counted - expected (negative: money missing)."""

    method: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    taken: Minor  # applied by the session's sales (cash: tendered - change)
    refunded: Minor
    expected: Minor
    counted: Minor
    variance: Minor


class CashPieces(TypedDict):
    value: Annotated[int, Field(ge=1, le=10**9)]  # a note or coin in minor units
    count: Annotated[int, Field(ge=0, le=1_000_000)]


class CashSessionClose(TypedDict):
    """Payload of `cash.session`: a closed till session (shift) for the shop's books (its Z report).

    The server checks the arithmetic to the cent: per tender as in CashTender; taken adds up to
    sales_total, refunded to refunds_total; the cash count adds up to the cash counted.
    """

    id: Id
    till_code: TillCode
    opened_by: Id  # staff ids
    closed_by: Id
    approved_by: Id | None  # the manager who accepted a variance above the limit
    opened_at: Timestamp
    closed_at: Timestamp
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    float: Amount
    sale_count: Count
    sales_total: Minor
    refund_count: Count
    refunds_total: Minor
    pay_ins: Amount
    pay_outs: Amount
    drops: Amount
    tenders: Annotated[list[CashTender], Field(min_length=1, max_length=20)]
    cash_count: Annotated[list[CashPieces], Field(max_length=50)]


class AuditEntry(TypedDict):
    """Payload of `audit.entry`: one line of a till's append-only audit log.

    `action` is a pos.domain.permissions.Permission value ("void.sale", "drawer.open", ...) or
    another dotted name; `before` and `after` are small JSON objects describing what changed.
    """

    id: Id
    at: Timestamp
    till_code: TillCode
    staff_id: Id | None  # None: nobody signed in (e.g. a till-wide event)
    action: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$", max_length=64)]
    subject: Text | None  # what it was done to, for a person: "T1-000042", a SKU
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: Text | None
    approved_by: Id | None  # the manager whose PIN approved it


# Validators of the payloads the reference shop applies; a type not listed is `rejected`.
MUTATION_PAYLOADS: dict[str, TypeAdapter[Any]] = {
    "sale.create": TypeAdapter(SaleCreate),
    "return.create": TypeAdapter(ReturnCreate),
    "customer.upsert": TypeAdapter(CustomerUpsert),
    "cash.session": TypeAdapter(CashSessionClose),
    "audit.entry": TypeAdapter(AuditEntry),
}


class Mutation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Id
    type: MutationType
    payload: dict[str, Any]
    base_version: int | None = None


class PushRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    device_id: Id
    mutations: list[Mutation] = Field(min_length=1, max_length=MAX_PUSH_BATCH)


class MutationResult(BaseModel):
    """One result per pushed mutation, in the order sent.

    applied / duplicate: `seq` is the highest change-log seq at which the effects were logged
    (the till drops its pending stock deltas once its cursor reaches it). duplicate returns the
    stored result of the first application. conflict: `current` is the current document.
    rejected: `reason` says why, for a person. Only applied results are stored; a conflicting or
    rejected mutation sent again is judged again.
    """

    id: Id
    status: Literal["applied", "duplicate", "conflict", "rejected"]
    seq: int | None = None
    reason: str | None = None
    current: dict[str, Any] | None = None


class PushResponse(BaseModel):
    results: list[MutationResult]


# --- errors (RFC 9457) -------------------------------------------------------------------------


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[dict[str, Any]] | None = None


PROBLEM_MEDIA_TYPE = "application/problem+json"
NDJSON_MEDIA_TYPE = "application/x-ndjson"
