"""products listed in title order in a snapshot

Revision ID: 0005
Revises: 0004
- `current_doc.sort_key`: for products, sync.protocol.title_order_key(title); NULL for the rest.
  Snapshots list documents by (sort_key, id), through `ix_current_doc_order`: products in the
  order tills rank search results in, so a till builds its search index as they arrive. Existing
  products get their key from their stored document.
"""

from __future__ import annotations

import orjson
import sqlalchemy as sa
from alembic import op

from sync.protocol import title_order_key

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_BATCH = 5000


def upgrade() -> None:
    op.add_column(
        "current_doc",
        sa.Column("sort_key", sa.Text().with_variant(sa.Text(collation="C"), "postgresql"), nullable=True),
    )
    conn = op.get_bind()
    # A batch at a time, by id (the primary key's order): a shop of 1M products would otherwise
    # hold every stored document in memory at once (~1 GB).
    batch = sa.text(
        "SELECT id, doc FROM current_doc WHERE entity = 'product' AND id > :after ORDER BY id LIMIT :n"
    )
    update = sa.text("UPDATE current_doc SET sort_key = :key WHERE entity = 'product' AND id = :id")
    after = ""
    while rows := conn.execute(batch, {"after": after, "n": _BATCH}).fetchall():
        keys = [{"id": row.id, "key": title_order_key(orjson.loads(row.doc)["title"])} for row in rows]
        conn.execute(update, keys)
        after = rows[-1].id
    op.create_index("ix_current_doc_order", "current_doc", ["entity", "sort_key", "id"])


def downgrade() -> None:
    op.drop_index("ix_current_doc_order", table_name="current_doc")
    op.drop_column("current_doc", "sort_key")
