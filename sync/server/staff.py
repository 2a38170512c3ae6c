"""Staff accounts as the command line manages them: by name, with PINs checked before they are hashed.

Every change goes through `records` so tills receive it as a `staff` change on their next pull: a
revoked member is synced with `active: false` and the till refuses their sign-in from then on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from sync.pin_hash import hash_pin, pin_problem
from sync.server import records
from sync.server.errors import Conflict, Invalid, NotFound
from sync.server.tables import staff

ROLES = ("cashier", "warehouse", "manager")
MAX_NAME_CHARS = 200


@dataclass(frozen=True)
class Member:
    id: str
    name: str
    role: str
    active: bool
    has_pin: bool


def _member(doc: dict[str, Any]) -> Member:
    return Member(doc["id"], doc["name"], doc["role"], bool(doc["active"]), doc["pin_hash"] is not None)


def check_pin(pin: str) -> str:
    problem = pin_problem(pin)
    if problem:
        raise Invalid(problem)
    return pin


def _check_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise Invalid("a staff member needs a name")
    if len(cleaned) > MAX_NAME_CHARS:
        raise Invalid(f"a name has at most {MAX_NAME_CHARS} characters")
    return cleaned


def _named(conn: Connection, name_or_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(select(staff)).mappings().all()  # a shop has tens of staff, not thousands
    by_id = [dict(r) for r in rows if r["id"] == name_or_id]
    wanted = " ".join(name_or_id.split()).casefold()
    return by_id or [dict(r) for r in rows if " ".join(r["name"].split()).casefold() == wanted]


def find(conn: Connection, name_or_id: str) -> Member:
    """The one staff member with this id, or this name (case and spacing ignored)."""
    matches = _named(conn, name_or_id)
    if not matches:
        raise NotFound(f"no staff member named {name_or_id!r} (see `countertop-shop staff list`)")
    if len(matches) > 1:
        ids = ", ".join(r["id"] for r in matches)
        raise Conflict(f"{len(matches)} staff members are named {name_or_id!r} ({ids}): give the id instead")
    return _member(matches[0])


def add(conn: Connection, name: str, role: str, pin: str) -> Member:
    """A new active member. Names are unique here (case and spacing ignored) because the other
    commands take a name; the admin API, which works by id, does not insist."""
    name = _check_name(name)
    if role not in ROLES:
        raise Invalid(f"{role!r} is not a role: {', '.join(ROLES)}")
    check_pin(pin)
    clashes = [_member(r) for r in _named(conn, name)]
    if clashes:
        clash = clashes[0]
        if clash.active:
            raise Conflict(f"a staff member named {clash.name!r} already exists (id {clash.id})")
        raise Conflict(
            f"{clash.name!r} exists and is revoked (id {clash.id}): choose another name, or re-activate "
            f'them with PATCH /api/v1/admin/staff/{clash.id} {{"active": true}}'
        )
    fields = {"name": name, "role": role, "pin_hash": hash_pin(pin), "active": True}
    return _member(records.create(conn, "staff", fields))


def revoke(conn: Connection, name_or_id: str) -> Member:
    member = find(conn, name_or_id)
    if not member.active:
        raise Conflict(f"{member.name!r} is already revoked")
    return _member(records.change(conn, "staff", member.id, {"active": False}))


def set_pin(conn: Connection, name_or_id: str, pin: str) -> Member:
    member = find(conn, name_or_id)
    check_pin(pin)
    return _member(records.change(conn, "staff", member.id, {"pin_hash": hash_pin(pin)}))


def list_all(conn: Connection) -> list[Member]:
    rows = conn.execute(select(staff).order_by(staff.c.name, staff.c.id)).mappings().all()
    return [_member(dict(r)) for r in rows]
