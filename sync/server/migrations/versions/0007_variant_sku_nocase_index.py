"""an index on the variants' SKUs ignoring letter case

Revision ID: 0007
Revises: 0006
- `ix_variant_sku_nocase` on lower(sku), ASCII letters only (PostgreSQL: under the "C" collation),
  as the tills' NOCASE collation compares SKUs. A new or changed SKU is refused when another
  variant's SKU equals it ignoring case (catalog.py): without the index, a scan of every variant.
  Not unique: a shop may already hold SKUs that differ only in case; they are left as they are.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

INDEX = "ix_variant_sku_nocase"


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    expression = 'lower(sku COLLATE "C")' if postgresql else "lower(sku)"
    op.create_index(INDEX, "variant", [sa.text(expression)])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="variant")
