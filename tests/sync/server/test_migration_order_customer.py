"""Migration 0006 (the orders' customer index) on a shop database at 0005, on SQLite and PostgreSQL:
it upgrades, matches the tables module, keeps the orders, and downgrades cleanly. A customer with
orders is still refused deletion, the count found through the index."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from sync.server import db, records
from sync.server.errors import Conflict
from sync.server.tables import metadata
from tests.sync.server.conftest import BACKENDS
from tests.sync.server.helpers import database_url, migrate

INDEX = "ix_order_customer_id"
LATER_INDEX = "ix_variant_sku_nocase"  # migration 0007's, which the tables module declares too
_ORDER = (
    'INSERT INTO "order" (id, number, source, status, customer_id, currency, subtotal, tax, total,'
    " lines, payments, fulfilments, created_at, updated_at, returns) VALUES (:id, :number, 'web',"
    " 'pending', :customer, 'EUR', 100, 0, 100, '[]', '[]', '[]', :at, :at, '[]')"
)


def _indexes(conn) -> set[str]:  # type: ignore[no-untyped-def]
    return {ix["name"] for ix in inspect(conn).get_indexes("order")}


@pytest.mark.parametrize("backend", BACKENDS)
def test_0006_indexes_the_orders_customer_and_downgrades(backend: str, tmp_path: Path, request) -> None:  # type: ignore[no-untyped-def]
    engine = db.make_engine(database_url(backend, request, tmp_path))
    at = "2026-12-08T00:00:00+00:00"
    try:
        migrate(engine, "0005")
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO customer (id, name, updated_at) VALUES ('c1', 'A', :at), ('c2', 'B', :at)"),
                {"at": at},
            )
            for n in range(3):
                conn.execute(text(_ORDER), {"id": f"o{n}", "number": f"W-{n}", "customer": "c1", "at": at})
            assert INDEX not in _indexes(conn)
        migrate(engine, "0006")
        assert db.current_revision(engine) == "0006"
        with engine.connect() as conn:
            assert INDEX in _indexes(conn)
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
            assert [d for d in diff if d[:1] != ("add_index",) or d[1].name != LATER_INDEX] == []
            if backend == "sqlite":
                plan = conn.exec_driver_sql(
                    'EXPLAIN QUERY PLAN SELECT count(*) FROM "order" WHERE customer_id = \'c1\''
                ).fetchall()
                assert any(INDEX in row[-1] for row in plan), plan
        with engine.begin() as conn, pytest.raises(Conflict, match="has 3 orders"):
            records.remove(conn, "customer", "c1")
        with engine.begin() as conn:
            records.remove(conn, "customer", "c2")  # no orders: deleted
            customers = conn.execute(text("SELECT id FROM customer")).scalars().all()
            orders = conn.execute(text('SELECT customer_id FROM "order"')).scalars().all()
        assert customers == ["c1"]
        assert orders == ["c1", "c1", "c1"]

        migrate(engine, "0005", down=True)
        with engine.connect() as conn:
            assert INDEX not in _indexes(conn)
            assert conn.execute(text('SELECT count(*) FROM "order"')).scalar_one() == 3
    finally:
        engine.dispose()
