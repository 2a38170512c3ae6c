"""Search rows in title order: product_order maps a search rank to a product key.

Revision ID: 0003
Revises: 0002
Create Date: 2026-05-10

Until 0002 the search index row of a product had rowid = product.key, so a word that matches 40,000
of a million products needed all 40,000 sorted by title before the first 50 could be shown (100 ms).
From here the row's rowid is a rank that follows title order (pos.store.ranks): FTS5 returns
matches in rowid order, so the first 50 come out already sorted and the scan stops there.
The index is rebuilt here with ranks for the rows already in the replica.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Frozen copies of pos.store.ranks.SPACING: this file never changes once released.
SPACING = 1 << 32


def upgrade() -> None:
    op.execute(
        "CREATE TABLE product_order (rank INTEGER NOT NULL PRIMARY KEY, \"key\" INTEGER NOT NULL UNIQUE)"
    )
    op.execute(
        "INSERT INTO product_order (rank, \"key\") "
        f"SELECT row_number() OVER (ORDER BY title, \"key\") * {SPACING}, \"key\" FROM product"
    )
    op.execute("DELETE FROM product_fts")
    op.execute(
        "INSERT INTO product_fts (rowid, title, category, codes) "
        "SELECT o.rank, p.title, p.category, "
        "(SELECT group_concat(v.sku || ' ' || coalesce(v.barcode, ''), ' ') "
        " FROM variant v WHERE v.product_id = p.id) "
        "FROM product p JOIN product_order o ON o.\"key\" = p.\"key\""
    )


def downgrade() -> None:
    op.execute("DELETE FROM product_fts")
    op.execute(
        "INSERT INTO product_fts (rowid, title, category, codes) "
        "SELECT p.\"key\", p.title, p.category, "
        "(SELECT group_concat(v.sku || ' ' || coalesce(v.barcode, ''), ' ') "
        " FROM variant v WHERE v.product_id = p.id) "
        "FROM product p"
    )
    op.execute("DROP TABLE product_order")
