"""Alembic migrations of the till file (pos.store.till_file), run by pos.store.database.open_replica."""
