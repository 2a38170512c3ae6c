"""ParkedCarts: put a cart aside at the counter, list the carts waiting, resume or discard one. No Qt.

    parked = ParkedCarts(engine)
    cart_id = parked.park(cart, label="Lady in the red coat")
    for waiting in parked.list():  # newest first
        print(waiting.label, waiting.item_count, waiting.total)
    cart = parked.resume(cart_id)  # the same cart, lines, discounts and customer; the row is gone
    parked.discard(cart_id)  # a void of the sale: a cashier needs a manager's approval; audited

Each call is one transaction: a parked cart survives a restart or a crash, and a resumed one is
deleted in the transaction that reads it, so two screens can never both resume it.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine

from pos.domain.cart import Cart, item_count
from pos.domain.errors import DomainError
from pos.domain.ids import new_id
from pos.domain.money import Money
from pos.domain.permissions import Approval, Permission
from pos.domain.sale import format_timestamp
from pos.services.audit import record
from pos.services.signed_in import SignedIn
from pos.store import parked as store
from pos.store.database import read_transaction, write_transaction
from pos.store.till_file import till_engine

log = logging.getLogger(__name__)

MAX_LABEL = 100


class ParkedCartError(DomainError):
    """A cart that cannot be parked, or a parked cart that is gone; nothing was changed."""


@dataclass(frozen=True)
class ParkedCart:
    id: str
    parked_at: str  # ISO UTC
    label: str  # as given, else the first item and how many more
    customer_id: str | None
    customer_name: str | None
    item_count: int
    total: Money


class ParkedCarts:
    def __init__(
        self, engine: Engine, clock: Callable[[], datetime] | None = None, *, who: SignedIn
    ) -> None:
        self._engine = engine
        self._who = who
        self._clock = clock or (lambda: datetime.now(UTC))

    def park(self, cart: Cart, label: str | None = None) -> str:
        """Keep `cart` aside; returns its id. The caller starts a new cart (this one is not cleared)."""
        self._who.require(Permission.PARK_CART)
        if cart.is_empty:
            raise ParkedCartError("The cart is empty: there is nothing to park.")
        cleaned = _label(label) or _default_label(cart)
        total = cart.totals().total  # prices the cart: a cart that cannot be priced is refused here
        cart_id = new_id()
        with self._write() as con:
            store.insert(
                con, cart_id=cart_id, parked_at=format_timestamp(self._clock()), label=cleaned,
                customer_id=cart.customer_id, item_count=item_count(cart.items), total=total.minor,
                doc=cart.to_dict(),
            )  # fmt: skip
        log.info("cart %s parked: %d items, %s", cart_id, item_count(cart.items), total)
        return cart_id

    def list(self) -> list[ParkedCart]:
        """The parked carts, newest first."""
        with read_transaction(self._engine) as con:
            rows = store.listed(con)
        return [_parked(row) for row in rows]

    def resume(self, cart_id: str) -> Cart:
        """The parked cart, as it was parked; its row is deleted in the same transaction."""
        self._who.require(Permission.RESUME_CART)
        with self._write() as con:
            doc = store.take(con, cart_id)
            if doc is None:
                raise ParkedCartError("That parked cart is gone: it was resumed or discarded already.")
            # A document that no longer makes a cart rolls the delete back: the cart stays parked.
            cart = Cart.from_dict(doc)
        log.info("parked cart %s resumed", cart_id)
        return cart

    def discard(self, cart_id: str, approval: Approval | None = None) -> None:
        """Throw a parked cart away: voiding a sale, with the same permission (a cashier needs a
        manager's `approval`, PermissionDenied until then) and the same audit entry."""
        actor, used = self._who.require(Permission.VOID_SALE, None, approval)
        with self._write() as con:
            gone = store.delete(con, cart_id)
            if gone is None:
                raise ParkedCartError("That parked cart is gone: it was resumed or discarded already.")
            before = {"items": gone[0], "total": gone[1], "parked": cart_id}
            record(con, actor=actor, action=Permission.VOID_SALE, at=self._clock(), subject="parked cart",
                   before=before, after=None, reason=used.reason if used else None,
                   approval=used)  # fmt: skip
        log.info("parked cart %s discarded by %s", cart_id, actor.name)

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        return write_transaction(till_engine(self._engine))




def _label(label: str | None) -> str | None:
    if label is None:
        return None
    if not isinstance(label, str):
        raise ParkedCartError("The label of a parked cart must be text.", field="label")
    cleaned = " ".join(label.split())
    if len(cleaned) > MAX_LABEL:
        raise ParkedCartError(f"The label is too long: at most {MAX_LABEL} characters.", field="label")
    return cleaned or None


def _default_label(cart: Cart) -> str:
    first = cart.items[0].title
    more = len(cart.items) - 1
    return f"{first} + {more} more" if more else first


def _parked(row: store.ParkedRow) -> ParkedCart:
    return ParkedCart(
        id=row.id, parked_at=row.parked_at, label=row.label or f"{row.item_count} items",
        customer_id=row.customer_id, customer_name=row.customer_name, item_count=row.item_count,
        total=Money(row.total, row.currency),
    )  # fmt: skip
