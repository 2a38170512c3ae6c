"""Bearer device tokens: every endpoint needs one; the admin API needs an admin device's."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sync.server import devices
from sync.server.devices import Device
from sync.server.errors import Forbidden, Unauthorized

bearer = HTTPBearer(auto_error=False, description="device token from `countertop-shop device add`")


def current_device(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Device:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthorized("missing bearer token: send 'Authorization: Bearer <device token>'")
    with request.app.state.engine.connect() as conn:
        found = devices.authenticate(conn, credentials.credentials)
    if found is None:
        raise Unauthorized("the device token is wrong or has been revoked")
    return found


def admin_device(found: Annotated[Device, Depends(current_device)]) -> Device:
    if not found.is_admin:
        raise Forbidden(
            f"device {found.name!r} is not an admin device: use a token from `device add NAME --admin`"
        )
    return found
