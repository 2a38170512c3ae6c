"""Migration 0004 (cash sessions, audit log) on a shop database at 0003, on SQLite and PostgreSQL:
it upgrades, matches the tables module, keeps what was there, and downgrades cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from sync.server import db
from sync.server.tables import metadata
from tests.sync.server.conftest import BACKENDS
from tests.sync.server.helpers import database_url, migrate

BOOKS = {"cash_session", "audit_entry"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_0004_upgrades_a_0003_shop_and_downgrades(backend: str, tmp_path: Path, request) -> None:  # type: ignore[no-untyped-def]
    engine = db.make_engine(database_url(backend, request, tmp_path))
    try:
        migrate(engine, "0003")
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO staff (id, name, role, pin_hash, active)"
                " VALUES ('s1', 'Pat', 'cashier', NULL, true)"
            )
            assert not BOOKS & set(inspect(conn).get_table_names())
        migrate(engine, "0004")
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) >= BOOKS
            assert conn.exec_driver_sql("SELECT name FROM staff").scalars().all() == ["Pat"]
            indexes = {ix["name"] for ix in inspect(conn).get_indexes("audit_entry")}
            assert {"ix_audit_entry_at", "ix_audit_entry_staff_id_at", "ix_audit_entry_action_at"} <= indexes

        migrate(engine, "0003", down=True)
        with engine.connect() as conn:
            assert not BOOKS & set(inspect(conn).get_table_names())
            assert conn.exec_driver_sql("SELECT name FROM staff").scalars().all() == ["Pat"]
        db.upgrade(engine)
        assert db.current_revision(engine) == db.HEAD_REVISION
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    finally:
        engine.dispose()
