"""The replica's tables as SQLAlchemy Core metadata (the schema the migrations build).

Queries on hot paths use SQL text on the driver connection for speed; these definitions are the
readable reference, and tests/store/test_migrations.py checks that the migrated file matches them.
Synced entities keep the shop's id (a UUID string) and the shop's `version`. Only the product has
an integer `key` too: the catalog screen holds lists of keys, and AUTOINCREMENT never reuses one,
so a stale key can point at nothing but never at another product.

The product search index `product_fts` (FTS5) is not in this metadata: it is created by migration
0002 and kept in step by pos.store.products. Its rowid is a rank in title order (product_order,
pos.store.ranks), so matches come out of the index already sorted by title.

A first sync drops the secondary indexes of the tables it fills (LOAD_INDEXED_TABLES, but not
KEPT_DURING_LOAD) and builds them once at the end; pos.store.database._build_missing_indexes
re-creates any that a crash left missing.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
)

metadata = MetaData()

NOCASE = "NOCASE"

location = Table(
    "location",
    metadata,
    Column("id", String, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("code", String, nullable=False),
    Column("name", String, nullable=False),
)

tax_rate = Table(
    "tax_rate",
    metadata,
    Column("id", String, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("name", String, nullable=False),
    Column("rate", String, nullable=False),  # percent as a decimal string, e.g. "20" or "7.25"
)

staff = Table(
    "staff",
    metadata,
    Column("id", String, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("name", String, nullable=False),
    Column("role", String, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("pin_hash", String),
)

product = Table(
    "product",
    metadata,
    Column("key", Integer, primary_key=True),
    Column("id", String, nullable=False, unique=True),
    Column("version", Integer, nullable=False),
    Column("title", String(collation=NOCASE), nullable=False),
    Column("description", Text, nullable=False),
    Column("category", String, nullable=False),
    Column("status", String, nullable=False),
    Column("tax_rate_id", String),
    Column("updated_at", String, nullable=False),
    CheckConstraint("status IN ('active', 'archived')", name="ck_product_status"),
    Index("ix_product_title", "title"),
    sqlite_autoincrement=True,
)

# Search rank (the product_fts rowid) of each product; see pos.store.ranks.
product_order = Table(
    "product_order",
    metadata,
    Column("rank", Integer, primary_key=True, autoincrement=False),
    Column("key", Integer, nullable=False, unique=True),
)

variant = Table(
    "variant",
    metadata,
    Column("id", String, primary_key=True),
    Column("product_id", String, ForeignKey("product.id", ondelete="CASCADE"), nullable=False),
    Column("sku", String(collation=NOCASE), nullable=False),
    Column("barcode", String),
    Column("title", String, nullable=False),
    Column("price", Integer, nullable=False),
    Column("position", Integer, nullable=False),
    CheckConstraint("price >= 0", name="ck_variant_price"),
    Index("ix_variant_product", "product_id", "position"),
    Index("ix_variant_sku", "sku"),
    Index("ix_variant_barcode", "barcode"),
)

# No foreign keys to variant or location: each entity is snapshotted at its own cursor, so a level
# may arrive before the variant it belongs to (see docs/architecture.md, snapshot runs).
inventory_level = Table(
    "inventory_level",
    metadata,
    Column("id", String, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("variant_id", String, nullable=False),
    Column("location_id", String, nullable=False),
    Column("quantity", Integer, nullable=False),
    # Covering: the stock of a variant is read from the index alone, without a lookup by id.
    Index("ix_inventory_level_variant", "variant_id", "location_id", "quantity"),
    # One B-tree keyed by id instead of rows by rowid plus an id index (migration 0004).
    sqlite_with_rowid=False,
)

customer = Table(
    "customer",
    metadata,
    Column("id", String, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("name", String, nullable=False),
    Column("email", String),
    Column("phone", String),
    Column("loyalty_code", String),
    Column("updated_at", String, nullable=False),
    Index("ix_customer_loyalty_code", "loyalty_code"),
)

orders = Table(
    "orders",
    metadata,
    Column("id", String, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("number", String, nullable=False),
    Column("source", String, nullable=False),
    Column("status", String, nullable=False),
    Column("customer_id", String),
    Column("currency", String, nullable=False),
    Column("subtotal", Integer, nullable=False),
    Column("tax", Integer, nullable=False),
    Column("total", Integer, nullable=False),
    Column("created_at", String, nullable=False),
    Column("updated_at", String, nullable=False),
    Column("doc", Text, nullable=False),  # JSON: lines, payments, fulfilments
    Index("ix_orders_number", "number"),
)

shop = Table(
    "shop",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String, nullable=False),
    Column("currency", String, nullable=False),
    Column("prices_include_tax", Boolean, nullable=False),
    CheckConstraint("id = 1", name="ck_shop_single_row"),
)

sync_state = Table(
    "sync_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cursor", Integer),
    Column("last_success_at", String),
    Column("last_error", Text),
    CheckConstraint("id = 1", name="ck_sync_state_single_row"),
)

# Entities loaded in the current snapshot run, each at the cursor its snapshot was pinned to.
sync_snapshot = Table(
    "sync_snapshot",
    metadata,
    Column("entity", String, primary_key=True),
    Column("cursor", Integer, nullable=False),
)

# Tables whose secondary indexes a load into an empty table drops and rebuilds at its end. Not
# inventory_level: the shop sends stock levels by id (UUIDv7, so by creation, as their variants),
# so keeping their index up is an append per row that overlaps the staging, rather than a build
# after it (0.27 s after the copy against ~0.13 s spread through it; benchmarks/first_sync.py).
LOAD_INDEXED_TABLES = {
    "product": ("product", "variant"),
    "customer": ("customer",),  # 100k customers: 0.56 s instead of 1.17 s (benchmarks/customer_search.py)
}
# Indexes of those tables that are kept up during the load all the same: the shop lists products in
# title order (sync.protocol.title_order_key), so each title is appended at the end of the title
# index, and building it after the load would only add to the replica's busiest stretch (its write
# lock is taken in turns by the search index, the index builds and the stock levels' copies).
KEPT_DURING_LOAD = frozenset({"ix_product_title"})

# Customer search (pos.store.customers): prefix searches, case-insensitive, each one index range
# (~0.2 ms at 100k customers, benchmarks/customer_search.py). The name is searched from its start
# and from its second word (the surname in "Jane Smith"); the phone without spaces, dashes and
# brackets, so "0151 234" and "0151-234" find the same customer. Expressions must stay identical to
# the ones in pos.store.customers, or SQLite will not use these indexes.
CUSTOMER_SURNAME = "substr(name, instr(name, ' ') + 1)"
CUSTOMER_PHONE_DIGITS = "replace(replace(replace(replace(phone, ' ', ''), '-', ''), '(', ''), ')', '')"


def _phone_digits(phone: Column) -> object:
    for sign in (" ", "-", "(", ")"):
        phone = func.replace(phone, sign, "")
    return phone


Index("ix_customer_name_nocase", customer.c.name.collate(NOCASE))
Index(
    "ix_customer_surname_nocase",
    func.substr(customer.c.name, func.instr(customer.c.name, " ") + 1).collate(NOCASE),
)
Index("ix_customer_email_nocase", customer.c.email.collate(NOCASE))
Index("ix_customer_phone_digits", _phone_digits(customer.c.phone))
Index("ix_customer_loyalty_nocase", customer.c.loyalty_code.collate(NOCASE))
# A customer's orders, newest first, from the synced orders (this till's own sales: pos.store.till_tables).
Index("ix_orders_customer", orders.c.customer_id, orders.c.created_at)
