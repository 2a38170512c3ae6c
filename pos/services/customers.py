"""CustomerService: find, create and edit customers at the till, offline too, and list their orders.

    customers = CustomerService(engine)
    found = customers.search("smi")  # name, surname, email, phone or loyalty code prefix
    jane = customers.save(CustomerDraft(name="Jane Smith", email="jane@example.com"))
    jane = customers.save(CustomerDraft.of(jane, phone="0151 234 5678"))
    history = customers.orders(jane.id)  # web orders, every till's sales, this till's unsynced ones

A save writes the replica's customer row and enqueues `customer.upsert` in one transaction, so the
customer can be attached to a sale at once and reaches the shop with the next push.

Versions: a customer made here is written with version 0 and sent without a base version (the
shop creates it; the pulled document, version 1, replaces the local row). An edit is sent with
`base_version` = the version the till holds, and the local row takes version + 1, which is the
version the shop gives it when it applies the edit: a second edit made before the next pull then
builds on the first instead of conflicting with it, and the shop's copy of the till's own edit is
not applied over it again. If someone else changed the customer on the shop meanwhile, the edit
comes back `conflict` and waits in "sync problems" for a person.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine

from pos.domain.errors import DomainError
from pos.domain.ids import new_id
from pos.domain.money import Money
from pos.domain.permissions import Permission
from pos.domain.sale import format_timestamp
from pos.services.signed_in import SignedIn
from pos.store import customers as store
from pos.store import outbox
from pos.store.database import read_transaction, write_both_files
from sync.protocol import MUTATION_PAYLOADS

log = logging.getLogger(__name__)

CUSTOMER_UPSERT = MUTATION_PAYLOADS["customer.upsert"]
MAX_NAME = 200
MAX_EMAIL = 254
MAX_PHONE = 40
MAX_CODE = 64
MAX_SEARCH = 200
# Deliberately loose: one @, something before it, a dotted domain after it, no spaces. Whether the
# address works is for the mail server to say; a typo like "jane.example.com" is caught here.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]+$")
_CODE = re.compile(r"^[A-Za-z0-9._-]+$")


class CustomerError(DomainError):
    """A customer that cannot be saved as given; nothing was written."""


@dataclass(frozen=True)
class Customer:
    id: str
    version: int  # 0: made on this till, not yet back from the shop
    name: str
    email: str | None
    phone: str | None
    loyalty_code: str | None
    updated_at: str
    waiting: bool = False  # a change of this till the shop has not acknowledged yet


@dataclass(frozen=True)
class CustomerDraft:
    """What the customer form holds; `id` None for a new customer."""

    name: str
    email: str | None = None
    phone: str | None = None
    loyalty_code: str | None = None
    id: str | None = None

    @classmethod
    def of(cls, customer: Customer, **changes: Any) -> CustomerDraft:
        draft = cls(customer.name, customer.email, customer.phone, customer.loyalty_code, customer.id)
        return replace(draft, **changes)


@dataclass(frozen=True)
class OrderSummary:
    id: str
    number: str
    source: str  # "web" or "pos"
    status: str
    created_at: str
    total: Money
    item_count: int
    synced: bool  # False: this till's sale, not yet back from the shop


class CustomerService:
    def __init__(
        self, engine: Engine, clock: Callable[[], datetime] | None = None, *, who: SignedIn
    ) -> None:
        self._engine = engine
        self._who = who
        self._clock = clock or (lambda: datetime.now(UTC))

    # --- finding ---------------------------------------------------------------------------------

    def search(self, text: str, limit: int = 50) -> list[Customer]:
        """Customers whose name, surname, email, phone or loyalty code starts with `text` (any case).

        An empty text lists customers by name. An exact loyalty code comes first.
        """
        limit = max(1, min(int(limit), MAX_SEARCH))
        with read_transaction(self._engine) as con:
            return [_customer(row) for row in store.search(con, str(text or "")[:MAX_EMAIL], limit)]

    def by_code(self, code: str) -> Customer | None:
        """The customer with this loyalty code (a scanned card), in any letter case, or None."""
        cleaned = (code or "").strip()
        if not cleaned or len(cleaned) > MAX_CODE:
            return None
        with read_transaction(self._engine) as con:
            row = store.by_loyalty_code(con, cleaned)
        return _customer(row) if row else None

    def get(self, customer_id: str) -> Customer | None:
        with read_transaction(self._engine) as con:
            row = store.get(con, customer_id)
            return _customer(row, waiting=store.has_waiting_upsert(con, customer_id)) if row else None

    # --- saving ----------------------------------------------------------------------------------

    def save(self, draft: CustomerDraft) -> Customer:
        """Create or change a customer: the replica row and its customer.upsert, in one transaction.

        Raises CustomerError with nothing written when the name is empty, the email or phone is
        malformed, the loyalty code belongs to another customer, or the replica stayed locked
        past the busy timeout.
        """
        self._who.require(Permission.CUSTOMER_CREATE if draft.id is None else Permission.CUSTOMER_EDIT)
        fields = _checked(draft)
        now = format_timestamp(self._clock())
        try:
            row = self._write_customer(draft, fields, now)
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:  # BUSY_RECOVERY, _SNAPSHOT... too
                raise
            # Held past the busy timeout: only a catalog load from the shop holds the replica that long.
            log.warning("a customer save gave up waiting for the replica's write lock: %s", exc)
            raise CustomerError(
                "The till is busy loading the shop's catalog, so nothing was saved. Try again in a moment."
            ) from exc
        log.info("customer %s %s on this till", row.id, "created" if draft.id is None else "changed")
        return _customer(row, waiting=True)

    def _write_customer(
        self, draft: CustomerDraft, fields: dict[str, str | None], now: str
    ) -> store.CustomerRow:
        with self._write() as con:
            customer_id, base_version, version = _versions(con, draft.id)
            code = fields["loyalty_code"]
            owner = code and store.loyalty_code_owner(con, code, customer_id)
            if owner:
                raise CustomerError(
                    f"Loyalty code {code} already belongs to {owner}. Nothing was saved.",
                    field="loyalty_code",
                )
            payload = {"id": customer_id, **fields}
            _validate(payload)
            row = store.CustomerRow(customer_id, version, fields["name"], fields["email"], fields["phone"],
                                    fields["loyalty_code"], now)  # fmt: skip
            store.write(con, row)
            outbox.enqueue(
                con, mutation_id=new_id(), type="customer.upsert", payload=payload, base_version=base_version
            )
        return row

    # --- history ---------------------------------------------------------------------------------

    def orders(self, customer_id: str, limit: int = 200) -> list[OrderSummary]:
        """The customer's orders from every channel, newest first (see pos.store.customers.orders_of)."""
        with read_transaction(self._engine) as con:
            rows = store.orders_of(con, customer_id, max(1, int(limit)))
        return [
            OrderSummary(
                r.id, r.number, r.source, r.status, r.created_at, Money(r.total, r.currency), r.item_count,
                r.synced,
            )
            for r in rows
        ]

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        # The customer row is the replica's, its mutation the till file's: one transaction for both.
        return write_both_files(self._engine)


def _versions(con: sqlite3.Connection, customer_id: str | None) -> tuple[str, int | None, int]:
    """(id, base_version to send, version the local row takes); see the module doc."""
    if customer_id is None:
        return new_id(), None, 0
    current = store.get(con, customer_id)
    if current is None:
        raise CustomerError("This customer is no longer in the shop. Nothing was saved.")
    if current.version == 0:
        # Made here and not back from the shop yet: the shop has no version to check against, and
        # nobody else can have changed the till's own new customer.
        return current.id, None, 0
    return current.id, current.version, current.version + 1


def _customer(row: store.CustomerRow, *, waiting: bool = False) -> Customer:
    return Customer(row.id, row.version, row.name, row.email, row.phone, row.loyalty_code, row.updated_at,
                    waiting)  # fmt: skip


def _optional(value: object, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise CustomerError(f"The {what} must be text.", field=what)
    return value.strip() or None


def _checked(draft: CustomerDraft) -> dict[str, str | None]:
    """The draft's fields cleaned (trimmed, empty -> None), or CustomerError saying what is wrong."""
    name = _optional(draft.name, "name")
    if not name:
        raise CustomerError("A customer needs a name. Nothing was saved.", field="name")
    if len(name) > MAX_NAME:
        raise CustomerError(f"The name is too long: at most {MAX_NAME} characters.", field="name")
    email = _optional(draft.email, "email")
    if email is not None and (len(email) > MAX_EMAIL or not _EMAIL.match(email)):
        raise CustomerError(f"{email!r} is not an email address (like jane@example.com). Nothing was saved.",
                            field="email")  # fmt: skip
    phone = _optional(draft.phone, "phone")
    if phone is not None and (
        len(phone) > MAX_PHONE or not _PHONE.match(phone) or sum(c.isdigit() for c in phone) < 3
    ):
        raise CustomerError(f"{phone!r} is not a phone number: use digits, spaces and + - ( ). "
                            "Nothing was saved.", field="phone")  # fmt: skip
    code = _optional(draft.loyalty_code, "loyalty code")
    if code is not None and (len(code) > MAX_CODE or not _CODE.match(code)):
        raise CustomerError(f"{code!r} is not a loyalty code: letters, digits, '.', '-' and '_' only, "
                            f"at most {MAX_CODE}. Nothing was saved.", field="loyalty_code")  # fmt: skip
    return {"name": name, "email": email, "phone": phone, "loyalty_code": code}


def _validate(payload: dict[str, Any]) -> None:
    try:
        CUSTOMER_UPSERT.validate_python(payload)
    except ValidationError as exc:
        raise CustomerError(
            f"This customer cannot be sent to the shop ({exc.errors()[0]['msg']}). Nothing was saved."
        ) from None
