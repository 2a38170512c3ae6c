"""Order status changes and deletion. Cancelling or deleting puts the order's stock back, once; a
cancelled order stays cancelled.

The order row is read FOR UPDATE, so on PostgreSQL two cancellations arriving together run one after
the other and the second finds the order already cancelled (SQLite writers are serialised anyway).
What goes back is read from the ledger, the order's own movements netted per variant and location,
so it returns to where it was taken, exactly once.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from sync.server import changelog
from sync.server.errors import Conflict, NotFound
from sync.server.ids import utc_now
from sync.server.orders import load, order_source
from sync.server.stock import apply_movements
from sync.server.tables import location, order, stock_movement, variant

logger = logging.getLogger(__name__)

Doc = dict[str, Any]
CANCELLED = "cancelled"
RESTOCK_REASON = "order cancelled"
DELETE_RESTOCK_REASON = "order deleted"


def set_status(conn: Connection, order_id: str, status: str) -> Doc:
    """Change the status; setting the status it already has changes and logs nothing."""
    row = conn.execute(
        select(order.c.status, order.c.number).where(order.c.id == order_id).with_for_update()
    ).first()
    if row is None:
        raise NotFound(f"no order with id {order_id!r}")
    if row.status == status:
        same = changelog.current_doc(conn, "order", order_id)
        assert same is not None  # every order is logged when placed
        return same
    if row.status == CANCELLED:
        raise Conflict(
            f"order {row.number} is cancelled and its stock was put back, so it cannot become"
            f" {status!r}; place a new order instead"
        )
    items: list[changelog.Item] = []
    if status == CANCELLED:
        items = [("inventory_level", lvl["id"], lvl) for lvl in _put_stock_back(conn, row.number)]
    conn.execute(update(order).where(order.c.id == order_id).values(status=status, updated_at=utc_now()))
    doc = load(conn, order_id)
    changelog.record(conn, [*items, ("order", order_id, doc)])
    return doc


def delete_order(conn: Connection, order_id: str) -> int:
    """Delete an order; tills receive a tombstone. An order that was not cancelled puts its stock back
    first, exactly as cancelling does (once: the ledger nets what it already returned). Returns the
    seq of the tombstone."""
    row = conn.execute(
        select(order.c.status, order.c.number).where(order.c.id == order_id).with_for_update()
    ).first()
    if row is None:
        raise NotFound(f"no order with id {order_id!r}")
    items: list[changelog.Item] = []
    if row.status != CANCELLED:
        levels = _put_stock_back(conn, row.number, DELETE_RESTOCK_REASON)
        items = [("inventory_level", lvl["id"], lvl) for lvl in levels]
    conn.execute(delete(order).where(order.c.id == order_id))
    return changelog.record(conn, [*items, ("order", order_id, None)])


def _put_stock_back(conn: Connection, number: str, reason: str = RESTOCK_REASON) -> list[Doc]:
    source = order_source(number)
    m = stock_movement.c
    outstanding = conn.execute(
        select(m.variant_id, m.location_id, func.sum(m.delta))
        .where(m.source == source)
        .group_by(m.variant_id, m.location_id)
        .having(func.sum(m.delta) < 0)
    ).all()
    moves = []
    for variant_id, location_id, net in outstanding:
        if not _still_there(conn, variant_id, location_id):
            # The level went with its variant or location; there is nothing to put back into.
            logger.info("order %s: not restocking %s at %s (deleted)", number, variant_id, location_id)
            continue
        moves.append((variant_id, location_id, -int(net)))
    return apply_movements(conn, moves, reason, source)


def _still_there(conn: Connection, variant_id: str, location_id: str) -> bool:
    found_variant = conn.execute(select(variant.c.id).where(variant.c.id == variant_id)).first()
    found_location = conn.execute(select(location.c.id).where(location.c.id == location_id)).first()
    return found_variant is not None and found_location is not None
