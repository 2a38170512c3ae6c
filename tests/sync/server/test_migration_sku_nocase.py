"""Migration 0007 (the variants' SKU index ignoring letter case) on a shop database at 0006, on SQLite
and PostgreSQL: it upgrades, matches the tables module, keeps SKUs that already differ only in case
(they are left as they are, and a change that keeps them is taken), and downgrades cleanly. The case
check finds SKUs through the index, not by reading every variant."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text

from sync.server import catalog, db
from sync.server.errors import Conflict
from sync.server.schemas import ProductIn, ProductPatch
from sync.server.tables import metadata, nocase, variant
from tests.sync.server.conftest import BACKENDS
from tests.sync.server.helpers import database_url, migrate

INDEX = "ix_variant_sku_nocase"
AT = "2026-12-09T00:00:00Z"


def _has_index(conn) -> bool:  # type: ignore[no-untyped-def]
    if conn.dialect.name == "sqlite":  # SQLAlchemy does not reflect SQLite's expression indexes
        return conn.exec_driver_sql(f"SELECT 1 FROM sqlite_master WHERE name = '{INDEX}'").first() is not None
    return INDEX in {ix["name"] for ix in inspect(conn).get_indexes("variant")}


def _plan(conn) -> str:  # type: ignore[no-untyped-def]
    query = select(variant.c.id, variant.c.product_id).where(nocase(variant.c.sku).in_(["acc-1", "acc-2"]))
    sql = str(query.compile(conn, compile_kwargs={"literal_binds": True}))
    if conn.dialect.name == "sqlite":
        return str(conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").fetchall())
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a tiny table: a scan would be cheaper
    return str(conn.exec_driver_sql(f"EXPLAIN {sql}").fetchall())


@pytest.mark.parametrize("backend", BACKENDS)
def test_0007_indexes_skus_ignoring_case_and_keeps_old_clashes(backend: str, tmp_path: Path, request) -> None:  # type: ignore[no-untyped-def]
    engine = db.make_engine(database_url(backend, request, tmp_path))
    try:
        migrate(engine, "0006")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO product (id, title, description, category, status, created_at, updated_at)"
                    " VALUES ('p1', 'Old', '', '', 'active', :at, :at)"
                ),
                {"at": AT},
            )
            conn.execute(
                text(
                    "INSERT INTO variant (id, product_id, sku, title, price, position)"
                    " VALUES ('v1', 'p1', 'ACC-1', '', 100, 0), ('v2', 'p1', 'acc-1', '', 100, 1)"
                )
            )
            assert not _has_index(conn)
        db.upgrade(engine)
        assert db.current_revision(engine) == db.HEAD_REVISION == "0007"
        with engine.connect() as conn:
            assert _has_index(conn)
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
        with engine.begin() as conn:
            assert INDEX in _plan(conn)
        with engine.begin() as conn:
            skus = conn.execute(text("SELECT sku FROM variant ORDER BY id")).scalars().all()
            assert skus == ["ACC-1", "acc-1"]
            # the old pair may stay as it is while the product changes...
            keep = ProductPatch.model_validate({"variants": [{"id": "v1", "price": 5}, {"id": "v2"}]})
            catalog.change_product(conn, "p1", keep)
        with engine.begin() as conn, pytest.raises(Conflict, match="'Acc-1' differs only in letter case"):
            # ...but no new SKU may join it
            new = {"title": "New", "variants": [{"sku": "Acc-1", "price": 1}]}
            catalog.create_product(conn, ProductIn.model_validate(new))

        migrate(engine, "0006", down=True)
        with engine.connect() as conn:
            assert not _has_index(conn)
            assert conn.execute(text("SELECT count(*) FROM variant")).scalar_one() == 2
    finally:
        engine.dispose()
