"""Alembic environment of the till file: always run programmatically on a connection open_replica
passes in (never through the alembic CLI)."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("till file migrations run through pos.store.database.open_replica, not alembic")

# "main": the connection has the replica attached, which has a version table of its own.
context.configure(connection=connection, target_metadata=None, version_table_schema="main")
with context.begin_transaction():
    context.run_migrations()
