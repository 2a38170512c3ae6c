"""Product search: an FTS5 index over title, category and every variant's SKU and barcode.

Revision ID: 0002
Revises: 0001
Create Date: 2026-05-09

The index row of a product has rowid = product.key. prefix='2 3' keeps two- and three-character
prefix indexes: search-as-you-type asks prefix queries, which it makes ~15x faster (PLATFORM.md).
Rows already in the replica are indexed here; after this, pos.store.replica keeps it in step.
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE product_fts USING fts5("
        "title, category, codes, prefix='2 3', tokenize='unicode61 remove_diacritics 2')"
    )
    # The index's term list: search expands a typed prefix into the few whole terms it stands for.
    op.execute("CREATE VIRTUAL TABLE product_fts_terms USING fts5vocab(product_fts, 'row')")
    op.execute(
        "INSERT INTO product_fts (rowid, title, category, codes) "
        "SELECT p.key, p.title, p.category, "
        "(SELECT group_concat(v.sku || ' ' || coalesce(v.barcode, ''), ' ') "
        " FROM variant v WHERE v.product_id = p.id) "
        "FROM product p"
    )


def downgrade() -> None:
    op.execute("DROP TABLE product_fts_terms")
    op.execute("DROP TABLE product_fts")
