"""Migration 0007 (returns, parked carts, customer search indexes) on a replica that already has data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from pos.services.customers import CustomerService
from pos.store import parked, returns
from pos.store.database import current_revision, driver_connection, head_revision, open_replica, upgrade_to
from pos.store.till_file import till_engine
from tests.staffing import as_cashier

NEW_INDEXES = {
    "ix_customer_name_nocase", "ix_customer_surname_nocase", "ix_customer_email_nocase",
    "ix_customer_phone_digits", "ix_customer_loyalty_nocase", "ix_orders_customer", "ix_sale_customer",
    "ix_sale_return_order", "ix_sale_return_line_line",
}  # fmt: skip


def _replica_at_0006(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{path}")
    upgrade_to(engine, "0006")
    engine.dispose()
    con = sqlite3.connect(path)
    with con:
        con.executemany(
            "INSERT INTO customer (id, version, name, email, phone, loyalty_code, updated_at) "
            "VALUES (?, 3, ?, ?, ?, ?, '2026-01-01T00:00:00Z')",
            [("c1", "Jane Smith", "jane@example.com", "0151 234", "LC-1"),
             ("c2", "Olu Adeyemi", None, None, None)],
        )  # fmt: skip
        con.execute(
            "INSERT INTO orders (id, version, number, source, status, customer_id, currency, subtotal, tax, "
            "total, created_at, updated_at, doc) VALUES ('o1', 1, 'W-000001', 'web', 'paid', 'c1', 'EUR', "
            "100, 0, 100, '2026-01-02T00:00:00Z', '2026-01-02T00:00:00Z', "
            '\'{"lines": [], "payments": [], "fulfilments": []}\')'
        )
    con.close()


def test_a_0006_replica_gets_the_new_tables_and_indexes_and_keeps_its_customers(tmp_path: Path) -> None:
    path = tmp_path / "replica.sqlite3"
    _replica_at_0006(path)
    engine = open_replica(path)
    try:
        assert current_revision(engine) == head_revision()
        with driver_connection(engine) as con:  # the replica and, since 0009, its till file
            schema = (
                "SELECT type, name FROM main.sqlite_master "
                "UNION ALL SELECT type, name FROM till.sqlite_master"
            )
            names = {n for (kind, n) in con.execute(schema) if kind == "index"}
            tables = {n for (kind, n) in con.execute(schema) if kind == "table"}
        assert names >= NEW_INDEXES
        assert {"sale_return", "sale_return_line", "parked_cart"} <= tables
        customers = CustomerService(engine, who=as_cashier())
        # The indexes were built over the rows already there.
        assert [c.name for c in customers.search("smi")] == ["Jane Smith"]
        assert [c.name for c in customers.search("ade")] == ["Olu Adeyemi"]
        assert [o.number for o in customers.orders("c1")] == ["W-000001"]
    finally:
        engine.dispose()


def test_0007_downgrades_cleanly(tmp_path: Path) -> None:
    from alembic import command

    from pos.store.database import alembic_config

    path = tmp_path / "replica.sqlite3"
    engine = create_engine(f"sqlite:///{path}")
    upgrade_to(engine, "0007")
    try:
        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0006")
        with engine.connect() as connection:
            rows = connection.exec_driver_sql("SELECT name FROM sqlite_master").all()
        assert not NEW_INDEXES & {n for (n,) in rows}
        assert not {"sale_return", "sale_return_line", "parked_cart"} & {n for (n,) in rows}
    finally:
        engine.dispose()


def test_store_writers_refuse_to_run_outside_a_transaction(tmp_path: Path) -> None:
    engine = open_replica(tmp_path / "replica.sqlite3")
    try:
        with driver_connection(engine) as con:
            with pytest.raises(RuntimeError, match="inside"):
                returns.insert_return(con, {})
            with pytest.raises(RuntimeError, match="inside"):
                parked.take(con, "x")
    finally:
        engine.dispose()


def test_a_return_line_must_take_something_back(tmp_path: Path) -> None:
    engine = open_replica(tmp_path / "replica.sqlite3")
    try:
        with driver_connection(till_engine(engine)) as con:
            con.execute("BEGIN IMMEDIATE")
            con.execute(
                "INSERT INTO sale_return (id, number, order_id, created_at, location_id, total, doc) "
                "VALUES ('r1', 'T1-R000001', 'o1', '2026-01-01T00:00:00Z', 'l1', 0, '{}')"
            )
            with pytest.raises(sqlite3.IntegrityError):
                con.execute(
                    "INSERT INTO sale_return_line (id, return_id, line_id, quantity, amount, tax, restock) "
                    "VALUES ('rl1', 'r1', 'ol1', 0, 0, 0, 1)"
                )
            con.execute("ROLLBACK")
    finally:
        engine.dispose()
