"""Alembic environment for the shop: works on SQLite and PostgreSQL.

`db.upgrade()` passes an open connection in `config.attributes["connection"]`; running `alembic`
by hand takes the URL from `-x url=...` or COUNTERTOP_SHOP_DATABASE_URL.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from sync.server.tables import metadata


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ["COUNTERTOP_SHOP_DATABASE_URL"]
    with create_engine(url).connect() as conn:
        _run(conn)
        conn.commit()


run_migrations_online()
