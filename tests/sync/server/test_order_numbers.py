"""Order numbers come from a counter per prefix; the 0002 migration starts it past the numbers in use."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import insert

from sync.server import db
from sync.server.orders import next_number
from sync.server.tables import order
from tests.sync.server.conftest import BACKENDS
from tests.sync.server.helpers import database_url, migrate


def _row(number: str, source: str) -> dict:
    now = "2026-01-01T00:00:00Z"
    return {
        "id": f"id-{number}",
        "number": number,
        "source": source,
        "status": "pending",
        "currency": "EUR",
        "subtotal": 0,
        "tax": 0,
        "total": 0,
        "lines": "[]",
        "payments": "[]",
        "fulfilments": "[]",
        "created_at": now,
        "updated_at": now,
    }


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrade_continues_after_the_highest_number_already_used(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    engine = db.make_engine(database_url(backend, request, tmp_path))
    migrate(engine, "0001")
    with engine.begin() as conn:
        # Numbers made by the old "count + 1" rule, one deleted (so the count is behind), and a stray.
        numbers = [("W-000001", "web"), ("W-000003", "web"), ("P-000007", "pos"), ("manual-1", "web")]
        conn.execute(insert(order), [_row(n, s) for n, s in numbers])
    db.upgrade(engine)
    with db.write(engine) as conn:
        assert [next_number(conn, "W"), next_number(conn, "W")] == ["W-000004", "W-000005"]
        assert next_number(conn, "P") == "P-000008"
        assert next_number(conn, "Z") == "Z-000001"
    engine.dispose()


def test_a_rolled_back_order_gives_its_number_back(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path}/r.db")
    db.upgrade(engine)
    with db.write(engine) as conn:
        assert next_number(conn, "W") == "W-000001"
    with pytest.raises(RuntimeError), db.write(engine) as conn:
        assert next_number(conn, "W") == "W-000002"
        raise RuntimeError("the order failed after taking its number")
    with db.write(engine) as conn:
        assert next_number(conn, "W") == "W-000002"
    engine.dispose()
