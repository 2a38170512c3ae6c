"""Opening a replica: new files, files from older versions (backed up first), files from newer ones."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from pos.services.catalog import CatalogService
from pos.store.database import (
    PAGE_SIZE,
    ReplicaSchemaError,
    current_revision,
    head_revision,
    open_replica,
    upgrade_to,
)
from pos.store.replica import SqliteReplica
from pos.store.tables import metadata
from tests.store.catalog_docs import change


def test_new_replica_is_created_with_its_folder_at_the_current_schema(replica_path: Path) -> None:
    assert not replica_path.parent.exists()
    engine = open_replica(replica_path)
    try:
        assert replica_path.is_file()
        assert current_revision(engine) == head_revision()
        # Every pooled connection gets the pragmas, not only the first one.
        connections = [engine.raw_connection() for _ in range(3)]
        for pooled in connections:
            con = pooled.driver_connection
            assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert con.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
            assert con.execute("PRAGMA foreign_keys").fetchone()[0] == 1
            assert con.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
            assert con.execute("PRAGMA page_size").fetchone()[0] == PAGE_SIZE
        for pooled in connections:
            pooled.close()
    finally:
        engine.dispose()
    assert not list(replica_path.parent.glob("*.backup-*"))


def test_migrated_schema_matches_the_table_definitions(engine) -> None:
    def ours(name, type_, *_args) -> bool:
        return not (type_ == "table" and (name.startswith("product_fts") or name == "sqlite_sequence"))

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": ours})
        assert compare_metadata(context, metadata) == []
        fts = connection.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'product_fts'").scalar()
    assert "prefix='1 2 3'" in fts and "barcodes UNINDEXED" in fts  # migration 0008


def _old_replica(path: Path) -> None:
    """A replica as the first release (schema 0001) left it: one product, no search index."""
    path.parent.mkdir(parents=True)
    engine = create_engine(f"sqlite:///{path}")
    upgrade_to(engine, "0001")
    engine.dispose()
    con = sqlite3.connect(path)
    with con:
        con.execute(
            "INSERT INTO product (id, version, title, description, category, status, tax_rate_id, "
            "updated_at) VALUES ('p1', 3, 'Juniper Linen Apron', '', 'Kitchen', 'active', NULL, "
            "'2026-01-01T00:00:00Z')"
        )
        con.execute(
            "INSERT INTO variant (id, product_id, sku, barcode, title, price, position) "
            "VALUES ('v1', 'p1', 'APR-1', '2000000000017', '', 2450, 0)"
        )
        con.execute("UPDATE sync_state SET cursor = 42")
    con.close()


def test_old_replica_is_backed_up_then_upgraded_keeping_its_data(replica_path: Path) -> None:
    _old_replica(replica_path)
    engine = open_replica(replica_path)
    try:
        assert current_revision(engine) == head_revision()
        catalog = CatalogService(engine)
        # 0002 indexed the rows already there: the old product is found by name, SKU and barcode.
        assert [row.title for row in catalog.search("junip apr")] == ["Juniper Linen Apron"]
        assert catalog.find_by_code("apr-1").price == 2450
        assert catalog.find_by_code("2000000000017").product_id == "p1"
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT cursor FROM sync_state").scalar() == 42
    finally:
        engine.dispose()
    (backup,) = replica_path.parent.glob("replica.sqlite3.backup-0001-*")
    con = sqlite3.connect(backup)
    assert con.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
    assert con.execute("SELECT title FROM product").fetchall() == [("Juniper Linen Apron",)]
    con.close()


def test_reopening_a_current_replica_makes_no_backup(replica_path: Path) -> None:
    open_replica(replica_path).dispose()
    open_replica(replica_path).dispose()
    assert not list(replica_path.parent.glob("*.backup-*"))


@pytest.mark.parametrize("which", ["replica", "till file"])
def test_a_file_from_a_newer_version_is_refused_and_left_alone(replica_path: Path, which: str) -> None:
    from pos.store.till_file import till_path

    open_replica(replica_path).dispose()
    path = replica_path if which == "replica" else till_path(replica_path)
    con = sqlite3.connect(path)
    with con:
        con.execute("UPDATE alembic_version SET version_num = '0999'")
    con.close()
    before = path.read_bytes()
    with pytest.raises(ReplicaSchemaError, match="newer version") as refused:
        open_replica(replica_path)
    assert path.read_bytes() == before
    assert not list(replica_path.parent.glob("*.backup-*"))
    # The replica can be loaded again from the shop; the till file holds what only this till has.
    removing = "remove the file to load the shop again" in str(refused.value)
    assert removing is (which == "replica")
    assert ("Do not remove the file" in str(refused.value)) is (which == "till file")


def test_a_0002_replica_gets_title_ordered_search_ranks(replica_path: Path) -> None:
    replica_path.parent.mkdir(parents=True)
    engine = create_engine(f"sqlite:///{replica_path}")
    upgrade_to(engine, "0002")
    engine.dispose()
    con = sqlite3.connect(replica_path)
    with con:
        for number, title in enumerate(["Zinc Tray", "alder Mug", "Birch Mug", "Alder Bowl"]):
            con.execute(
                "INSERT INTO product (id, version, title, description, category, status, tax_rate_id, "
                "updated_at) VALUES (?, 1, ?, '', 'Home', 'active', NULL, '2026-01-01T00:00:00Z')",
                (f"p{number}", title),
            )
            con.execute(
                "INSERT INTO product_fts (rowid, title, category, codes) "
                "SELECT key, title, category, '' FROM product WHERE id = ?",
                (f"p{number}",),
            )
    con.close()
    engine = open_replica(replica_path)
    try:
        catalog = CatalogService(engine)
        assert [row.title for row in catalog.search("mug")] == ["alder Mug", "Birch Mug"]
        assert [row.title for row in catalog.search("home")] == ["Alder Bowl", "alder Mug", "Birch Mug",
                                                                 "Zinc Tray"]
    finally:
        engine.dispose()


def test_opening_a_replica_rebuilds_indexes_an_interrupted_load_dropped(replica_path: Path) -> None:
    open_replica(replica_path).dispose()
    con = sqlite3.connect(replica_path)
    con.execute("DROP INDEX ix_variant_barcode")
    con.execute("DROP INDEX ix_product_title")
    con.close()
    open_replica(replica_path).dispose()
    con = sqlite3.connect(replica_path)
    names = {n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    con.close()
    assert {"ix_variant_barcode", "ix_product_title", "ix_variant_sku", "ix_variant_product"} <= names


def test_a_0003_replica_keeps_its_stock_levels_in_the_rowless_table(replica_path: Path) -> None:
    replica_path.parent.mkdir(parents=True)
    engine = create_engine(f"sqlite:///{replica_path}")
    upgrade_to(engine, "0003")
    engine.dispose()
    con = sqlite3.connect(replica_path)
    with con:
        con.execute("INSERT INTO location (id, version, code, name) VALUES ('l1', 1, 'SHOP', 'Shop floor')")
        con.execute("INSERT INTO location (id, version, code, name) VALUES ('l2', 1, 'WH', 'Warehouse')")
        con.execute(
            "INSERT INTO product (id, version, title, description, category, status, tax_rate_id, "
            "updated_at) VALUES ('p1', 1, 'Juniper Linen Apron', '', 'Kitchen', 'active', NULL, "
            "'2026-01-01T00:00:00Z')"
        )
        con.execute(
            "INSERT INTO variant (id, product_id, sku, barcode, title, price, position) "
            "VALUES ('v1', 'p1', 'APR-1', '2000000000017', '', 2450, 0)"
        )
        con.executemany(
            "INSERT INTO inventory_level (id, version, variant_id, location_id, quantity) "
            "VALUES (?, ?, ?, ?, ?)",
            [("lv1", 4, "v1", "l1", 7), ("lv2", 2, "v1", "l2", 30)],
        )
    con.close()
    engine = open_replica(replica_path)
    try:
        assert current_revision(engine) == head_revision()
        detail = CatalogService(engine).detail("p1")
        assert detail is not None
        assert [(s.location_code, s.quantity) for s in detail.variants[0].stock] == [("SHOP", 7), ("WH", 30)]
        # Changes still go by id with the version guard: an older level is ignored, a newer one lands.
        replica = SqliteReplica(engine)
        level = {"id": "lv1", "version": 3, "variant_id": "v1", "location_id": "l1", "quantity": 1}
        replica.apply_changes([change(1, "inventory_level", level)], cursor=1)
        newer = {**level, "version": 5, "quantity": 6}
        replica.apply_changes([change(2, "inventory_level", newer)], cursor=2)
        replica.apply_changes([change(3, "inventory_level", delete_id="lv2")], cursor=3)
        detail = CatalogService(engine).detail("p1")
        assert detail is not None
        assert [(s.location_code, s.quantity) for s in detail.variants[0].stock] == [("SHOP", 6), ("WH", 0)]
        with engine.connect() as connection:
            ddl = connection.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = 'inventory_level'"
            ).scalar()
            plan = connection.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT sum(quantity) FROM inventory_level WHERE variant_id = 'v1'"
            ).all()
    finally:
        engine.dispose()
    assert "WITHOUT ROWID" in ddl
    # Stock by variant is read from the index alone.
    assert "COVERING INDEX ix_inventory_level_variant" in " ".join(row[-1] for row in plan)
