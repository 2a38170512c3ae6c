"""Stock levels in one B-tree: inventory_level becomes a WITHOUT ROWID table keyed by its id.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25

A rowid table with a TEXT primary key keeps two B-trees per row (the rows by rowid, and the id
index); every query the replica runs on stock levels goes by id or by variant_id, never by rowid.
Keyed by id, a first sync writes each of its ~300k stock levels once instead of twice
(benchmarks/first_sync.py). The variant index now also holds location and quantity: stock is
read by variant (product rows, product detail) from the index alone, where a lookup by a text id
would cost more than the rowid lookup it replaces (benchmarks/lookup.py). The rows already in the
replica are copied over.
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _rebuild(options: str, index_columns: str) -> None:
    op.execute(
        f"""CREATE TABLE inventory_level_new (
        id VARCHAR NOT NULL PRIMARY KEY,
        version INTEGER NOT NULL,
        variant_id VARCHAR NOT NULL,
        location_id VARCHAR NOT NULL,
        quantity INTEGER NOT NULL){options}"""
    )
    op.execute(
        "INSERT INTO inventory_level_new (id, version, variant_id, location_id, quantity) "
        "SELECT id, version, variant_id, location_id, quantity FROM inventory_level ORDER BY id"
    )
    op.execute("DROP TABLE inventory_level")
    op.execute("ALTER TABLE inventory_level_new RENAME TO inventory_level")
    op.execute(f"CREATE INDEX ix_inventory_level_variant ON inventory_level ({index_columns})")


def upgrade() -> None:
    _rebuild(" WITHOUT ROWID", "variant_id, location_id, quantity")


def downgrade() -> None:
    _rebuild("", "variant_id")
