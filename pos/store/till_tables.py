"""The till's own tables: what this till made, kept in a file of its own beside the replica.

The replica file holds the shop's data as pulled (pos.store.tables); a first sync writes it in
long transactions. Sales, returns, the outbox, pending stock deltas, parked carts and the till's
receipt sequences live in `<replica stem>.till.sqlite3` instead (pos.store.till_file), so that a
checkout takes only this file's write lock and never waits behind a sync (docs/architecture.md).
Every connection of either file attaches the other one read-only, so queries name tables without
a schema and join across both files.

These definitions are the readable reference; pos/store/till_migrations builds them, and
tests/store/test_till_file.py checks that the migrated file matches.
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
    UniqueConstraint,
)

till_metadata = MetaData()

# The outbox: mutations for the shop, in creation order (pos.store.outbox).
outbox = Table(
    "outbox",
    till_metadata,
    Column("position", Integer, primary_key=True),
    Column("id", String, nullable=False),
    Column("type", String, nullable=False),
    Column("payload", Text, nullable=False),  # JSON
    Column("base_version", Integer),
    Column("created_at", String, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("parked_status", String),  # 'conflict' or 'rejected': waiting for a person
    Column("parked_reason", Text),
    Column("parked_current", Text),  # JSON: the shop's current document on a conflict
    Column("parked_at", String),
    UniqueConstraint("id", name="uq_outbox_id"),
    CheckConstraint("parked_status IN ('conflict', 'rejected')", name="ck_outbox_parked_status"),
    sqlite_autoincrement=True,
)

# Stock deltas of this till's mutations not yet shown by pulled inventory levels (pos.store.outbox).
pending_stock = Table(
    "pending_stock",
    till_metadata,
    Column("id", Integer, primary_key=True),
    Column("mutation_id", String, nullable=False),
    Column("variant_id", String, nullable=False),
    Column("location_id", String, nullable=False),
    Column("delta", Integer, nullable=False),
    Column("applied_seq", Integer),  # the shop's change-log seq of the push that applied it
    Index("ix_pending_stock_variant", "variant_id", "location_id", "delta"),
    Index("ix_pending_stock_mutation", "mutation_id"),
    Index("ix_pending_stock_applied", "applied_seq"),
)

# --- selling (pos.store.till, pos.store.sales) ------------------------------------------------------

# This till: its code, its selling location (NULL: the location with the lowest code) and the
# next receipt numbers, taken inside each sale's or return's transaction.
till = Table(
    "till",
    till_metadata,
    Column("id", Integer, primary_key=True),
    Column("till_code", String, nullable=False),
    Column("device_id", String, nullable=False),
    Column("location_id", String),
    Column("next_sale", Integer, nullable=False, server_default="1"),
    Column("next_return", Integer, nullable=False, server_default="1"),
    CheckConstraint("id = 1", name="ck_till_single_row"),
)

# Sales made on this till, as the receipt shows them; `doc` is the sale.create payload (JSON).
sale = Table(
    "sale",
    till_metadata,
    Column("id", String, primary_key=True),
    Column("number", String, nullable=False),
    Column("created_at", String, nullable=False),
    Column("location_id", String, nullable=False),
    Column("customer_id", String),
    Column("staff_id", String),
    Column("currency", String, nullable=False),
    Column("prices_include_tax", Boolean, nullable=False),
    Column("subtotal", Integer, nullable=False),
    Column("discount", Integer, nullable=False),
    Column("tax", Integer, nullable=False),
    Column("total", Integer, nullable=False),
    Column("change", Integer, nullable=False),
    Column("doc", Text, nullable=False),
    UniqueConstraint("number", name="uq_sale_number"),
)

sale_line = Table(
    "sale_line",
    till_metadata,
    Column("id", String, primary_key=True),
    Column("sale_id", String, ForeignKey("sale.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("variant_id", String),
    Column("sku", String, nullable=False),
    Column("title", String, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price", Integer, nullable=False),
    Column("discount", Integer, nullable=False),
    Column("tax_rate", String),
    Column("tax", Integer, nullable=False),
    Column("total", Integer, nullable=False),
    Index("ix_sale_line_sale", "sale_id", "position"),
    Index("ix_sale_line_variant", "variant_id"),
)

sale_payment = Table(
    "sale_payment",
    till_metadata,
    Column("id", String, primary_key=True),
    Column("sale_id", String, ForeignKey("sale.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("method", String, nullable=False),
    Column("amount", Integer, nullable=False),
    Column("tendered", Integer, nullable=False),
    Column("reference", String),
    Index("ix_sale_payment_sale", "sale_id", "position"),
)

# --- after the sale (pos.store.returns, pos.store.parked) ------------------------------------------

# Returns taken on this till. `order_id` is the sale's id: a sale of this till (`sale`) or a synced
# order (`orders`, e.g. a sale made on another till). `doc` is the return.create payload (JSON).
sale_return = Table(
    "sale_return",
    till_metadata,
    Column("id", String, primary_key=True),
    Column("number", String, nullable=False),
    Column("order_id", String, nullable=False),
    Column("created_at", String, nullable=False),
    Column("location_id", String, nullable=False),
    Column("staff_id", String),
    Column("reason", Text),
    Column("total", Integer, nullable=False),
    Column("doc", Text, nullable=False),
    UniqueConstraint("number", name="uq_sale_return_number"),
    Index("ix_sale_return_order", "order_id"),
)

sale_return_line = Table(
    "sale_return_line",
    till_metadata,
    Column("id", String, primary_key=True),
    Column("return_id", String, ForeignKey("sale_return.id"), nullable=False),
    Column("line_id", String, nullable=False),  # the sale's (or order's) line
    Column("quantity", Integer, nullable=False),
    Column("amount", Integer, nullable=False),
    Column("tax", Integer, nullable=False),
    Column("restock", Boolean, nullable=False),
    CheckConstraint("quantity > 0", name="ck_sale_return_line_quantity"),
    Index("ix_sale_return_line_line", "line_id"),
)

# Carts put aside at the counter; `doc` is Cart.to_dict() (JSON). Resuming one deletes its row.
parked_cart = Table(
    "parked_cart",
    till_metadata,
    Column("id", String, primary_key=True),
    Column("parked_at", String, nullable=False),
    Column("label", String),
    Column("customer_id", String),
    Column("item_count", Integer, nullable=False),
    Column("total", Integer, nullable=False),
    Column("doc", Text, nullable=False),
)

# A customer's orders from this till's own sales, newest first (pos.store.customers).
Index("ix_sale_customer", sale.c.customer_id, sale.c.created_at)

# --- staff, cash sessions and the audit trail (till migration 0002, issue 5) -----------------------

# One row per shift (pos.store.cash_sessions); z_report is the cash.session payload of its close.
cash_session = Table(
    "cash_session",
    till_metadata,
    Column("id", String, primary_key=True),
    Column("opened_at", String, nullable=False),
    Column("opened_by", String, nullable=False),
    Column("currency", String, nullable=False),
    Column("float_count", Text, nullable=False),  # JSON [{"value", "count"}]
    Column("closed_at", String),
    Column("closed_by", String),
    Column("approved_by", String),
    Column("z_report", Text),
    CheckConstraint("(closed_at IS NULL) = (z_report IS NULL)", name="ck_cash_session_closed"),
    Index("ix_cash_session_closed_at", "closed_at"),
)

# A session's sales, refunds, pay-ins, pay-outs and drops in order; the session is rebuilt from them.
cash_event = Table(
    "cash_event",
    till_metadata,
    Column("id", String, primary_key=True),
    Column("session_id", String, ForeignKey("cash_session.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("kind", String, nullable=False),
    Column("at", String, nullable=False),
    Column("staff_id", String),
    Column("reason", Text),
    Column("ref", String),  # the receipt or return number of a sale or refund
    Column("amounts", Text, nullable=False),  # JSON: minor units by tender
    UniqueConstraint("session_id", "position", name="uq_cash_event_position"),
    CheckConstraint("kind IN ('sale', 'refund', 'pay_in', 'pay_out', 'drop')", name="ck_cash_event_kind"),
)

# Append-only (triggers refuse UPDATE and DELETE): who did what, when, why, approved by whom.
audit_log = Table(
    "audit_log",
    till_metadata,
    Column("id", String, primary_key=True),
    Column("at", String, nullable=False),
    Column("staff_id", String),
    Column("action", String, nullable=False),
    Column("subject", Text),
    Column("before", Text),
    Column("after", Text),
    Column("reason", Text),
    Column("approved_by", String),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_staff_at", "staff_id", "at"),
    Index("ix_audit_log_action_at", "action", "at"),
)

# Wrong PINs in a row per person, and until when they are locked out (pos.services.staff).
sign_in_guard = Table(
    "sign_in_guard",
    till_metadata,
    Column("staff_id", String, primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("locked_until", String),
)

# Receipts held with "Print later" until they print (pos.services.printing); rebuilt from the number.
held_receipt = Table(
    "held_receipt",
    till_metadata,
    Column("number", String, primary_key=True),
    Column("held_at", String, nullable=False),
    Column("opens_drawer", Boolean, nullable=False),
)

# Every till table, parents before children: the order rows move in from an older replica.
TILL_TABLES = (
    "till",
    "outbox",
    "pending_stock",
    "sale",
    "sale_line",
    "sale_payment",
    "sale_return",
    "sale_return_line",
    "parked_cart",
    "cash_session",
    "cash_event",
    "audit_log",
    "sign_in_guard",
    "held_receipt",
)
