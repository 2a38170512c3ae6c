"""Admin API: customers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from sync.server import records
from sync.server.auth import admin_device
from sync.server.crud import add_read_routes, add_write_routes
from sync.server.gzip_body import JsonRoute
from sync.server.ids import utc_now
from sync.server.schemas import CustomerIn, CustomerPatch

router = APIRouter(route_class=JsonRoute, dependencies=[Depends(admin_device)], tags=["admin: customers"])
_NULLABLE = ("email", "phone", "loyalty_code")


def _create(conn: Any, body: CustomerIn) -> dict[str, Any]:
    return records.create(conn, "customer", {**body.model_dump(), "updated_at": utc_now()})


def _change(conn: Any, record_id: str, body: CustomerPatch) -> dict[str, Any]:
    return records.change(conn, "customer", record_id, records.patch_fields(body, _NULLABLE))


def _remove(conn: Any, record_id: str) -> int:
    return records.remove(conn, "customer", record_id)


add_read_routes(router, "/customers", "customer")
add_write_routes(router, "/customers", "customer", CustomerIn, CustomerPatch, _create, _change, _remove)
