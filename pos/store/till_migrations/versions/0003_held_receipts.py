"""Receipts held with "Print later", kept until they print (they outlive a restart).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07

Only the number is kept: the receipt is rebuilt from the sale or return this till committed.
`opens_drawer`: whether printing it still kicks the drawer (never after a failed first try).
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """CREATE TABLE held_receipt (
            number VARCHAR NOT NULL PRIMARY KEY,
            held_at VARCHAR NOT NULL,
            opens_drawer BOOLEAN NOT NULL)"""
    )


def downgrade() -> None:
    op.execute("DROP TABLE held_receipt")
