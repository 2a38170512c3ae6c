"""Staff of the small test shop, synced into a replica as the `staff` entity (PIN hashes only)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from pos.services.audit import Actor
from pos.store.replica import SqliteReplica
from sync.pin_hash import hash_pin
from sync.protocol import Change

CASHIER_ID = "01936f2a-0000-7000-8000-00000000c001"
MANAGER_ID = "01936f2a-0000-7000-8000-00000000a001"
OTHER_MANAGER_ID = "01936f2a-0000-7000-8000-00000000a002"
PACKER_ID = "01936f2a-0000-7000-8000-00000000b001"
PINS = {CASHIER_ID: "1234", MANAGER_ID: "9876", OTHER_MANAGER_ID: "5555", PACKER_ID: "2468"}
STAFF = [
    (CASHIER_ID, "Cara Cashier", "cashier"),
    (MANAGER_ID, "Mo Manager", "manager"),
    (OTHER_MANAGER_ID, "Nia Manager", "manager"),
    (PACKER_ID, "Pat Packer", "warehouse"),
]


def staff_doc(staff_id: str, name: str, role: str, *, version: int = 1, active: bool = True) -> dict:
    return {"id": staff_id, "version": version, "name": name, "role": role, "active": active,
            "pin_hash": hash_pin(PINS[staff_id])}  # fmt: skip


def load_staff(engine: Engine) -> None:
    SqliteReplica(engine).apply_changes(
        [Change(seq=11 + n, entity="staff", id=s[0], op="upsert", version=1, data=staff_doc(*s))
         for n, s in enumerate(STAFF)],
        cursor=20,
    )  # fmt: skip


def revoke(engine: Engine, staff_id: str, seq: int = 30) -> None:
    name, role = next((n, r) for i, n, r in STAFF if i == staff_id)
    doc = staff_doc(staff_id, name, role, version=2, active=False)
    SqliteReplica(engine).apply_changes(
        [Change(seq=seq, entity="staff", id=staff_id, op="upsert", version=2, data=doc)], cursor=seq
    )


def actor(staff_id: str) -> Actor:
    from pos.domain.permissions import Role

    name, role = next((n, r) for i, n, r in STAFF if i == staff_id)
    return Actor(staff_id, name, Role(role))


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 12, 7, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
