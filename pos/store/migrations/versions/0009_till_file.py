"""The till's own tables leave the replica for the till file (pos.store.till_file).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25

A first sync holds the replica's write lock for 0.1-0.8 s at a time; a checkout that needed the
same lock waited up to a second (benchmarks/sale_commit.py). Sales, returns, the outbox, pending
stock, parked carts and the till row now live in a file of their own. open_replica copies their
rows into the till file and commits that before this migration runs, so dropping them here loses
nothing; a kill between the two leaves the rows in both, and the copy (INSERT OR IGNORE) runs
again harmlessly on the next open.
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Children before parents (foreign keys); their indexes go with them.
TABLES = (
    "parked_cart",
    "sale_return_line",
    "sale_return",
    "sale_payment",
    "sale_line",
    "sale",
    "pending_stock",
    "outbox",
    "till",
)


def upgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TABLE main.{table}")


def downgrade() -> None:
    raise NotImplementedError("the till's tables stay in the till file")
