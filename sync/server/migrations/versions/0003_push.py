"""push: applied mutations, till codes, order returns and location

Revision ID: 0003
Revises: 0002
- `applied_mutation`: every mutation id a till pushed and the shop applied, with its stored result,
  written in the same transaction as the mutation's effect (a resent mutation answers `duplicate`).
- `device.code`: the till code printed in receipt numbers ("T1"); existing till devices get T1, T2, ...
  in the order they were added.
- `order.location_id` and `order.returns` (JSON text, `[]` for existing orders).
- `order_return`: return ids and receipt numbers, unique across the shop.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "applied_mutation",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applied_mutation")),
    )
    op.create_table(
        "order_return",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_return")),
        sa.UniqueConstraint("number", name=op.f("uq_order_return_number")),
    )
    op.create_index("ix_order_return_order_id", "order_return", ["order_id"])
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code", sa.String(length=12), nullable=True))
        batch_op.create_unique_constraint(op.f("uq_device_code"), ["code"])
    with op.batch_alter_table("order", schema=None) as batch_op:
        batch_op.add_column(sa.Column("location_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("returns", sa.Text(), nullable=False, server_default="[]"))
    _number_existing_tills()


def _number_existing_tills() -> None:
    bind = op.get_bind()
    tills = bind.execute(
        sa.text("SELECT id FROM device WHERE NOT is_admin ORDER BY created_at, id")
    ).scalars()
    for n, device_id in enumerate(list(tills), start=1):
        bind.execute(sa.text("UPDATE device SET code = :c WHERE id = :i"), {"c": f"T{n}", "i": device_id})


def downgrade() -> None:
    with op.batch_alter_table("order", schema=None) as batch_op:
        batch_op.drop_column("returns")
        batch_op.drop_column("location_id")
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_device_code"), type_="unique")
        batch_op.drop_column("code")
    op.drop_index("ix_order_return_order_id", table_name="order_return")
    op.drop_table("order_return")
    op.drop_table("applied_mutation")
