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

from typing import Annotated, Any, Literal

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

Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Minor = Annotated[int, Field(ge=-(10**15), le=10**15)]
Percent = Annotated[str, StringConstraints(pattern=r"^\d{1,3}(\.\d{1,4})?$")]
Timestamp = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")]
Text = Annotated[str, StringConstraints(max_length=2000)]


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
    barcode: Annotated[str, StringConstraints(pattern=r"^\d{8,14}$")] | None
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
]


class Mutation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Id
    type: MutationType
    payload: dict[str, Any]
    base_version: int | None = None


class PushRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    device_id: Id
    mutations: list[Mutation] = Field(max_length=100)


class MutationResult(BaseModel):
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
