"""Admin API: stock adjustments (the ledger) and stock levels."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from sync.server import changelog, db, stock
from sync.server.auth import admin_device
from sync.server.gzip_body import JsonRoute
from sync.server.problems import responses
from sync.server.schemas import StockAdjust

router = APIRouter(
    route_class=JsonRoute, prefix="/stock", dependencies=[Depends(admin_device)], tags=["admin: stock"]
)


@router.post(
    "/adjust",
    status_code=201,
    summary="Add a stock movement: quantity = quantity + delta",
    responses=responses(404),
)
def adjust(request: Request, body: StockAdjust) -> dict[str, Any]:
    with db.write(request.app.state.engine) as conn:
        level = stock.apply_movement(
            conn, body.variant_id, body.location_id, body.delta, body.reason, "admin"
        )
        seq = changelog.record(conn, [("inventory_level", level["id"], level)])
    return {"level": level, "seq": seq}


@router.get("/levels", summary="Stock levels of a variant, one per location")
def levels(request: Request, variant_id: Annotated[str, Query(min_length=1, max_length=64)]) -> list[dict]:
    with db.read(request.app.state.engine) as conn:
        return stock.levels_of(conn, variant_id)
