"""`return.create`: a return is appended to its order's `returns`, and restocked lines go back on the shelf.

The order row is read FOR UPDATE, so on PostgreSQL two returns of one order arriving together are
judged one after the other against what the first left to return. The order's version is bumped;
it becomes "refunded" once every unit of every line has come back. Restock movements use the order's
ledger source, so cancelling the order later puts back only what is still out.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from sqlalchemy import Connection, insert, select, update

from sync.server import changelog
from sync.server.errors import Rejected
from sync.server.ids import fixed_width, utc_now
from sync.server.orders import load, order_source
from sync.server.push_checks import check_return, fully_returned
from sync.server.sales import require_location
from sync.server.stock import Movement, apply_checked_movements
from sync.server.tables import order, order_return, variant

logger = logging.getLogger(__name__)

Doc = dict[str, Any]
RETURN_REASON = "return"
REFUNDED = "refunded"


def apply_return(conn: Connection, ret: Doc) -> int:
    """Record the return; returns the highest seq logged. Raises Rejected when it cannot be recorded."""
    row = conn.execute(select(order).where(order.c.id == ret["order_id"]).with_for_update()).first()
    if row is None:
        raise Rejected(f"order {ret['order_id']!r} not found: the sale returned from is not on the shop")
    if row.status == "cancelled":
        raise Rejected(f"order {row.number} is cancelled and its stock was put back; it takes no returns")
    if row.status == "pending":
        # A web order not yet paid: refunding it would pay out money the shop never took.
        raise Rejected(
            f"order {row.number} is not paid yet, so there is nothing to refund; cancel it instead"
        )
    _check_new(conn, ret)
    require_location(conn, ret["location_id"])
    lines: list[Doc] = orjson.loads(row.lines)
    returns: list[Doc] = [*orjson.loads(row.returns)]
    check_return(ret, row.number, lines, returns)
    returns.append(_return_doc(ret))
    status = REFUNDED if fully_returned(lines, returns) else row.status
    conn.execute(
        insert(order_return).values(
            id=ret["id"], number=ret["number"], order_id=row.id, created_at=fixed_width(ret["created_at"])
        )
    )
    conn.execute(
        update(order)
        .where(order.c.id == row.id)
        .values(returns=orjson.dumps(returns).decode(), status=status, updated_at=utc_now())
    )
    moves = _restock(conn, ret, {ln["id"]: ln for ln in lines})
    levels = apply_checked_movements(conn, moves, RETURN_REASON, order_source(row.number))
    items: list[changelog.Item] = [("inventory_level", lvl["id"], lvl) for lvl in levels]
    return changelog.record(conn, [*items, ("order", row.id, load(conn, row.id))])


def _check_new(conn: Connection, ret: Doc) -> None:
    same = conn.execute(
        select(order_return.c.id, order_return.c.number).where(
            (order_return.c.id == ret["id"]) | (order_return.c.number == ret["number"])
        )
    ).first()
    if same is not None and same.id == ret["id"]:
        raise Rejected(f"return {ret['id']} is already recorded as {same.number}")
    if same is not None:
        raise Rejected(f"return number {ret['number']} is already used by another return ({same.id})")


def _return_doc(ret: Doc) -> Doc:
    """The ReturnDoc kept in the order (the payload without order_id and staff_id)."""
    keys = ("id", "number", "location_id", "reason", "lines", "refunds", "total")
    return {k: ret[k] for k in keys} | {"created_at": fixed_width(ret["created_at"])}


def _restock(conn: Connection, ret: Doc, lines: dict[str, Doc]) -> list[Movement]:
    """+quantity per variant for restocked lines whose variant still exists."""
    per_variant: dict[str, int] = {}
    for rl in ret["lines"]:
        variant_id = lines[rl["line_id"]]["variant_id"]
        if rl["restock"] and variant_id is not None:
            per_variant[variant_id] = per_variant.get(variant_id, 0) + rl["quantity"]
    if not per_variant:
        return []
    known = set(conn.execute(select(variant.c.id).where(variant.c.id.in_(per_variant))).scalars())
    for gone in per_variant.keys() - known:
        # The goods came back but the catalog no longer has them: nothing to put them into.
        logger.info("return %s: not restocking variant %s (deleted)", ret["number"], gone)
    return [(v, ret["location_id"], q) for v, q in per_variant.items() if v in known]
