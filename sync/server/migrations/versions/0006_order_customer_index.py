"""an index on the orders' customer

Revision ID: 0006
Revises: 0005
- `ix_order_customer_id` on `order.customer_id`. Deleting a customer first counts their orders
  (one with orders is refused: the order keeps its buyer), and the foreign key's own check on
  PostgreSQL looks the orders up by customer too: without an index each was a scan of every order.
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_order_customer_id", "order", ["customer_id"])


def downgrade() -> None:
    op.drop_index("ix_order_customer_id", table_name="order")
