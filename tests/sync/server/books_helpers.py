"""Build `cash.session` and `audit.entry` payloads the way a till would, and read the shop's books.

`cash_session` works the figures out from what happened in the shift, so every session built here
adds up to the cent; tests then break one figure on purpose.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from sqlalchemy import text

from sync.server import db
from sync.server.ids import uuid7
from tests.fixtures.shop_server import LiveShop

Doc = dict[str, Any]
PIECES = (5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1)  # EUR notes and coins in cents


def pieces_of(amount: int) -> list[Doc]:
    """A drawer count that adds up to `amount` (largest notes first)."""
    count = []
    for value in PIECES:
        n, amount = divmod(amount, value)
        if n:
            count.append({"value": value, "count": n})
    return count


def cash_session(
    *,
    float_: int = 10000,
    cash: tuple[int, int] = (12350, 990),  # (taken, refunded)
    card: tuple[int, int] = (8400, 0),
    pay_ins: int = 500,
    pay_outs: int = 1250,
    drops: int = 5000,
    cash_short: int = 0,  # how much cash is missing at the close (negative: over)
    sale_count: int = 7,
    refund_count: int = 1,
    staff_id: str = "staff-opener",
    till_code: str = "T9",
    currency: str = "EUR",
) -> Doc:
    expected_cash = float_ + cash[0] - cash[1] + pay_ins - pay_outs - drops
    counted_cash = expected_cash - cash_short
    tenders = [
        _tender("cash", cash, expected_cash, counted_cash),
        _tender("card", card, card[0] - card[1], card[0] - card[1]),
    ]
    return {
        "id": uuid7(),
        "till_code": till_code,
        "opened_by": staff_id,
        "closed_by": staff_id,
        "approved_by": None,
        "opened_at": "2026-11-25T08:00:00.000000Z",
        "closed_at": "2026-11-25T17:30:00.000000Z",
        "currency": currency,
        "float": float_,
        "sale_count": sale_count,
        "sales_total": cash[0] + card[0],
        "refund_count": refund_count,
        "refunds_total": cash[1] + card[1],
        "pay_ins": pay_ins,
        "pay_outs": pay_outs,
        "drops": drops,
        "tenders": tenders,
        "cash_count": pieces_of(counted_cash),
    }


def _tender(method: str, moved: tuple[int, int], expected: int, counted: int) -> Doc:
    return {
        "method": method,
        "taken": moved[0],
        "refunded": moved[1],
        "expected": expected,
        "counted": counted,
        "variance": counted - expected,
    }


def audit_entry(action: str = "void.line", **overrides: Any) -> Doc:
    entry: Doc = {
        "id": uuid7(),
        "at": "2026-11-25T10:15:00.000000Z",
        "till_code": "T9",
        "staff_id": "staff-cashier",
        "action": action,
        "subject": "T9-000042",
        "before": {"lines": 3, "total": 2497},
        "after": {"lines": 2, "total": 1598},
        "reason": "customer changed their mind",
        "approved_by": "staff-manager",
    }
    return {**entry, **overrides}


def as_till(shop: LiveShop, code: str) -> LiveShop:
    """`shop` seen from a till device of its own with till code `code`, registered through the admin
    API: the shop files books only under the pushing till's own code."""
    made = shop.admin_post("devices", json={"name": f"till-{code}-{uuid.uuid4().hex[:6]}", "code": code})
    assert made.status_code == 201, made.text
    return dataclasses.replace(shop, device_id=made.json()["id"], device_token=made.json()["token"])


def count_rows(shop: LiveShop, table: str, **where: str) -> int:
    """Rows of a table (optionally matching column = value), read from the shop's database."""
    clause = " AND ".join(f"{column} = :{column}" for column in where) or "1 = 1"
    engine = db.make_engine(shop.database_url)
    try:
        with db.read(engine) as conn:
            return conn.execute(text(f'SELECT count(*) FROM "{table}" WHERE {clause}'), where).scalar_one()
    finally:
        engine.dispose()
