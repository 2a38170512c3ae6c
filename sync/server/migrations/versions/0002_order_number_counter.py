"""order number counter

Revision ID: 0002
Revises: 0001
Order numbers come from a counter row per prefix, bumped in the order's own transaction, instead of
"count of orders + 1" (two orders placed at once got the same number). The counters start at the
highest number already used.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "order_number",
        sa.Column("prefix", sa.String(length=8), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", name=op.f("pk_order_number")),
    )
    highest: dict[str, int] = {}
    for (number,) in op.get_bind().execute(sa.text('SELECT number FROM "order"')):
        found = re.fullmatch(r"([A-Z]+)-(\d+)", number)
        if found:
            prefix, value = found.group(1), int(found.group(2))
            highest[prefix] = max(highest.get(prefix, 0), value)
    if highest:
        op.bulk_insert(
            sa.table("order_number", sa.column("prefix", sa.String), sa.column("value", sa.BigInteger)),
            [{"prefix": p, "value": v} for p, v in sorted(highest.items())],
        )


def downgrade() -> None:
    op.drop_table("order_number")
