"""The shop's tables (SQLAlchemy Core). Alembic migrations in `migrations/` create them.

Timestamps are ISO 8601 UTC strings with a trailing "Z" (what the wire documents carry), so they
sort and compare as text on SQLite and PostgreSQL alike. Document versions live in `current_doc`
and `change_log`: `changelog.record` is the only place that bumps them.
"""

from __future__ import annotations

import string
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = String(64)
# Compared by code point on both databases (PostgreSQL would otherwise use its locale's order).
SORT_KEY = Text().with_variant(Text(collation="C"), "postgresql")
TS = String(32)


class nocase(FunctionElement):
    """`lower()` of ASCII letters only, as the tills' SQLite NOCASE collation compares SKUs: SQLite's
    own lower(); on PostgreSQL lower() under the "C" collation (its locale's would fold É as well)."""

    type = String()
    name = "nocase"
    inherit_cache = True


@compiles(nocase)
def _nocase_sqlite(element: nocase, compiler: Any, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(nocase, "postgresql")
def _nocase_postgresql(element: nocase, compiler: Any, **kw: Any) -> str:
    return f'lower({compiler.process(element.clauses, **kw)} COLLATE "C")'


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def nocase_key(text: str) -> str:
    """What `nocase()` makes of `text`, in Python."""
    return text.translate(_ASCII_LOWER)


settings = Table(
    "settings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("shop_name", String(200), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("prices_include_tax", Boolean, nullable=False),
)

location = Table(
    "location",
    metadata,
    Column("id", ID, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", Text, nullable=False),
)

tax_rate = Table(
    "tax_rate",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", Text, nullable=False),
    Column("rate", String(16), nullable=False),
)

product = Table(
    "product",
    metadata,
    Column("id", ID, primary_key=True),
    Column("title", String(500), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("category", Text, nullable=False, default=""),
    Column("status", String(16), nullable=False, default="active"),
    Column("tax_rate_id", ID, ForeignKey("tax_rate.id"), nullable=True),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
)

variant = Table(
    "variant",
    metadata,
    Column("id", ID, primary_key=True),
    Column("product_id", ID, ForeignKey("product.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("sku", String(64), nullable=False, unique=True),
    Column("barcode", String(14), nullable=True, index=True),
    Column("title", Text, nullable=False, default=""),
    Column("price", BigInteger, nullable=False),
    Column("position", Integer, nullable=False, default=0),
)
# Tills find SKUs ignoring letter case, so no two may differ only in case (catalog.py checks it).
Index("ix_variant_sku_nocase", nocase(variant.c.sku))

inventory_level = Table(
    "inventory_level",
    metadata,
    Column("id", ID, primary_key=True),
    Column("variant_id", ID, ForeignKey("variant.id", ondelete="CASCADE"), nullable=False),
    Column("location_id", ID, ForeignKey("location.id"), nullable=False, index=True),
    Column("quantity", BigInteger, nullable=False, default=0),
    UniqueConstraint("variant_id", "location_id"),
)

stock_movement = Table(
    "stock_movement",
    metadata,
    Column("id", ID, primary_key=True),
    # No foreign keys: the ledger outlives deleted variants and locations.
    Column("variant_id", ID, nullable=False, index=True),
    Column("location_id", ID, nullable=False),
    Column("delta", BigInteger, nullable=False),
    Column("reason", String(64), nullable=False),
    Column("source", String(64), nullable=False),
    Column("created_at", TS, nullable=False),
)

customer = Table(
    "customer",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", Text, nullable=False),
    Column("email", Text, nullable=True),
    Column("phone", Text, nullable=True),
    Column("loyalty_code", Text, nullable=True),
    Column("updated_at", TS, nullable=False),
)

# Lines, payments and fulfilments are always read and written with their order: JSON text columns.
order = Table(
    "order",
    metadata,
    Column("id", ID, primary_key=True),
    Column("number", String(64), nullable=False, unique=True),
    Column("source", String(8), nullable=False),
    Column("status", String(32), nullable=False),
    Column("customer_id", ID, ForeignKey("customer.id", ondelete="SET NULL"), nullable=True),
    Column("currency", String(3), nullable=False),
    Column("subtotal", BigInteger, nullable=False),
    Column("tax", BigInteger, nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("lines", Text, nullable=False),
    Column("payments", Text, nullable=False),
    Column("fulfilments", Text, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    # Where the goods left from (no foreign key: an order outlives its location); NULL on old orders.
    Column("location_id", ID, nullable=True),
    Column("returns", Text, nullable=False, server_default="[]"),
    # A customer's orders: counted before the customer may be deleted (records.remove refuses one
    # with orders, so the foreign key's SET NULL never fires), and looked up by the key's own check.
    Index("ix_order_customer_id", "customer_id"),
)

# Returns taken against orders (their documents live in `order.returns`): ids and receipt numbers
# are unique across the shop, which a JSON column alone could not promise.
order_return = Table(
    "order_return",
    metadata,
    Column("id", ID, primary_key=True),
    Column("number", String(64), nullable=False, unique=True),
    Column("order_id", ID, nullable=False, index=True),
    Column("created_at", TS, nullable=False),
)

staff = Table(
    "staff",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("pin_hash", Text, nullable=True),
    Column("active", Boolean, nullable=False, default=True),
)

device = Table(
    "device",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("revoked_at", TS, nullable=True),
    Column("created_at", TS, nullable=False),
    # The till code in receipt numbers ("T1"); NULL for admin devices added without one.
    Column("code", String(12), nullable=True, unique=True),
)

# Every mutation a till pushed that the shop applied, written in the same transaction as its effect:
# a mutation sent again answers `duplicate` with `result` (a MutationResult as JSON) and writes nothing.
applied_mutation = Table(
    "applied_mutation",
    metadata,
    Column("id", ID, primary_key=True),
    Column("device_id", ID, nullable=False),
    Column("type", String(32), nullable=False),
    Column("result", Text, nullable=False),
    Column("created_at", TS, nullable=False),
)

# Closed till sessions (shifts) as the tills pushed them (`cash.session`): the shop's cash books.
# Not a synced entity: tills never pull these. Per-tender figures and the cash count are JSON text.
cash_session = Table(
    "cash_session",
    metadata,
    Column("id", ID, primary_key=True),
    Column("device_id", ID, nullable=False),
    Column("till_code", String(12), nullable=False),
    Column("opened_by", ID, nullable=False),
    Column("closed_by", ID, nullable=False),
    Column("approved_by", ID, nullable=True),
    Column("opened_at", TS, nullable=False),
    Column("closed_at", TS, nullable=False, index=True),
    Column("currency", String(3), nullable=False),
    Column("float", BigInteger, nullable=False),
    Column("sale_count", Integer, nullable=False),
    Column("sales_total", BigInteger, nullable=False),
    Column("refund_count", Integer, nullable=False),
    Column("refunds_total", BigInteger, nullable=False),
    Column("pay_ins", BigInteger, nullable=False),
    Column("pay_outs", BigInteger, nullable=False),
    Column("drops", BigInteger, nullable=False),
    Column("variance", BigInteger, nullable=False),  # counted - expected over every tender
    Column("tenders", Text, nullable=False),
    Column("cash_count", Text, nullable=False),
    Column("received_at", TS, nullable=False),
)

# The tills' append-only audit log (`audit.entry`): who did what, when, where, why, approved by whom.
audit_entry = Table(
    "audit_entry",
    metadata,
    Column("id", ID, primary_key=True),
    Column("device_id", ID, nullable=False),
    Column("till_code", String(12), nullable=False),
    Column("at", TS, nullable=False),
    Column("staff_id", ID, nullable=True),
    Column("action", String(64), nullable=False),
    Column("subject", Text, nullable=True),
    Column("before", Text, nullable=True),
    Column("after", Text, nullable=True),
    Column("reason", Text, nullable=True),
    Column("approved_by", ID, nullable=True),
    Column("received_at", TS, nullable=False),
    Index("ix_audit_entry_at", "at"),
    Index("ix_audit_entry_staff_id_at", "staff_id", "at"),
    Index("ix_audit_entry_action_at", "action", "at"),
)

change_log = Table(
    "change_log",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False),
    Column("entity", String(32), nullable=False),
    Column("entity_id", ID, nullable=False),
    Column("op", String(8), nullable=False),
    Column("version", Integer, nullable=False),
    Column("data", Text, nullable=True),
    Column("created_at", TS, nullable=False),
    Index("ix_change_log_created_at", "created_at"),
)

# One row: `value` is the last seq handed out, `floor` the highest seq pruned from the log.
seq_counter = Table(
    "seq_counter",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("value", BigInteger, nullable=False),
    Column("floor", BigInteger, nullable=False),
)

# The last order number handed out per prefix ("W" web, "P" till); bumped in the order's transaction.
order_number = Table(
    "order_number",
    metadata,
    Column("prefix", String(8), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# The current wire document of every live record, pre-serialised, so a snapshot streams stored bytes.
current_doc = Table(
    "current_doc",
    metadata,
    Column("entity", String(32), primary_key=True),
    Column("id", ID, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("doc", Text, nullable=False),
    # Products: sync.protocol.title_order_key(title), the order a snapshot lists them in. Compared
    # by code point ("C" on PostgreSQL, SQLite's default BINARY). Other entities: NULL (by id).
    Column("sort_key", SORT_KEY, nullable=True),
    Index("ix_current_doc_order", "entity", "sort_key", "id"),
)

SYNCED_TABLES = {
    "location": location,
    "tax_rate": tax_rate,
    "staff": staff,
    "product": product,
    "inventory_level": inventory_level,
    "customer": customer,
    "order": order,
}
