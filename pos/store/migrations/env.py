"""Alembic environment: always run programmatically on a connection open_replica passes in."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("replica migrations run through pos.store.database.open_replica, not the alembic CLI")

# "main": the connection has the till file attached, which has a version table of its own.
context.configure(connection=connection, target_metadata=None, version_table_schema="main")
with context.begin_transaction():
    context.run_migrations()
