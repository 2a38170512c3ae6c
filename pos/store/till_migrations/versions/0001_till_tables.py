"""The till file: sales, returns, the outbox, pending stock, parked carts and the till row.

Revision ID: 0001
Revises:
Create Date: 2026-11-25

The same tables (and indexes) the replica held at its migration 0008, now in a file of their own
so a checkout never waits for the replica's write lock during a sync. Rows of an older replica are
moved here by pos.store.till_file.move_rows before replica migration 0009 drops them there.
"""

from __future__ import annotations

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

STATEMENTS = (
    """CREATE TABLE till (
        id INTEGER NOT NULL PRIMARY KEY,
        till_code VARCHAR NOT NULL,
        device_id VARCHAR NOT NULL,
        location_id VARCHAR,
        next_sale INTEGER NOT NULL DEFAULT 1,
        next_return INTEGER NOT NULL DEFAULT 1,
        CONSTRAINT ck_till_single_row CHECK (id = 1))""",
    """CREATE TABLE outbox (
        position INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
        id VARCHAR NOT NULL,
        type VARCHAR NOT NULL,
        payload TEXT NOT NULL,
        base_version INTEGER,
        created_at VARCHAR NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        parked_status VARCHAR,
        parked_reason TEXT,
        parked_current TEXT,
        parked_at VARCHAR,
        CONSTRAINT uq_outbox_id UNIQUE (id),
        CONSTRAINT ck_outbox_parked_status CHECK (parked_status IN ('conflict', 'rejected')))""",
    """CREATE TABLE pending_stock (
        id INTEGER NOT NULL PRIMARY KEY,
        mutation_id VARCHAR NOT NULL,
        variant_id VARCHAR NOT NULL,
        location_id VARCHAR NOT NULL,
        delta INTEGER NOT NULL,
        applied_seq INTEGER)""",
    "CREATE INDEX ix_pending_stock_variant ON pending_stock (variant_id, location_id, delta)",
    "CREATE INDEX ix_pending_stock_mutation ON pending_stock (mutation_id)",
    "CREATE INDEX ix_pending_stock_applied ON pending_stock (applied_seq)",
    """CREATE TABLE sale (
        id VARCHAR NOT NULL PRIMARY KEY,
        number VARCHAR NOT NULL,
        created_at VARCHAR NOT NULL,
        location_id VARCHAR NOT NULL,
        customer_id VARCHAR,
        staff_id VARCHAR,
        currency VARCHAR NOT NULL,
        prices_include_tax BOOLEAN NOT NULL,
        subtotal INTEGER NOT NULL,
        discount INTEGER NOT NULL,
        tax INTEGER NOT NULL,
        total INTEGER NOT NULL,
        change INTEGER NOT NULL,
        doc TEXT NOT NULL,
        CONSTRAINT uq_sale_number UNIQUE (number))""",
    "CREATE INDEX ix_sale_customer ON sale (customer_id, created_at)",
    """CREATE TABLE sale_line (
        id VARCHAR NOT NULL PRIMARY KEY,
        sale_id VARCHAR NOT NULL REFERENCES sale (id),
        position INTEGER NOT NULL,
        variant_id VARCHAR,
        sku VARCHAR NOT NULL,
        title VARCHAR NOT NULL,
        quantity INTEGER NOT NULL,
        unit_price INTEGER NOT NULL,
        discount INTEGER NOT NULL,
        tax_rate VARCHAR,
        tax INTEGER NOT NULL,
        total INTEGER NOT NULL)""",
    "CREATE INDEX ix_sale_line_sale ON sale_line (sale_id, position)",
    "CREATE INDEX ix_sale_line_variant ON sale_line (variant_id)",
    """CREATE TABLE sale_payment (
        id VARCHAR NOT NULL PRIMARY KEY,
        sale_id VARCHAR NOT NULL REFERENCES sale (id),
        position INTEGER NOT NULL,
        method VARCHAR NOT NULL,
        amount INTEGER NOT NULL,
        tendered INTEGER NOT NULL,
        reference VARCHAR)""",
    "CREATE INDEX ix_sale_payment_sale ON sale_payment (sale_id, position)",
    """CREATE TABLE sale_return (
        id VARCHAR NOT NULL PRIMARY KEY,
        number VARCHAR NOT NULL,
        order_id VARCHAR NOT NULL,
        created_at VARCHAR NOT NULL,
        location_id VARCHAR NOT NULL,
        staff_id VARCHAR,
        reason TEXT,
        total INTEGER NOT NULL,
        doc TEXT NOT NULL,
        CONSTRAINT uq_sale_return_number UNIQUE (number))""",
    "CREATE INDEX ix_sale_return_order ON sale_return (order_id)",
    """CREATE TABLE sale_return_line (
        id VARCHAR NOT NULL PRIMARY KEY,
        return_id VARCHAR NOT NULL REFERENCES sale_return (id),
        line_id VARCHAR NOT NULL,
        quantity INTEGER NOT NULL,
        amount INTEGER NOT NULL,
        tax INTEGER NOT NULL,
        restock BOOLEAN NOT NULL,
        CONSTRAINT ck_sale_return_line_quantity CHECK (quantity > 0))""",
    "CREATE INDEX ix_sale_return_line_line ON sale_return_line (line_id)",
    """CREATE TABLE parked_cart (
        id VARCHAR NOT NULL PRIMARY KEY,
        parked_at VARCHAR NOT NULL,
        label VARCHAR,
        customer_id VARCHAR,
        item_count INTEGER NOT NULL,
        total INTEGER NOT NULL,
        doc TEXT NOT NULL)""",
)


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    for table in reversed(
        ("till", "outbox", "pending_stock", "sale", "sale_line", "sale_payment", "sale_return",
         "sale_return_line", "parked_cart")
    ):
        op.execute(f"DROP TABLE {table}")
