"""The till file (pos.store.till_file): a checkout never waits for the replica's writer, and a
replica from before the split keeps every sale, outbox row and parked cart it held."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from pos.domain.tender import Tender
from pos.services.checkout import CheckoutService
from pos.store import outbox
from pos.store.database import driver_connection, open_replica, upgrade_to
from pos.store.till_file import connect_both, till_path
from tests.services import checkout_shop as shop
from tests.services.checkout_shop import eur
from tests.staffing import as_cashier

TILL_TABLES = ("till", "sale", "sale_line", "sale_payment", "outbox", "pending_stock", "parked_cart")


def _sell_one(service: CheckoutService, code: str = "4006381333931") -> str:
    cart = service.new_cart()
    service.scan(cart, code)
    return service.checkout(cart, [Tender("cash", eur(10000))]).number


def test_a_checkout_goes_through_while_a_sync_holds_the_replicas_write_lock(tmp_path: Path) -> None:
    path = tmp_path / "replica.sqlite3"
    engine = shop.open_shop(path)
    service = CheckoutService(engine, who=as_cashier())
    sync = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        sync.execute("BEGIN IMMEDIATE")  # a first sync's chunk, held for the whole checkout
        sync.execute("UPDATE sync_state SET last_error = 'busy' WHERE id = 1")
        sold: list[str] = []
        worker = threading.Thread(target=lambda: sold.append(_sell_one(service)))
        worker.start()
        worker.join(10)
        # Had the checkout needed the replica's lock, it would still be waiting (busy timeout 30 s).
        assert sold == ["T1-000001"]
        sync.execute("ROLLBACK")
    finally:
        sync.close()
    with driver_connection(engine) as con:
        assert con.execute("SELECT count(*) FROM outbox WHERE type = 'sale.create'").fetchone() == (1,)
    engine.dispose()


def test_the_replica_engine_cannot_write_the_till_file(tmp_path: Path) -> None:
    engine = shop.open_shop(tmp_path / "replica.sqlite3")
    with driver_connection(engine) as con, pytest.raises(sqlite3.OperationalError, match="readonly"):
        con.execute("DELETE FROM till.outbox")
    engine.dispose()


def _replica_at_0008_with_a_day_of_selling(path: Path) -> None:
    """A replica from before the split: sales, outbox, pending stock and a parked cart inside it."""
    engine = create_engine(f"sqlite:///{path}")
    upgrade_to(engine, "0008")
    engine.dispose()
    con = sqlite3.connect(path)
    with con:
        con.execute(
            "INSERT INTO till (id, till_code, device_id, next_sale, next_return) VALUES (1, 'T7', 'd', 43, 2)"
        )
        con.execute(
            "INSERT INTO sale (id, number, created_at, location_id, currency, prices_include_tax, subtotal, "
            "discount, tax, total, change, doc) VALUES ('s42', 'T7-000042', '2026-11-24T10:00:00.000000Z', "
            "'loc', 'EUR', 1, 500, 0, 83, 500, 0, '{}')"
        )
        con.execute(
            "INSERT INTO sale_line (id, sale_id, position, variant_id, sku, title, quantity, unit_price, "
            "discount, tax_rate, tax, total) "
            "VALUES ('l1', 's42', 0, 'v1', 'SKU-1', 'Mug', 1, 500, 0, '20', 83, 500)"
        )
        con.execute(
            "INSERT INTO sale_payment (id, sale_id, position, method, amount, tendered) "
            "VALUES ('p1', 's42', 0, 'cash', 500, 500)"
        )
        con.execute(
            "INSERT INTO outbox (id, type, payload, created_at) "
            "VALUES ('m42', 'sale.create', '{}', '2026-11-24T10:00:00Z')"
        )
        con.execute(
            "INSERT INTO pending_stock (mutation_id, variant_id, location_id, delta) "
            "VALUES ('m42', 'v1', 'loc', -1)"
        )
        con.execute(
            "INSERT INTO parked_cart (id, parked_at, label, item_count, total, doc) "
            "VALUES ('c1', '2026-11-24T11:00:00Z', 'Mrs Jones', 1, 500, '{}')"
        )
    con.close()


def test_a_replica_from_before_the_split_moves_its_till_rows_and_keeps_numbering(tmp_path: Path) -> None:
    path = tmp_path / "replica.sqlite3"
    _replica_at_0008_with_a_day_of_selling(path)
    engine = open_replica(path)
    try:
        with driver_connection(engine) as con:
            in_replica = {
                n for (n,) in con.execute("SELECT name FROM main.sqlite_master WHERE type = 'table'")
            }
        assert in_replica.isdisjoint(TILL_TABLES)
        con = connect_both(path)
        try:
            assert con.execute("SELECT number, total FROM till.sale").fetchall() == [("T7-000042", 500)]
            assert con.execute("SELECT id FROM till.outbox").fetchall() == [("m42",)]
            assert outbox.pending_delta(con, "v1", "loc") == -1
            assert con.execute("SELECT till_code, next_sale FROM till.till").fetchall() == [("T7", 43)]
            assert con.execute("SELECT label FROM till.parked_cart").fetchall() == [("Mrs Jones",)]
        finally:
            con.close()
        assert list(tmp_path.glob("replica.sqlite3.backup-0008-*")), "the old file is backed up first"
    finally:
        engine.dispose()
    assert till_path(path).exists()


def test_opening_the_moved_replica_again_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "replica.sqlite3"
    _replica_at_0008_with_a_day_of_selling(path)
    open_replica(path).dispose()
    engine = open_replica(path)
    try:
        with driver_connection(engine) as con:
            assert con.execute("SELECT count(*) FROM till.sale").fetchone() == (1,)
            assert con.execute("SELECT count(*) FROM till.outbox").fetchone() == (1,)
    finally:
        engine.dispose()


def test_the_migrated_till_file_matches_the_table_definitions(tmp_path: Path) -> None:
    from pos.store.till_tables import TILL_TABLES, till_metadata

    path = tmp_path / "replica.sqlite3"
    open_replica(path).dispose()
    con = sqlite3.connect(till_path(path))
    try:
        tables = {n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert set(TILL_TABLES) == set(till_metadata.tables) <= tables
        for name, table in till_metadata.tables.items():
            columns = [row[1] for row in con.execute(f"PRAGMA table_info({name})")]
            assert columns == [c.name for c in table.columns], name
            indexes = {row[1] for row in con.execute(f"PRAGMA index_list({name})") if row[3] == "c"}
            assert {i.name for i in table.indexes} <= indexes, name
    finally:
        con.close()


def test_the_audit_log_refuses_to_be_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "replica.sqlite3"
    open_replica(path).dispose()
    con = sqlite3.connect(till_path(path))
    try:
        with con:
            con.execute(
                "INSERT INTO audit_log (id, at, action) VALUES ('a1', '2026-12-07T09:00:00Z', 'drawer.open')"
            )
        for sql in ("UPDATE audit_log SET action = 'sell'", "DELETE FROM audit_log"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"), con:
                con.execute(sql)
        assert con.execute("SELECT action FROM audit_log").fetchall() == [("drawer.open",)]
    finally:
        con.close()


def test_the_head_read_from_the_files_is_alembics() -> None:
    # The snapshot child checks schemas with it, without importing alembic.
    from pos.store.database import MIGRATIONS_DIR, TILL_MIGRATIONS_DIR, head_in_files, head_revision

    for directory in (MIGRATIONS_DIR, TILL_MIGRATIONS_DIR):
        assert head_in_files(directory) == head_revision(directory)
