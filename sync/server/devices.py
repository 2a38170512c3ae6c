"""Devices and their bearer tokens. Only the token's SHA-256 is stored; the token is shown once."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError

from sync.protocol import fallback_till_code
from sync.server.errors import Conflict, Invalid, NotFound, Rejected
from sync.server.ids import utc_now, uuid7
from sync.server.tables import device


@dataclass(frozen=True)
class Device:
    id: str
    name: str
    is_admin: bool
    revoked_at: str | None
    created_at: str
    code: str | None = None  # till code in receipt numbers ("T1"); None for admin devices without one

    @property
    def till_code(self) -> str:
        """The code the device's till puts on its receipts and books: its own, or for a device without
        one "T" + the last 6 hex digits of its id, the till's fallback (docs/architecture.md)."""
        return self.code or fallback_till_code(self.id)


# A till code is what receipt numbers start with (sync.protocol.ReceiptNumber): "T1-000042".
CODE_PATTERN = re.compile(r"[A-Z0-9]{1,12}")
_DEFAULT_CODE = re.compile(r"T(\d{1,11})")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def _row(row) -> Device:  # type: ignore[no-untyped-def]
    return Device(row.id, row.name, bool(row.is_admin), row.revoked_at, row.created_at, row.code)


def add_device(conn: Connection, name: str, admin: bool, code: str | None = None) -> tuple[Device, str]:
    """Register a device. A till gets the next free code T1, T2, ... unless `code` is given; an admin
    device gets a code only when one is given (it is not a till)."""
    name = name.strip()
    if not name or len(name) > 200:
        raise Invalid("device name must be 1 to 200 characters")
    if conn.execute(select(device.c.id).where(device.c.name == name)).first():
        raise Conflict(f"a device named {name!r} already exists")
    if code is not None:
        code = checked_code(conn, code)
    elif not admin:
        code = next_code(conn)
    token = new_token()
    values = {
        "id": uuid7(),
        "name": name,
        "token_hash": hash_token(token),
        "is_admin": admin,
        "revoked_at": None,
        "created_at": utc_now(),
        "code": code,
    }
    try:
        conn.execute(device.insert().values(values))
    except IntegrityError as exc:
        raise Conflict(f"a device named {name!r} or with till code {code!r} already exists") from exc
    return Device(values["id"], name, admin, None, values["created_at"], code), token


def checked_code(conn: Connection, code: str) -> str:
    """`code` upper-cased, if it is well formed and no other device has it."""
    wanted = code.strip().upper()
    if not CODE_PATTERN.fullmatch(wanted):
        raise Invalid(
            f"till code {code!r} is not valid: use 1 to 12 letters A-Z or digits, e.g. T3"
            " (it starts every receipt number of the till)"
        )
    holder = conn.execute(select(device.c.name).where(device.c.code == wanted)).scalar()
    if holder is not None:
        raise Conflict(f"till code {wanted!r} is already used by device {holder!r}")
    return wanted


def next_code(conn: Connection) -> str:
    """T<n>, n one past the highest T-number in use (revoked devices keep theirs: their receipts exist)."""
    used = conn.execute(select(device.c.code).where(device.c.code.is_not(None))).scalars()
    numbers = [int(m.group(1)) for c in used if (m := _DEFAULT_CODE.fullmatch(c))]
    return f"T{max(numbers, default=0) + 1}"


def check_till(payload: dict[str, Any], pusher: Device, what: str) -> None:
    """Raise Rejected unless `payload` is filed under the pushing device's own till code: the books
    and the audit log say which till did what, and one till must not write another's.

    `pusher` is the device as its token was checked: a device's code is never changed once given,
    so reading its row again inside the push would only cost a query per mutation."""
    own = pusher.till_code
    if payload["till_code"] != own:
        raise Rejected(f"{what} of till {payload['till_code']} cannot come from till {own}")


def list_devices(conn: Connection) -> list[Device]:
    return [_row(r) for r in conn.execute(select(device).order_by(device.c.created_at))]


def find_device(conn: Connection, name_or_id: str) -> Device:
    row = conn.execute(
        select(device).where((device.c.name == name_or_id) | (device.c.id == name_or_id))
    ).first()
    if row is None:
        raise NotFound(f"no device named {name_or_id!r}")
    return _row(row)


def revoke_device(conn: Connection, name_or_id: str) -> Device:
    found = find_device(conn, name_or_id)
    if found.revoked_at is None:
        conn.execute(update(device).where(device.c.id == found.id).values(revoked_at=utc_now()))
    return find_device(conn, found.id)


def rotate_device(conn: Connection, name_or_id: str) -> tuple[Device, str]:
    """A new token for the same device id; the old token stops working, and a revoked device works
    again. That is the way back for a till revoked by mistake (or found again): under its own id
    the shop still takes the sales it had not sent, which a new device's token could not send.
    The command line says so when it happens (a revocation is not undone silently)."""
    found = find_device(conn, name_or_id)
    token = new_token()
    conn.execute(
        update(device).where(device.c.id == found.id).values(token_hash=hash_token(token), revoked_at=None)
    )
    return find_device(conn, found.id), token


def authenticate(conn: Connection, token: str) -> Device | None:
    row = conn.execute(
        select(device).where(device.c.token_hash == hash_token(token), device.c.revoked_at.is_(None))
    ).first()
    return None if row is None else _row(row)
