"""CustomerService over a real replica file: search, loyalty cards, offline create and edit, order history."""

from __future__ import annotations

import copy
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine

from pos.domain.embedded import DEFAULT_LAYOUTS
from pos.domain.errors import DomainError
from pos.domain.ids import uuid7_time_ms
from pos.domain.money import Money
from pos.domain.tender import Tender
from pos.services.checkout import CheckoutService
from pos.services.customers import CustomerDraft, CustomerError, CustomerService
from pos.store.database import driver_connection
from pos.store.replica import SqliteReplica
from sync.protocol import MUTATION_PAYLOADS
from tests.services import checkout_shop as shop
from tests.staffing import as_cashier
from tests.store.catalog_docs import change


def person(
    number: int,
    name: str,
    email: str | None = None,
    phone: str | None = None,
    code: str | None = None,
    version: int = 1,
) -> dict:
    return {"id": f"c{number}", "version": version, "name": name, "email": email, "phone": phone,
            "loyalty_code": code, "updated_at": "2026-11-01T09:00:00Z"}  # fmt: skip


PEOPLE = [
    person(1, "Jane Smith", "jane@example.com", "+44 151 234 5678", "LC-0001"),
    person(2, "John Smithers", "jsm@example.org", "0151-999 000", "LC-0002"),
    person(3, "Anna Schmidt", "anna@beispiel.de", None, None),
    person(4, "smith", None, "(0161) 123 4567", "lc-0100"),
    person(5, "Zoë Adams", "ZOE@EXAMPLE.COM", None, "Z9"),
]


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = shop.open_shop(tmp_path / "replica.sqlite3")
    SqliteReplica(engine).apply_changes(
        [change(11 + i, "customer", copy.deepcopy(doc)) for i, doc in enumerate(PEOPLE)], cursor=20
    )
    yield engine
    engine.dispose()


@pytest.fixture
def customers(engine: Engine) -> CustomerService:
    return CustomerService(engine, who=as_cashier())


def names(found) -> list[str]:
    return [c.name for c in found]


def mutations(engine: Engine) -> list[tuple[dict, int | None]]:
    with driver_connection(engine) as con:
        rows = con.execute(
            "SELECT payload, base_version FROM outbox WHERE type = 'customer.upsert' ORDER BY position"
        ).fetchall()
    return [(orjson.loads(payload), base) for payload, base in rows]


def snapshot(engine: Engine) -> tuple:
    with driver_connection(engine) as con:
        return (
            con.execute("SELECT * FROM customer ORDER BY id").fetchall(),
            con.execute("SELECT count(*) FROM outbox").fetchone(),
        )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("smith", ["smith", "Jane Smith", "John Smithers"]),  # name first, then surname
        ("SMITHE", ["John Smithers"]),
        ("jane s", ["Jane Smith"]),
        ("JANE@", ["Jane Smith"]),
        ("zoe@example", ["Zoë Adams"]),
        ("+44 151 234", ["Jane Smith"]),  # phone typed with spaces
        ("0151999", ["John Smithers"]),  # phone typed without its dash
        ("0161-123", ["smith"]),
        ("+44151", ["Jane Smith"]),
        ("lc-00", ["Jane Smith", "John Smithers"]),
        ("LC-0100", ["smith"]),  # an exact loyalty code
        ("sch", ["Anna Schmidt"]),
        ("nobody", []),
        ("%", []),  # not a wildcard
        ("_", []),
        ("'; DROP TABLE customer; --", []),
    ],
)
def test_search_by_name_surname_email_phone_or_code_ignoring_case(customers, text, expected) -> None:
    assert names(customers.search(text)) == expected


def test_an_exact_loyalty_code_comes_first_and_empty_search_lists_by_name(customers) -> None:
    assert names(customers.search("z9")) == ["Zoë Adams"]
    everyone = ["Anna Schmidt", "Jane Smith", "John Smithers", "smith", "Zoë Adams"]
    assert names(customers.search("")) == everyone
    assert names(customers.search("   ", limit=2)) == ["Anna Schmidt", "Jane Smith"]


def test_search_uses_an_index_for_every_kind_of_prefix(engine) -> None:
    from pos.store import customers as store

    with driver_connection(engine) as con:
        plan = " ".join(
            row[-1]
            for row in con.execute(
                "EXPLAIN QUERY PLAN " + store._SEARCH,
                ("x", 50, "x", "x", 50, "x", "x", 50, "x", "x", 50, "1", "1", 50, "x", "x", 50, 50),
            )
        )
    assert "SCAN customer" not in plan
    for index in (
        "ix_customer_loyalty_nocase",
        "ix_customer_name_nocase",
        "ix_customer_surname_nocase",
        "ix_customer_email_nocase",
        "ix_customer_phone_digits",
    ):
        assert index in plan


def test_a_scanned_loyalty_card_finds_its_customer(customers) -> None:
    assert customers.by_code(" lc-0001\r\n").name == "Jane Smith"
    assert customers.by_code("LC-9999") is None
    assert customers.by_code("") is None


def test_a_customer_made_offline_is_in_the_replica_and_the_outbox_at_once(engine, customers) -> None:
    jane = customers.save(CustomerDraft(name="  Mary Poppins ", email="mary@example.com", phone="",
                                        loyalty_code="LC-7"))  # fmt: skip
    assert uuid7_time_ms(__import__("uuid").UUID(jane.id)) > 0  # a till-made UUIDv7
    assert (jane.name, jane.email, jane.phone, jane.loyalty_code, jane.version) == (
        "Mary Poppins",
        "mary@example.com",
        None,
        "LC-7",
        0,
    )
    assert names(customers.search("popp")) == ["Mary Poppins"]
    assert customers.get(jane.id).waiting
    ((payload, base),) = mutations(engine)
    MUTATION_PAYLOADS["customer.upsert"].validate_python(payload)
    assert payload == {"id": jane.id, "name": "Mary Poppins", "email": "mary@example.com", "phone": None,
                       "loyalty_code": "LC-7"}  # fmt: skip
    assert base is None


def test_edits_carry_the_version_they_build_on(engine, customers) -> None:
    jane = customers.get("c1")
    first = customers.save(CustomerDraft.of(jane, phone="0151 000 1111"))
    second = customers.save(CustomerDraft.of(first, email="jane.smith@example.com"))
    assert [(p["phone"], p["email"], base) for p, base in mutations(engine)] == [
        ("0151 000 1111", "jane@example.com", 1),
        ("0151 000 1111", "jane.smith@example.com", 2),  # builds on the first edit, not a conflict
    ]
    assert customers.get("c1").email == "jane.smith@example.com" and second.version == 3
    # The shop's copy of the first edit (version 2) does not undo the second one here.
    shop_copy = {**PEOPLE[0], "version": 2, "phone": "0151 000 1111"}
    SqliteReplica(engine).apply_changes([change(30, "customer", shop_copy)], cursor=30)
    assert customers.get("c1").email == "jane.smith@example.com"


def test_a_new_customer_edited_before_it_reached_the_shop_goes_without_a_version(engine, customers) -> None:
    made = customers.save(CustomerDraft(name="Bob Lee"))
    customers.save(CustomerDraft.of(made, name="Bob Leigh"))
    assert [(p["name"], base) for p, base in mutations(engine)] == [("Bob Lee", None), ("Bob Leigh", None)]
    # The shop's document (version 1) replaces the till's own.
    SqliteReplica(engine).apply_changes(
        [change(31, "customer", {**person(0, "Bob Leigh"), "id": made.id})], cursor=31
    )
    assert customers.get(made.id).version == 1


@pytest.mark.parametrize(
    ("draft", "message"),
    [
        (CustomerDraft(name=""), "needs a name"),
        (CustomerDraft(name="   "), "needs a name"),
        (CustomerDraft(name="x" * 201), "name is too long"),
        (CustomerDraft(name="Al", email="al.example.com"), "not an email address"),
        (CustomerDraft(name="Al", email="al@example"), "not an email address"),
        (CustomerDraft(name="Al", email="al @example.com"), "not an email address"),
        (CustomerDraft(name="Al", phone="call me"), "not a phone number"),
        (CustomerDraft(name="Al", phone="12"), "not a phone number"),
        (CustomerDraft(name="Al", loyalty_code="LC 1"), "not a loyalty code"),
        (CustomerDraft(name="Al", loyalty_code="lc-0001"), "already belongs to Jane Smith"),
        (CustomerDraft(name="Al", id="no-such-customer"), "no longer in the shop"),
    ],
)
def test_bad_customers_say_why_and_write_nothing(engine, customers, draft, message) -> None:
    before = snapshot(engine)
    with pytest.raises(DomainError, match=message):
        customers.save(draft)
    assert snapshot(engine) == before


def test_a_customer_keeps_their_own_loyalty_code_on_edit(customers) -> None:
    jane = customers.get("c1")
    assert customers.save(CustomerDraft.of(jane, loyalty_code="lc-0001")).loyalty_code == "lc-0001"


def test_orders_from_every_channel_newest_first(engine, customers) -> None:
    web = {
        "id": "o-web", "version": 1, "number": "W-000001", "source": "web", "status": "fulfilled",
        "customer_id": "c1", "currency": "EUR", "subtotal": 2499, "tax": 500, "total": 2999,
        "lines": [{"id": "wl", "variant_id": "p1v0", "sku": "KNF-1", "title": "Kitchen Knife", "quantity": 1,
                   "unit_price": 2999, "discount": 0, "tax_rate": "20", "tax": 500, "total": 2999}],
        "payments": [], "fulfilments": [], "created_at": "2026-10-01T10:00:00Z",
        "updated_at": "2026-10-02T10:00:00Z",
    }  # fmt: skip
    SqliteReplica(engine).apply_changes([change(40, "order", web)], cursor=40)
    checkout = CheckoutService(engine, DEFAULT_LAYOUTS, who=as_cashier())
    cart = checkout.new_cart()
    checkout.scan(cart, "4006381333948")
    checkout.scan(cart, "4006381333948")
    cart.customer_id = "c1"
    sale = checkout.checkout(cart, [Tender("cash", Money(900, "EUR"))])
    other = checkout.new_cart()
    checkout.scan(other, "4006381333948")
    checkout.checkout(other, [Tender("cash", Money(450, "EUR"))])  # no customer

    history = customers.orders("c1")
    assert [(o.number, o.source, o.item_count, o.total.minor, o.synced) for o in history] == [
        (sale.number, "pos", 2, 900, False),
        ("W-000001", "web", 1, 2999, True),
    ]
    # Once the shop sends the sale back as an order it is listed once, as synced.
    pulled = {**web, "id": sale.sale_id, "number": sale.number, "source": "pos", "status": "paid",
              "total": 900, "created_at": sale.payload["created_at"],
              "lines": [{**web["lines"][0], "quantity": 2}]}  # fmt: skip
    SqliteReplica(engine).apply_changes([change(41, "order", pulled)], cursor=41)
    assert [(o.number, o.synced) for o in customers.orders("c1")] == [(sale.number, True), ("W-000001", True)]
    assert customers.orders("c2") == []


def test_a_save_while_a_catalog_load_holds_the_replica_says_so_and_writes_nothing(
    engine, customers, monkeypatch
) -> None:
    from pos.store import database

    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 100)  # the till waits 10 s; the test need not
    before = snapshot(engine)
    load = sqlite3.connect(str(engine.url.database), isolation_level=None)
    try:
        load.execute("BEGIN IMMEDIATE")  # what a re-snapshot's final merge holds, for tens of seconds at 1M
        with pytest.raises(CustomerError, match="busy loading the shop's catalog, so nothing was saved"):
            customers.save(CustomerDraft(name="Kim Lee", email="kim@example.com"))
        load.execute("ROLLBACK")
    finally:
        load.close()
    assert snapshot(engine) == before
    assert customers.save(CustomerDraft(name="Kim Lee", email="kim@example.com")).name == "Kim Lee"
