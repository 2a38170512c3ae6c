"""Request bodies of the admin API. Unknown fields are refused (extra="forbid")."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from sync.pin_hash import pin_problem
from sync.protocol import Percent
from sync.server.barcodes import barcode_problem


def _barcode(value: str | None) -> str | None:
    if value is not None and (why := barcode_problem(value)):
        raise ValueError(why)
    return value


def _pin(value: str) -> str:
    # The same rule as `countertop-shop staff add`: a new PIN is 4-8 digits and not trivially guessed.
    if why := pin_problem(value):
        raise ValueError(why)
    return value


Name = Annotated[str, StringConstraints(min_length=1, max_length=500, strip_whitespace=True)]
Text = Annotated[str, StringConstraints(max_length=2000)]
Sku = Annotated[str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True)]
RefId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Barcode = Annotated[str | None, AfterValidator(_barcode)]
Price = Annotated[int, Field(ge=0, le=10**12, description="minor units, tax as the shop's tax mode says")]
Code = Annotated[str, StringConstraints(min_length=1, max_length=32, strip_whitespace=True)]
Pin = Annotated[str, StringConstraints(max_length=64), AfterValidator(_pin)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LocationIn(Body):
    code: Code
    name: Name


class LocationPatch(Body):
    code: Code | None = None
    name: Name | None = None


class TaxRateIn(Body):
    name: Name
    rate: Percent


class TaxRatePatch(Body):
    name: Name | None = None
    rate: Percent | None = None


class VariantIn(Body):
    id: RefId | None = Field(None, description="in PATCH: keep and change this existing variant")
    sku: Sku | None = None
    barcode: Barcode = None
    title: Text | None = None
    price: Price | None = None
    position: Annotated[int, Field(ge=0, le=10_000)] | None = None


Status = Literal["active", "archived"]


class ProductIn(Body):
    title: Name
    description: Text = ""
    category: Text = ""
    status: Status = "active"
    tax_rate_id: RefId | None = None
    variants: Annotated[list[VariantIn], Field(min_length=1, max_length=100)]


class ProductPatch(Body):
    title: Name | None = None
    description: Text | None = None
    category: Text | None = None
    status: Status | None = None
    tax_rate_id: RefId | None = None
    variants: Annotated[list[VariantIn], Field(min_length=1, max_length=100)] | None = Field(
        None,
        description="replaces the set: variants whose id is given are kept and changed, the rest deleted",
    )


class StockAdjust(Body):
    variant_id: RefId
    location_id: RefId
    delta: Annotated[int, Field(ge=-(10**9), le=10**9)]
    reason: Annotated[str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True)]


Contact = Annotated[str, StringConstraints(max_length=320, strip_whitespace=True)]


class CustomerIn(Body):
    name: Name
    email: Contact | None = None
    phone: Contact | None = None
    loyalty_code: Contact | None = None


class CustomerPatch(Body):
    name: Name | None = None
    email: Contact | None = None
    phone: Contact | None = None
    loyalty_code: Contact | None = None


class OrderLineIn(Body):
    variant_id: RefId
    quantity: Annotated[int, Field(ge=1, le=100_000)]


class OrderIn(Body):
    lines: Annotated[list[OrderLineIn], Field(min_length=1, max_length=500)]
    customer_id: RefId | None = None
    location_id: RefId | None = Field(None, description="stock leaves this location (default: the first)")


OrderStatus = Literal["pending", "paid", "fulfilled", "partially_fulfilled", "cancelled", "refunded"]


class OrderStatusPatch(Body):
    status: OrderStatus


Role = Literal["cashier", "warehouse", "manager"]


class StaffIn(Body):
    name: Name
    role: Role
    pin: Pin | None = Field(
        None, description="4-8 digits, not a run or a repeat; only a salted scrypt hash is kept"
    )
    active: bool = True


class StaffPatch(Body):
    name: Name | None = None
    role: Role | None = None
    pin: Pin | None = None
    active: bool | None = None


class DeviceIn(Body):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
    admin: bool = False
    code: Annotated[str, StringConstraints(max_length=40)] | None = Field(
        None, description="till code in receipt numbers (1-12 letters or digits); default: next free T<n>"
    )


class PruneIn(Body):
    older_than_seconds: Annotated[int, Field(ge=0, le=10**10)]
