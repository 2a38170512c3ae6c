"""Returns, parked carts, and the indexes of customer search (issue 4: selling).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25

`sale_return` / `sale_return_line` keep every return taken on this till (`doc` is the
`return.create` payload); what a line may still return is its sold quantity minus these rows and
the returns the shop reports in the synced order. `parked_cart` keeps carts put aside at the
counter (`doc` is Cart.to_dict()), so they survive a restart.

Customer search is by prefix of the name, the surname (the name after its first space), the email,
the phone without separators, or the loyalty code, all case-insensitive: one index each, so a
search at 100k customers costs a fraction of a millisecond where a LIKE scan costs ~20 ms. A
customer's orders come from `orders` and this till's `sale` rows by customer id.
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

PHONE_DIGITS = "replace(replace(replace(replace(phone, ' ', ''), '-', ''), '(', ''), ')', '')"

STATEMENTS = (
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
    'CREATE INDEX ix_customer_name_nocase ON customer (name COLLATE "NOCASE")',
    """CREATE INDEX ix_customer_surname_nocase
        ON customer (substr(name, instr(name, ' ') + 1) COLLATE "NOCASE")""",
    'CREATE INDEX ix_customer_email_nocase ON customer (email COLLATE "NOCASE")',
    f"CREATE INDEX ix_customer_phone_digits ON customer ({PHONE_DIGITS})",
    'CREATE INDEX ix_customer_loyalty_nocase ON customer (loyalty_code COLLATE "NOCASE")',
    "CREATE INDEX ix_orders_customer ON orders (customer_id, created_at)",
    "CREATE INDEX ix_sale_customer ON sale (customer_id, created_at)",
)

INDEXES = (
    "ix_sale_customer",
    "ix_orders_customer",
    "ix_customer_loyalty_nocase",
    "ix_customer_phone_digits",
    "ix_customer_email_nocase",
    "ix_customer_surname_nocase",
    "ix_customer_name_nocase",
)


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    for name in INDEXES:
        op.execute(f"DROP INDEX {name}")
    for table in ("parked_cart", "sale_return_line", "sale_return"):
        op.execute(f"DROP TABLE {table}")
