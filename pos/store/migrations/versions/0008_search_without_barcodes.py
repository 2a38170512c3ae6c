"""Product search without barcode terms: barcodes move to an unindexed column of the search index.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25

Until here every barcode was an FTS5 term, so a typed barcode start such as `2000` made FTS5 merge
the doclists of every barcode term that starts with it (138,000 at 100k products): 41 ms, where
the other searches take 1-2 ms. Barcodes are digits only (sync.protocol), so no other word can
match them; they are now kept, each after a space, in the column `barcodes` that FTS5 stores but
does not index, and pos.store.search finds a typed digit word in them by prefix (or through the
barcode index when few barcodes start with it). `codes` keeps the SKUs. Fewer terms also make the
index smaller and faster to build on a first sync. The index is rebuilt here from the rows already
in the replica, with the ranks they have.

The index also gains a one-character prefix index (prefix='1 2 3'): a one-letter word such as the
"T" of "T-Shirt" otherwise merges the doclists of every term starting with it, 14 ms at 1M
products (benchmarks/lookup.py, p99 of three-word searches); it costs ~0.1 s of a first sync's
index build at 100k products, on the thread that builds it beside the stock levels.
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_TOKENIZE = "tokenize='unicode61 remove_diacritics 2'"


def _rebuild(columns: str, prefix: str, values: str) -> None:
    op.execute("DROP TABLE IF EXISTS product_fts_terms")
    op.execute("DROP TABLE IF EXISTS product_fts")
    op.execute(f"CREATE VIRTUAL TABLE product_fts USING fts5({columns}, prefix='{prefix}', {_TOKENIZE})")
    op.execute("CREATE VIRTUAL TABLE product_fts_terms USING fts5vocab(product_fts, 'row')")
    names = columns.replace(" UNINDEXED", "")
    op.execute(
        f"INSERT INTO product_fts (rowid, {names}) SELECT o.rank, p.title, p.category, {values} "
        "FROM product p JOIN product_order o ON o.\"key\" = p.\"key\""
    )


def upgrade() -> None:
    _rebuild(
        "title, category, codes, barcodes UNINDEXED",
        "1 2 3",
        "coalesce((SELECT group_concat(v.sku, ' ') FROM variant v WHERE v.product_id = p.id), ''), "
        "coalesce((SELECT group_concat(' ' || v.barcode, '') FROM variant v "
        "WHERE v.product_id = p.id AND v.barcode > ''), '')",
    )


def downgrade() -> None:
    _rebuild(
        "title, category, codes",
        "2 3",
        "(SELECT group_concat(v.sku || ' ' || coalesce(v.barcode, ''), ' ') "
        "FROM variant v WHERE v.product_id = p.id)",
    )
