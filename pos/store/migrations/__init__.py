"""Alembic migrations of the replica, numbered, applied by pos.store.database.open_replica."""
