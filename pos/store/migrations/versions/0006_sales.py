"""The till and its sales (issue 4: selling).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25

`till` (one row) holds this till's code, device, selling location and receipt sequences; the next
number is taken with an UPDATE inside the sale's own transaction, so two sales never share one,
even from two processes. `sale`, `sale_line` and `sale_payment` keep every sale made here as the
receipt shows it; `sale.doc` is the `sale.create` payload sent to the shop.
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
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
)


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    for table in ("sale_payment", "sale_line", "sale", "till"):
        op.execute(f"DROP TABLE {table}")
