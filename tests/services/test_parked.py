"""ParkedCarts over a real replica file: park, list, resume, discard; parked carts outlive the app."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from pos.domain.cart import Discount
from pos.domain.embedded import DEFAULT_LAYOUTS
from pos.domain.errors import DomainError
from pos.domain.money import Money
from pos.domain.tender import Tender
from pos.services.checkout import CheckoutService
from pos.services.parked import ParkedCartError, ParkedCarts
from pos.store.database import driver_connection, open_replica
from pos.store.till_file import till_engine
from tests.services import checkout_shop as shop
from tests.staffing import as_cashier, as_manager

KNIFE, SPOON, HAM_12_34 = "4006381333931", "4006381333948", shop.PRICE_SCAN


def eur(minor: int) -> Money:
    return Money(minor, "EUR")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def path(tmp_path: Path) -> Path:
    path = tmp_path / "replica.sqlite3"
    shop.open_shop(path).dispose()
    return path


@pytest.fixture
def engine(path: Path) -> Iterator[Engine]:
    engine = open_replica(path)
    yield engine
    engine.dispose()


@pytest.fixture
def checkout(engine: Engine) -> CheckoutService:
    return CheckoutService(engine, DEFAULT_LAYOUTS, who=as_cashier())


def a_cart(checkout: CheckoutService, *codes: str):
    cart = checkout.new_cart()
    for code in codes:
        assert checkout.scan(cart, code).added
    return cart


def parked_rows(engine: Engine) -> int:
    with driver_connection(till_engine(engine)) as con:
        return con.execute("SELECT count(*) FROM parked_cart").fetchone()[0]


def test_a_parked_cart_comes_back_exactly_and_survives_a_restart(path, engine, checkout) -> None:
    cart = a_cart(checkout, KNIFE, KNIFE, SPOON, HAM_12_34)
    cart.customer_id = "c-42"
    cart.set_line_discount(cart.items[1].line_id, Discount.percent("10"))
    cart.set_discount(Discount.amount(eur(500)))
    expected_total = cart.totals().total
    cart_id = ParkedCarts(engine, who=as_cashier()).park(cart, label="  red   coat ")
    engine.dispose()  # the app closes; a new process opens the replica

    reopened = open_replica(path)
    try:
        parked = ParkedCarts(reopened, who=as_cashier())
        (listed,) = parked.list()
        assert (listed.id, listed.label, listed.item_count, listed.total) == (
            cart_id,
            "red coat",
            4,
            expected_total,
        )
        resumed = parked.resume(cart_id)
        assert resumed.to_dict() == cart.to_dict()
        assert resumed.totals().total == expected_total
        assert parked.list() == []
        # The resumed cart sells like any other.
        sale = CheckoutService(reopened, DEFAULT_LAYOUTS, who=as_cashier()).checkout(
            resumed, [Tender("cash", expected_total)]
        )
        assert sale.totals.total == expected_total
    finally:
        reopened.dispose()


def test_the_list_is_newest_first_with_a_label_items_and_total(engine, checkout) -> None:
    parked = ParkedCarts(engine, clock=Clock(), who=as_cashier())
    first = parked.park(a_cart(checkout, KNIFE))
    second = parked.park(a_cart(checkout, SPOON, SPOON, KNIFE))
    listed = parked.list()
    assert [p.id for p in listed] == [second, first]
    assert [(p.label, p.item_count, p.total) for p in listed] == [
        ("Olive Spoon + 1 more", 3, eur(450 * 2 + 2999)),
        ("Kitchen Knife", 1, eur(2999)),
    ]
    assert listed[0].parked_at == "2026-11-25T09:02:00.000000Z"


def test_a_cart_can_be_resumed_only_once(engine, checkout) -> None:
    parked = ParkedCarts(engine, who=as_cashier())
    cart_id = parked.park(a_cart(checkout, KNIFE))
    parked.resume(cart_id)
    with pytest.raises(ParkedCartError, match="resumed or discarded already"):
        parked.resume(cart_id)
    with pytest.raises(ParkedCartError, match="resumed or discarded already"):
        ParkedCarts(engine, who=as_manager()).discard(cart_id)


def test_discard_is_a_void_a_cashier_needs_a_manager_for_and_it_is_audited(engine, checkout) -> None:
    # Parking a cart and discarding it must not be a way round Ctrl+Del's manager approval.
    from pos.domain.permissions import Approval, Permission, PermissionDenied
    from pos.services.audit import AuditLog
    from tests.staffing import CASHIER, MANAGER

    parked = ParkedCarts(engine, who=as_cashier())
    keep = parked.park(a_cart(checkout, KNIFE))
    drop = parked.park(a_cart(checkout, SPOON))
    with pytest.raises(PermissionDenied) as refused:
        parked.discard(drop)
    assert refused.value.decision.needs_approval
    assert {p.id for p in parked.list()} == {keep, drop}
    approval = Approval(MANAGER.id, MANAGER.name, Permission.VOID_SALE, "customer left", datetime.now(UTC))
    parked.discard(drop, approval=approval)
    assert [p.id for p in parked.list()] == [keep]
    [entry] = AuditLog(engine).entries(MANAGER, action="void.sale")
    assert (entry.staff_id, entry.approved_by, entry.before) == (
        CASHIER.id, MANAGER.id, {"items": 1, "total": 450, "parked": drop}
    )


def test_a_voided_cart_and_a_discarded_parked_cart_say_their_size_alike(engine) -> None:
    # Both are "void.sale" in the manager's audit log: the same cart must read the same there,
    # items (pieces) and total, whichever way it was thrown away.
    from pos.services.audit import AuditLog
    from tests.staffing import MANAGER

    manager = CheckoutService(engine, DEFAULT_LAYOUTS, who=as_manager())
    cart = a_cart(manager, KNIFE, KNIFE, SPOON)
    ParkedCarts(engine, who=as_manager()).discard(ParkedCarts(engine, who=as_manager()).park(cart))
    manager.void_cart(cart)
    voided, discarded = AuditLog(engine).entries(MANAGER, action="void.sale")  # newest first
    size = {"items": 3, "total": 2 * 2999 + 450}
    assert voided.before == {**size, "lines": 2}
    assert discarded.before == {**size, "parked": discarded.before["parked"]}


def test_an_empty_cart_or_a_silly_label_is_refused_and_nothing_is_kept(engine, checkout) -> None:
    parked = ParkedCarts(engine, who=as_cashier())
    with pytest.raises(DomainError, match="empty"):
        parked.park(checkout.new_cart())
    with pytest.raises(DomainError, match="too long"):
        parked.park(a_cart(checkout, KNIFE), label="x" * 101)
    assert parked_rows(engine) == 0


def test_a_broken_parked_cart_stays_parked_when_it_cannot_be_resumed(engine, checkout) -> None:
    parked = ParkedCarts(engine, who=as_cashier())
    cart_id = parked.park(a_cart(checkout, KNIFE))
    with driver_connection(till_engine(engine)) as con:
        con.execute(
            "UPDATE parked_cart SET doc = json_set(doc, '$.currency', 'XXXX') WHERE id = ?", (cart_id,)
        )
    with pytest.raises(DomainError):
        parked.resume(cart_id)
    assert parked_rows(engine) == 1


def test_a_parked_cart_that_no_longer_reads_can_still_be_discarded(engine, checkout) -> None:
    # Resume refuses a document that no longer makes a cart; discard is the way out of the list.
    parked = ParkedCarts(engine, who=as_manager())
    cart_id = parked.park(a_cart(checkout, KNIFE))
    with driver_connection(till_engine(engine)) as con:
        broken = "UPDATE parked_cart SET doc = json_set(doc, '$.currency', 'NOPE') WHERE id = ?"
        con.execute(broken, (cart_id,))
    with pytest.raises(DomainError):
        parked.resume(cart_id)
    parked.discard(cart_id)
    assert parked.list() == []
