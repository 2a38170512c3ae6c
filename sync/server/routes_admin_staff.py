"""Admin API: staff (PINs stored as salted scrypt hashes), devices and change-log pruning."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from sync.pin_hash import hash_pin
from sync.server import changelog, db, devices, records
from sync.server.auth import admin_device
from sync.server.crud import add_read_routes, add_write_routes
from sync.server.gzip_body import JsonRoute
from sync.server.problems import responses
from sync.server.schemas import DeviceIn, PruneIn, StaffIn, StaffPatch

router = APIRouter(
    route_class=JsonRoute, dependencies=[Depends(admin_device)], tags=["admin: staff and devices"]
)


def _staff_values(fields: dict[str, Any]) -> dict[str, Any]:
    pin = fields.pop("pin", None)
    if pin is not None:
        fields["pin_hash"] = hash_pin(pin)
    return fields


def _create(conn: Any, body: StaffIn) -> dict[str, Any]:
    values = _staff_values(body.model_dump())
    values.setdefault("pin_hash", None)
    return records.create(conn, "staff", values)


def _change(conn: Any, record_id: str, body: StaffPatch) -> dict[str, Any]:
    return records.change(conn, "staff", record_id, _staff_values(records.patch_fields(body)))


def _remove(conn: Any, record_id: str) -> int:
    return records.remove(conn, "staff", record_id)


add_read_routes(router, "/staff", "staff")
add_write_routes(router, "/staff", "staff", StaffIn, StaffPatch, _create, _change, _remove)


def _device_json(d: devices.Device) -> dict[str, Any]:
    return {
        "id": d.id,
        "name": d.name,
        "admin": d.is_admin,
        "code": d.code,
        "revoked_at": d.revoked_at,
        "created_at": d.created_at,
    }


@router.get("/devices", summary="List devices (tokens are never shown again)")
def list_devices(request: Request) -> list[dict[str, Any]]:
    with db.read(request.app.state.engine) as conn:
        return [_device_json(d) for d in devices.list_devices(conn)]


@router.post(
    "/devices",
    status_code=201,
    summary="Register a device; the token is in this answer only",
    responses=responses(409),
)
def add_device(request: Request, body: DeviceIn) -> dict[str, Any]:
    with db.write(request.app.state.engine) as conn:
        found, token = devices.add_device(conn, body.name, body.admin, body.code)
    return {**_device_json(found), "token": token}


@router.delete("/devices/{device_id}", summary="Revoke a device's token", responses=responses(404))
def revoke_device(request: Request, device_id: str) -> dict[str, Any]:
    with db.write(request.app.state.engine) as conn:
        return _device_json(devices.revoke_device(conn, device_id))


@router.post("/changes/prune", summary="Drop change-log rows older than an age; older cursors get 410")
def prune(request: Request, body: PruneIn) -> dict[str, int]:
    with db.write(request.app.state.engine) as conn:
        deleted, floor = changelog.prune(conn, body.older_than_seconds)
    return {"deleted": deleted, "floor": floor}
