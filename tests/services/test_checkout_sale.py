"""CheckoutService.checkout: one durable transaction, or nothing at all."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine

from pos.domain.cart import Discount
from pos.domain.embedded import DEFAULT_LAYOUTS
from pos.domain.errors import CurrencyMismatchError, DomainError
from pos.domain.money import Money
from pos.domain.tender import Tender
from pos.services.checkout import CheckoutError, CheckoutService
from pos.store import outbox
from pos.store.database import driver_connection
from pos.store.till_file import till_engine
from sync.protocol import MUTATION_PAYLOADS
from tests.services import checkout_shop as shop
from tests.services.checkout_shop import eur
from tests.staffing import CASHIER, as_cashier

NOON = datetime(2026, 11, 25, 12, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture
def service(engine: Engine) -> CheckoutService:
    return CheckoutService(engine, DEFAULT_LAYOUTS, clock=lambda: NOON, who=as_cashier())


def _rows(engine: Engine, sql: str, *params: object) -> list[tuple]:
    with driver_connection(till_engine(engine)) as con:
        return con.execute(sql, params).fetchall()


def test_a_cash_sale_writes_sale_lines_payments_outbox_and_stock_in_one_go(
    engine: Engine, service: CheckoutService
) -> None:
    cart = service.new_cart()
    service.scan(cart, "4006381333931")  # 29.99 at 20 % inclusive
    service.scan(cart, "4006381333931")
    service.scan(cart, "SPN-1")  # 4.50 at 5 %
    sale = service.checkout(cart, [Tender("cash", eur(10000))])  # by the signed-in cashier

    assert sale.number == "T1-000001"
    assert (sale.totals.total, sale.settlement.change) == (eur(6448), eur(3552))
    assert sale.created_at == NOON and sale.location_id == shop.SHOP
    p = sale.payload
    MUTATION_PAYLOADS["sale.create"].validate_python(p)
    assert (p["subtotal"], p["discount"], p["tax"], p["total"], p["change"]) == (
        6448,
        0,
        1000 + 21,
        6448,
        3552,
    )
    assert p["created_at"] == "2026-11-25T12:00:00.123456Z" and p["staff_id"] == CASHIER.id
    priced = [(ln["variant_id"], ln["quantity"], ln["unit_price"], ln["tax_rate"], ln["tax"], ln["total"])
              for ln in p["lines"]]  # fmt: skip
    assert priced == [("p1v0", 2, 2999, "20", 1000, 5998), ("p2v0", 1, 450, "5", 21, 450)]
    assert [(pay["method"], pay["amount"], pay["tendered"]) for pay in p["payments"]] == [
        ("cash", 6448, 10000)
    ]

    assert _rows(engine, "SELECT id, number, location_id, staff_id, total, change FROM sale") == [
        (sale.sale_id, "T1-000001", shop.SHOP, CASHIER.id, 6448, 3552)
    ]
    assert _rows(engine, "SELECT position, variant_id, quantity, total FROM sale_line ORDER BY position") == [
        (0, "p1v0", 2, 5998), (1, "p2v0", 1, 450)
    ]  # fmt: skip
    assert _rows(engine, "SELECT method, amount, tendered FROM sale_payment") == [("cash", 6448, 10000)]
    stored = _rows(engine, "SELECT id, type, payload FROM outbox WHERE type != 'audit.entry'")
    assert [(i, t) for i, t, _ in stored] == [(sale.mutation_id, "sale.create")]
    assert orjson.loads(stored[0][2]) == p == orjson.loads(_rows(engine, "SELECT doc FROM sale")[0][0])
    assert sorted(_rows(engine, "SELECT mutation_id, variant_id, location_id, delta FROM pending_stock")) == [
        (sale.mutation_id, "p1v0", shop.SHOP, -2), (sale.mutation_id, "p2v0", shop.SHOP, -1)
    ]  # fmt: skip
    assert service.sale("t1-000001") == p


def test_receipt_numbers_count_up_and_the_mutation_id_is_not_the_sale_id(service: CheckoutService) -> None:
    numbers = []
    for _ in range(3):
        cart = service.new_cart()
        service.scan(cart, "SPN-1")
        sale = service.checkout(cart, [Tender("cash", eur(450))])
        numbers.append(sale.number)
        assert sale.mutation_id != sale.sale_id and sale.settlement.change == eur(0)
    assert numbers == ["T1-000001", "T1-000002", "T1-000003"]


def test_a_split_tender_with_card_reference_and_change_from_cash(service: CheckoutService) -> None:
    cart = service.new_cart()
    service.add_variant(cart, "p3v2", 1)  # 64.00
    sale = service.checkout(cart, [Tender("card", eur(4000), " AUTH-77 "), Tender("cash", eur(3000))])
    assert [(p["method"], p["amount"], p["tendered"], p["reference"]) for p in sale.payload["payments"]] == [
        ("card", 4000, 4000, "AUTH-77"), ("cash", 2400, 3000, None)
    ]  # fmt: skip
    assert sale.payload["change"] == 600


def test_discounts_and_tax_exclusive_prices_reach_the_payload(tmp_path: Path) -> None:
    engine = shop.open_shop(tmp_path / "excl.sqlite3", prices_include_tax=False)
    try:
        service = CheckoutService(engine, DEFAULT_LAYOUTS, who=as_cashier())
        cart = service.new_cart()
        knife = service.add_variant(cart, "p1v0", 1)  # 29.99 net at 20 %
        service.add_variant(cart, "p2v0", 2)  # 9.00 net at 5 %
        cart.set_line_discount(knife.line_id, Discount.percent("10"))  # 3.00 off
        cart.set_discount(Discount.amount(eur(500)))  # 5.00 over 26.99 and 9.00
        totals = cart.totals()
        sale = service.checkout(cart, [Tender("cash", totals.total)])
        p = sale.payload
        assert p["prices_include_tax"] is False
        assert [ln["discount"] for ln in p["lines"]] == [300 + 375, 125]  # 500 split 26.99 : 9.00
        assert p["discount"] == 800 and p["subtotal"] == 3899
        assert p["total"] == p["subtotal"] - p["discount"] + p["tax"] == sum(ln["total"] for ln in p["lines"])
        MUTATION_PAYLOADS["sale.create"].validate_python(p)
    finally:
        engine.dispose()


def _bad(service: CheckoutService, cart_codes: list[str], tenders: list[Tender]) -> None:
    cart = service.new_cart()
    for code in cart_codes:
        assert service.scan(cart, code).status == "added"
    before = cart.to_dict()
    try:
        service.checkout(cart, tenders)
    finally:
        assert cart.to_dict() == before


@pytest.mark.parametrize(
    ("codes", "tenders", "error", "words"),
    [
        ([], [Tender("cash", eur(100))], CheckoutError, "cart is empty"),
        (["SPN-1"], [], DomainError, "no payment given"),
        (["SPN-1"], [Tender("cash", eur(449))], DomainError, "0.01 EUR still to pay"),
        (["SPN-1"], [Tender("card", eur(500))], DomainError, "change is given only from cash"),
        (["SPN-1"], [Tender("cash", eur(450)), Tender("card", eur(1))], DomainError, "not needed"),
        (["SPN-1"], [Tender("cash", Money(450, "USD"))], CurrencyMismatchError, "USD"),
    ],
)
def test_bad_checkouts_write_nothing(
    engine: Engine, service: CheckoutService, codes, tenders, error, words
) -> None:
    before = shop.counts(engine)
    with pytest.raises(error, match=words):
        _bad(service, codes, tenders)
    assert shop.counts(engine) == before


@pytest.mark.parametrize("amount", [0, -100])
def test_zero_or_negative_tenders_are_refused_before_checkout(amount: int) -> None:
    with pytest.raises(DomainError, match="must be more than zero"):
        Tender("cash", eur(amount))


def test_a_till_without_a_code_sells_nothing(tmp_path: Path) -> None:
    engine = shop.open_shop(tmp_path / "r.sqlite3", till_code="")
    try:
        service = CheckoutService(engine, who=as_cashier())
        cart = service.new_cart()
        service.scan(cart, "SPN-1")
        before = shop.counts(engine)
        with pytest.raises(CheckoutError, match="no till code yet"):
            service.checkout(cart, [Tender("cash", eur(450))])
        assert shop.counts(engine) == before
    finally:
        engine.dispose()


def test_a_failure_inside_the_transaction_rolls_everything_back(
    engine: Engine, service: CheckoutService
) -> None:
    """A clash on the sale's unique number (a corrupted sequence) leaves no half-written sale."""
    cart = service.new_cart()
    service.scan(cart, "SPN-1")
    service.checkout(cart, [Tender("cash", eur(450))])
    with driver_connection(till_engine(engine)) as con:
        con.execute("UPDATE till SET next_sale = 1")
    before = shop.counts(engine)
    with pytest.raises(sqlite3.IntegrityError):
        service.checkout(cart, [Tender("cash", eur(450))])
    assert shop.counts(engine) == before


def test_the_sale_is_sold_at_the_chosen_location(engine: Engine, service: CheckoutService) -> None:
    service.set_location(shop.WAREHOUSE)
    cart = service.new_cart()
    service.scan(cart, "KNF-1")
    sale = service.checkout(cart, [Tender("card", eur(2999))])
    assert sale.payload["location_id"] == shop.WAREHOUSE
    with driver_connection(till_engine(engine)) as con:
        assert outbox.pending_delta(con, "p1v0", shop.WAREHOUSE) == -1
        assert outbox.pending_delta(con, "p1v0", shop.SHOP) == 0


def test_a_weighed_item_moves_stock_by_one(engine: Engine, service: CheckoutService) -> None:
    cart = service.new_cart()
    service.scan(cart, shop.WEIGHT_SCAN)
    sale = service.checkout(cart, [Tender("cash", eur(1000))])
    assert sale.payload["lines"][0]["title"] == "Comté 0.532 kg"
    assert _rows(engine, "SELECT variant_id, delta FROM pending_stock") == [("p7v0", -1)]


@pytest.mark.parametrize("where", ["line", "cart"])
def test_a_discount_grown_past_the_cashiers_limit_needs_a_manager_again(
    engine: Engine, service: CheckoutService, where: str
) -> None:
    # 10 % of one knife (3.00) is within a cashier's limit of 10.00; with 100 knives it is 299.90,
    # a discount the cashier could not have given. It must not slip through at the till.
    from datetime import UTC, datetime

    from pos.domain.cart import Cart, Discount
    from pos.domain.permissions import Approval, Permission, PermissionDenied
    from tests.staffing import MANAGER

    cart = service.new_cart()
    service.add_variant(cart, "p1v0", 1)
    line = cart.items[0].line_id
    if where == "line":
        service.set_line_discount(cart, line, Discount.percent(10))
        cart.set_quantity(line, 100)
    else:
        service.set_cart_discount(cart, Discount.percent(10))
        service.add_variant(cart, "p3v0", 60)  # 60 hoodies more
    cart = Cart.from_dict(cart.to_dict())  # as parked and resumed: what was allowed travels along
    before = shop.counts(engine)
    total = cart.totals().total
    with pytest.raises(PermissionDenied, match=r"has grown since it was given: .* 10\.00 EUR limit"):
        service.checkout(cart, [Tender("card", total)])
    assert shop.counts(engine) == before

    # A manager approves the discount as it is now: the sale goes through.
    permission = Permission.DISCOUNT_LINE if where == "line" else Permission.DISCOUNT_CART
    approval = Approval(MANAGER.id, MANAGER.name, permission, "bulk order", datetime.now(UTC))
    if where == "line":
        service.set_line_discount(cart, line, Discount.percent(10), approval=approval)
    else:
        service.set_cart_discount(cart, Discount.percent(10), approval=approval)
    assert service.checkout(cart, [Tender("card", total)]).number


def test_a_sale_reads_the_person_once_however_many_discounts_grew(engine: Engine) -> None:
    # Every grown discount is checked, but against the person as this sale read them: one read of
    # the staff row per checkout, not one more per discount.
    from pos.services.signed_in import SignedIn
    from tests.staffing import MANAGER

    reads: list[str] = []
    who = SignedIn(MANAGER, recheck=lambda staff_id: reads.append(staff_id) or MANAGER)
    service = CheckoutService(engine, DEFAULT_LAYOUTS, clock=lambda: NOON, who=who)
    cart = service.new_cart()
    service.add_variant(cart, "p1v0", 1)
    service.add_variant(cart, "p2v0", 1)
    for item in cart.items:
        service.set_line_discount(cart, item.line_id, Discount.percent(10))
        cart.set_quantity(item.line_id, 50)
    service.set_cart_discount(cart, Discount.percent(5))
    service.add_variant(cart, "p3v0", 10)
    reads.clear()
    assert service.checkout(cart, [Tender("card", cart.totals().total)]).number
    assert reads == [MANAGER.id]


def test_a_discount_within_the_limit_at_any_size_never_asks(service: CheckoutService) -> None:
    from pos.domain.cart import Discount

    cart = service.new_cart()
    service.add_variant(cart, "p2v0", 1)  # 4.50
    service.set_line_discount(cart, cart.items[0].line_id, Discount.percent(10))
    cart.set_quantity(cart.items[0].line_id, 20)  # 10 % of 90.00 = 9.00, still within 10.00
    assert service.checkout(cart, [Tender("cash", cart.totals().total)]).number


def test_a_long_product_title_with_a_long_option_still_sells(engine: Engine, service: CheckoutService):
    # Each within its own cap (500 and 2000 characters), together over the 2000 of a sale line's
    # title: the till's own check refused the sale at the counter.
    from pos.store.replica import SqliteReplica
    from tests.store.catalog_docs import change

    doc = shop._product(90, "P" * 500, [("O" * 2000, "LONG-1", None, 1000)])
    SqliteReplica(engine).apply_changes([change(50, "product", doc)], cursor=50)
    cart = service.new_cart()
    service.add_variant(cart, "p90v0", 1)
    sale = service.checkout(cart, [Tender("card", eur(1000))])
    [line] = sale.payload["lines"]
    assert len(line["title"]) == 2000 and line["title"].startswith("P" * 500 + " / O")
    assert line["title"].endswith("\u2026")


def test_a_long_title_weighed_on_the_scale_still_sells_with_its_weight(
    engine: Engine, service: CheckoutService
) -> None:
    # The weight goes after the title the line already cut to the cap: it went over it again.
    from pos.store.replica import SqliteReplica
    from tests.store.catalog_docs import change

    doc = shop._product(7, "C" * 500, [("O" * 2000, "00020", None, 1599)], tax=shop.REDUCED)
    doc["version"] = 9
    SqliteReplica(engine).apply_changes([change(50, "product", doc)], cursor=50)
    cart = service.new_cart()
    assert service.scan(cart, shop.WEIGHT_SCAN).status == "added"
    sale = service.checkout(cart, [Tender("cash", eur(1000))])
    [line] = sale.payload["lines"]
    assert len(line["title"]) == 2000 and line["title"].startswith("C" * 500 + " / O")
    assert line["title"].endswith("\u2026 0.532 kg")
