"""Sales in the replica: written from their payload, read back by receipt number or id."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from pos.domain.cart import Cart, new_item
from pos.domain.money import Money
from pos.domain.sale import build_sale
from pos.domain.tender import Tender, settle
from pos.store import sales
from pos.store.database import driver_connection
from pos.store.till_file import till_engine


def _payload(number: str) -> dict:
    cart = Cart("EUR", True)
    cart.add(new_item(variant_id="v1", product_id="p1", sku="S-1", title="Thing",
                      unit_price=Money(250, "EUR"), tax_rate=None, quantity=2))  # fmt: skip
    cart.add(new_item(variant_id=None, product_id=None, sku="OPEN", title="Open item",
                      unit_price=Money(100, "EUR"), tax_rate=None))  # fmt: skip
    settlement = settle(
        Money(600, "EUR"), [Tender("card", Money(100, "EUR"), "R1"), Tender("cash", Money(1000, "EUR"))]
    )
    return build_sale(cart, settlement, sale_id=f"sale-{number}", number=number, location_id="loc",
                      staff_id=None, created_at=datetime(2026, 11, 25, tzinfo=UTC))  # fmt: skip


def test_write_then_read_by_number_and_id(engine: Engine) -> None:
    payload = _payload("T1-000001")
    with driver_connection(till_engine(engine)) as con:
        con.execute("BEGIN IMMEDIATE")
        sales.write_sale(con, payload)
        con.execute("COMMIT")
        assert sales.sale_by_number(con, " t1-000001 ") == payload
        assert sales.sale_by_id(con, "sale-T1-000001") == payload
        assert sales.sale_by_number(con, "T1-000002") is None
        assert sales.recent_numbers(con) == ["T1-000001"]
        lines = con.execute(
            "SELECT position, variant_id, sku, quantity, total FROM sale_line ORDER BY position"
        )
        assert lines.fetchall() == [(0, "v1", "S-1", 2, 500), (1, None, "OPEN", 1, 100)]
        pays = con.execute(
            "SELECT position, method, amount, tendered, reference FROM sale_payment ORDER BY position"
        )
        assert pays.fetchall() == [(0, "card", 100, 100, "R1"), (1, "cash", 500, 1000, None)]


def test_a_sale_is_written_only_inside_a_transaction(engine: Engine) -> None:
    with driver_connection(till_engine(engine)) as con, pytest.raises(RuntimeError, match="transaction"):
        sales.write_sale(con, _payload("T1-000001"))


def test_a_receipt_number_is_unique(engine: Engine) -> None:
    import sqlite3

    with driver_connection(till_engine(engine)) as con:
        con.execute("BEGIN IMMEDIATE")
        sales.write_sale(con, _payload("T1-000001"))
        second = {**_payload("T1-000001"), "id": "another"}
        with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
            sales.write_sale(con, second)
        con.execute("ROLLBACK")
