"""cash sessions and the audit log pushed by tills

Revision ID: 0004
Revises: 0003
- `cash_session`: closed till sessions (`cash.session` mutations): float, per-tender taken,
  refunded, expected, counted and variance (JSON text), pay-ins, pay-outs, drops, the cash count.
- `audit_entry`: the tills' append-only audit log (`audit.entry` mutations), indexed for the
  manager's filters (person, action, date).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = sa.String(length=64)
TS = sa.String(length=32)


def upgrade() -> None:
    money = [
        sa.Column(name, sa.BigInteger(), nullable=False)
        for name in ("float", "sales_total", "refunds_total", "pay_ins", "pay_outs", "drops", "variance")
    ]
    op.create_table(
        "cash_session",
        sa.Column("id", ID, nullable=False),
        sa.Column("device_id", ID, nullable=False),
        sa.Column("till_code", sa.String(length=12), nullable=False),
        sa.Column("opened_by", ID, nullable=False),
        sa.Column("closed_by", ID, nullable=False),
        sa.Column("approved_by", ID, nullable=True),
        sa.Column("opened_at", TS, nullable=False),
        sa.Column("closed_at", TS, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("sale_count", sa.Integer(), nullable=False),
        sa.Column("refund_count", sa.Integer(), nullable=False),
        *money,
        sa.Column("tenders", sa.Text(), nullable=False),
        sa.Column("cash_count", sa.Text(), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cash_session")),
    )
    op.create_index("ix_cash_session_closed_at", "cash_session", ["closed_at"])
    op.create_table(
        "audit_entry",
        sa.Column("id", ID, nullable=False),
        sa.Column("device_id", ID, nullable=False),
        sa.Column("till_code", sa.String(length=12), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("staff_id", ID, nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("approved_by", ID, nullable=True),
        sa.Column("received_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    op.create_index("ix_audit_entry_at", "audit_entry", ["at"])
    op.create_index("ix_audit_entry_staff_id_at", "audit_entry", ["staff_id", "at"])
    op.create_index("ix_audit_entry_action_at", "audit_entry", ["action", "at"])


def downgrade() -> None:
    for name in ("ix_audit_entry_action_at", "ix_audit_entry_staff_id_at", "ix_audit_entry_at"):
        op.drop_index(name, table_name="audit_entry")
    op.drop_table("audit_entry")
    op.drop_index("ix_cash_session_closed_at", table_name="cash_session")
    op.drop_table("cash_session")
