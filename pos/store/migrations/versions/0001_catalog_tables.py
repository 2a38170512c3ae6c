"""Catalog, stock, customers, orders, shop and sync state tables.

Revision ID: 0001
Revises:
Create Date: 2026-05-09
"""

from __future__ import annotations

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen DDL: later migrations change the schema; this file never changes once released.
STATEMENTS = (
    """CREATE TABLE location (
        id VARCHAR NOT NULL PRIMARY KEY,
        version INTEGER NOT NULL,
        code VARCHAR NOT NULL,
        name VARCHAR NOT NULL)""",
    """CREATE TABLE tax_rate (
        id VARCHAR NOT NULL PRIMARY KEY,
        version INTEGER NOT NULL,
        name VARCHAR NOT NULL,
        rate VARCHAR NOT NULL)""",
    """CREATE TABLE staff (
        id VARCHAR NOT NULL PRIMARY KEY,
        version INTEGER NOT NULL,
        name VARCHAR NOT NULL,
        role VARCHAR NOT NULL,
        active BOOLEAN NOT NULL,
        pin_hash VARCHAR)""",
    """CREATE TABLE product (
        "key" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
        id VARCHAR NOT NULL UNIQUE,
        version INTEGER NOT NULL,
        title VARCHAR COLLATE "NOCASE" NOT NULL,
        description TEXT NOT NULL,
        category VARCHAR NOT NULL,
        status VARCHAR NOT NULL,
        tax_rate_id VARCHAR,
        updated_at VARCHAR NOT NULL,
        CONSTRAINT ck_product_status CHECK (status IN ('active', 'archived')))""",
    "CREATE INDEX ix_product_title ON product (title)",
    """CREATE TABLE variant (
        id VARCHAR NOT NULL PRIMARY KEY,
        product_id VARCHAR NOT NULL,
        sku VARCHAR COLLATE "NOCASE" NOT NULL,
        barcode VARCHAR,
        title VARCHAR NOT NULL,
        price INTEGER NOT NULL,
        position INTEGER NOT NULL,
        CONSTRAINT ck_variant_price CHECK (price >= 0),
        FOREIGN KEY (product_id) REFERENCES product (id) ON DELETE CASCADE)""",
    "CREATE INDEX ix_variant_product ON variant (product_id, position)",
    "CREATE INDEX ix_variant_sku ON variant (sku)",
    "CREATE INDEX ix_variant_barcode ON variant (barcode)",
    """CREATE TABLE inventory_level (
        id VARCHAR NOT NULL PRIMARY KEY,
        version INTEGER NOT NULL,
        variant_id VARCHAR NOT NULL,
        location_id VARCHAR NOT NULL,
        quantity INTEGER NOT NULL)""",
    "CREATE INDEX ix_inventory_level_variant ON inventory_level (variant_id)",
    """CREATE TABLE customer (
        id VARCHAR NOT NULL PRIMARY KEY,
        version INTEGER NOT NULL,
        name VARCHAR NOT NULL,
        email VARCHAR,
        phone VARCHAR,
        loyalty_code VARCHAR,
        updated_at VARCHAR NOT NULL)""",
    "CREATE INDEX ix_customer_loyalty_code ON customer (loyalty_code)",
    """CREATE TABLE orders (
        id VARCHAR NOT NULL PRIMARY KEY,
        version INTEGER NOT NULL,
        number VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        status VARCHAR NOT NULL,
        customer_id VARCHAR,
        currency VARCHAR NOT NULL,
        subtotal INTEGER NOT NULL,
        tax INTEGER NOT NULL,
        total INTEGER NOT NULL,
        created_at VARCHAR NOT NULL,
        updated_at VARCHAR NOT NULL,
        doc TEXT NOT NULL)""",
    "CREATE INDEX ix_orders_number ON orders (number)",
    """CREATE TABLE shop (
        id INTEGER NOT NULL PRIMARY KEY,
        name VARCHAR NOT NULL,
        currency VARCHAR NOT NULL,
        prices_include_tax BOOLEAN NOT NULL,
        CONSTRAINT ck_shop_single_row CHECK (id = 1))""",
    """CREATE TABLE sync_state (
        id INTEGER NOT NULL PRIMARY KEY,
        cursor INTEGER,
        last_success_at VARCHAR,
        last_error TEXT,
        CONSTRAINT ck_sync_state_single_row CHECK (id = 1))""",
    "INSERT INTO sync_state (id, cursor, last_success_at, last_error) VALUES (1, NULL, NULL, NULL)",
    """CREATE TABLE sync_snapshot (
        entity VARCHAR NOT NULL PRIMARY KEY,
        cursor INTEGER NOT NULL)""",
)


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    for table in ("sync_snapshot", "sync_state", "shop", "orders", "customer", "inventory_level",
                  "variant", "product", "staff", "tax_rate", "location"):
        op.execute(f"DROP TABLE {table}")
