"""Admin API: web orders (priced by the shop, stock taken at a location) and their status."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from sync.server import db, order_status, orders
from sync.server.auth import admin_device
from sync.server.crud import add_read_routes
from sync.server.gzip_body import JsonRoute
from sync.server.problems import responses
from sync.server.schemas import OrderIn, OrderStatusPatch

router = APIRouter(route_class=JsonRoute, dependencies=[Depends(admin_device)], tags=["admin: orders"])

add_read_routes(router, "/orders", "order")


@router.post(
    "/orders",
    status_code=201,
    summary="Place a web order: prices and tax from the catalog",
    responses=responses(404),
)
def place(request: Request, body: OrderIn) -> dict[str, Any]:
    with db.write(request.app.state.engine) as conn:
        return orders.place_order(conn, body)


@router.patch(
    "/orders/{record_id}",
    summary="Change an order's status (cancelling puts its stock back)",
    responses=responses(404, 409),
)
def set_status(request: Request, record_id: str, body: OrderStatusPatch) -> dict[str, Any]:
    with db.write(request.app.state.engine) as conn:
        return order_status.set_status(conn, record_id, body.status)


@router.delete(
    "/orders/{record_id}",
    summary="Delete an order (tills receive a tombstone; an order not cancelled puts its stock back)",
    responses=responses(404),
)
def remove(request: Request, record_id: str) -> dict[str, Any]:
    with db.write(request.app.state.engine) as conn:
        seq = order_status.delete_order(conn, record_id)
    return {"id": record_id, "deleted": True, "seq": seq}
