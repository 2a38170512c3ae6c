"""The outbox and the till's pending stock deltas (issue 4: selling).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25

`outbox` holds every mutation the shop must hear about, written in the same transaction as the
change it describes (a sale, a return, a customer); `position` keeps creation order, `id` is the
mutation id the shop deduplicates on. A conflicting or rejected mutation is parked
(`parked_status`) for a person and never blocks the rows behind it.

`pending_stock` holds the stock deltas of this till's mutations that the pulled inventory levels
do not show yet: shown stock = inventory_level.quantity + the deltas. A delta gets the change-log
seq at which the shop applied it (`applied_seq`) and is dropped once the pull cursor reaches it.
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

STATEMENTS = (
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
)


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE pending_stock")
    op.execute("DROP TABLE outbox")
