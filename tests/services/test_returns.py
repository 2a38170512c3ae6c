"""ReturnsService over a real replica file: finding sales by receipt number, returns and refunds."""

from __future__ import annotations

import copy

import orjson
import pytest
from sqlalchemy import Engine

from pos.domain.embedded import DEFAULT_LAYOUTS
from pos.domain.errors import DomainError
from pos.domain.returns import Refund
from pos.domain.tender import Tender
from pos.services.checkout import CheckoutService, CompletedSale
from pos.services.returns import ReturnError, ReturnsService, number_candidates
from pos.store.database import driver_connection
from pos.store.outbox import shown_stock
from pos.store.replica import SqliteReplica
from pos.store.till_file import till_engine
from sync.protocol import MUTATION_PAYLOADS
from tests.services import checkout_shop as shop
from tests.services.checkout_shop import eur
from tests.staffing import as_cashier
from tests.store.catalog_docs import change


@pytest.fixture
def checkout(engine: Engine) -> CheckoutService:
    return CheckoutService(engine, DEFAULT_LAYOUTS, who=as_cashier())


@pytest.fixture
def returns(engine: Engine) -> ReturnsService:
    return ReturnsService(engine, who=as_cashier())


def sell(checkout: CheckoutService, scans: list[str], tenders: list[tuple[str, int]]) -> CompletedSale:
    cart = checkout.new_cart()
    for code in scans:
        assert checkout.scan(cart, code).added
    return checkout.checkout(cart, [Tender(method, eur(minor)) for method, minor in tenders])


def written(engine: Engine) -> dict[str, object]:
    """Everything a return writes: a refused one must leave all of it as it was."""
    with driver_connection(till_engine(engine)) as con:
        found: dict[str, object] = {
            table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("sale_return", "sale_return_line", "outbox", "pending_stock")
        }
        found["next_return"] = con.execute("SELECT next_return FROM till").fetchone()[0]
    return found


def outbox_rows(engine: Engine, type_: str) -> list[tuple[str, dict]]:
    with driver_connection(till_engine(engine)) as con:
        rows = con.execute("SELECT id, payload FROM outbox WHERE type = ? ORDER BY position", (type_,))
        return [(mid, orjson.loads(payload)) for mid, payload in rows]


def stock(engine: Engine, variant_id: str) -> int:
    with driver_connection(till_engine(engine)) as con:
        return shown_stock(con, variant_id, shop.SHOP)


KNIFE, SPOON = "4006381333931", "4006381333948"  # 29.99 at 20 %, 4.50 at 5 %


def test_receipt_numbers_are_cleaned_and_padded_as_typed_or_scanned() -> None:
    assert number_candidates(" t1-000042\r\n") == ["T1-000042"]
    assert number_candidates("t1 - 42") == ["T1-42", "T1-000042"]
    assert number_candidates("t1-r3") == ["T1-R3", "T1-R000003"]
    assert number_candidates("hello world") == []
    assert number_candidates("") == []


def test_a_sale_is_found_by_its_number_however_it_was_typed(checkout, returns) -> None:
    sale = sell(checkout, [KNIFE, KNIFE, KNIFE, SPOON], [("cash", 10_000)])
    assert sale.number == "T1-000001"
    for typed in ("T1-000001", " t1-000001\n", "t1-1", "T1 - 000001"):
        found = returns.find_sale(typed)
        assert found is not None and found.order_id == sale.sale_id, typed
    found = returns.find_sale("T1-000001")
    assert found.source == "till" and found.total == eur(9447)
    assert [(ln.title, ln.sold, ln.returned, ln.returnable) for ln in found.lines] == [
        ("Kitchen Knife", 3, 0, 3),
        ("Olive Spoon", 1, 0, 1),
    ]
    assert [(p.method, p.amount) for p in found.payments] == [("cash", eur(9447))]


def test_partial_return_refunds_its_share_and_restocks_in_one_transaction(engine, checkout, returns) -> None:
    sale = sell(checkout, [KNIFE, KNIFE, KNIFE], [("cash", 10_000)])
    knife_before = stock(engine, "p1v0")
    found = returns.find_sale(sale.number)
    knife = found.lines[0]
    done = returns.create_return(found, {knife.line_id: 1}, refund_to="cash", restock=True, reason=" broken ")

    assert done.number == "T1-R000001" and done.sale_number == "T1-000001"
    assert done.total == eur(2999)
    assert done.refunds == (Refund("cash", eur(2999)),)
    assert stock(engine, "p1v0") == knife_before + 1  # shown stock: the knife is back on the shelf
    ((mutation_id, payload),) = outbox_rows(engine, "return.create")
    assert mutation_id == done.mutation_id and mutation_id not in (done.return_id, sale.sale_id)
    MUTATION_PAYLOADS["return.create"].validate_python(payload)
    assert payload["order_id"] == sale.sale_id and payload["location_id"] == shop.SHOP
    assert payload["reason"] == "broken" and payload["total"] == 2999
    keys = ("line_id", "quantity", "amount", "tax", "restock")
    lines = [tuple(ln[key] for key in keys) for ln in payload["lines"]]
    assert lines == [(knife.line_id, 1, 2999, 500, True)]  # 29.99 incl. 20 %: 5.00 tax (4.998 half up)
    again = returns.find_sale(sale.number)
    assert (again.lines[0].returned, again.lines[0].returnable) == (1, 2)
    assert again.earlier_returns == ("T1-R000001",)


def test_returning_everything_piece_by_piece_refunds_the_sale_to_the_cent(engine, checkout, returns) -> None:
    # 3 knives with a 10 % cart discount: 80.97 over 3 units does not divide evenly.
    cart = checkout.new_cart()
    for _ in range(3):
        checkout.scan(cart, KNIFE)
    checkout.scan(cart, SPOON)
    from pos.domain.cart import Discount

    cart.set_discount(Discount.percent("10"))
    sale = checkout.checkout(cart, [Tender("cash", eur(10_000))])
    knife, spoon = returns.find_sale(sale.number).lines
    refunded, taxes = eur(0), eur(0)
    for quantities in ({knife.line_id: 1}, {knife.line_id: 1, spoon.line_id: 1}, {knife.line_id: 1}):
        done = returns.create_return(
            returns.find_sale(sale.number), quantities, refund_to="original", restock=False
        )
        refunded = refunded + done.total
        taxes = taxes + sum((r.tax for r in done.lines), eur(0))
    assert refunded == sale.totals.total
    assert taxes == sale.totals.tax
    assert returns.find_sale(sale.number).fully_returned
    before = written(engine)
    with pytest.raises(DomainError, match="all 3 sold have been returned already"):
        returns.create_return(returns.find_sale(sale.number), {knife.line_id: 1})
    assert written(engine) == before


def test_refund_to_the_original_tender_puts_the_card_part_back_on_the_card(checkout, returns) -> None:
    # 29.99 + 4.50 = 34.49: 10.00 in cash, 24.49 by card.
    sale = sell(checkout, [KNIFE, SPOON], [("cash", 1000), ("card", 2449)])
    found = returns.find_sale(sale.number)
    knife, spoon = found.lines
    first = returns.create_return(found, {knife.line_id: 1}, refund_to="original", restock=True)
    assert first.refunds == (Refund("card", eur(2449)), Refund("cash", eur(550)))
    # The card has had everything back that it paid: the rest goes back in cash.
    second = returns.create_return(returns.find_sale(sale.number), {spoon.line_id: 1}, refund_to="original")
    assert second.refunds == (Refund("cash", eur(450)),)


def test_no_restock_leaves_stock_alone(engine, checkout, returns) -> None:
    sale = sell(checkout, [KNIFE], [("card", 2999)])
    before = stock(engine, "p1v0")
    found = returns.find_sale(sale.number)
    done = returns.create_return(found, {found.lines[0].line_id: 1}, refund_to="original", restock=False)
    assert done.refunds == (Refund("card", eur(2999)),)
    assert stock(engine, "p1v0") == before
    ((_, payload),) = outbox_rows(engine, "return.create")
    assert payload["lines"][0]["restock"] is False


@pytest.mark.parametrize(
    ("quantities", "kwargs", "message"),
    [
        ({}, {}, "Choose at least one item"),
        ({"knife": 0}, {}, "at least 1, not 0"),
        ({"knife": -1}, {}, "at least 1, not -1"),
        ({"knife": 3}, {}, "only 2 were sold"),
        ({"knife": "1"}, {}, "whole number"),
        ({"knife": 1.0}, {}, "whole number"),
        ({"no-such-line": 1}, {}, "not part of this sale"),
        ({"knife": 1}, {"refund_to": "voucher"}, "original payment or cash"),
        ({"knife": 1}, {"reason": "x" * 2001}, "reason is too long"),
    ],
)
def test_bad_returns_say_why_and_write_nothing(engine, checkout, returns, quantities, kwargs, message):
    sale = sell(checkout, [KNIFE, KNIFE], [("cash", 6000)])
    found = returns.find_sale(sale.number)
    knife = found.lines[0].line_id
    chosen = {(knife if key == "knife" else key): value for key, value in quantities.items()}
    before = written(engine)
    with pytest.raises(DomainError, match=message):
        returns.create_return(found, chosen, **kwargs)
    assert written(engine) == before


def test_unknown_or_malformed_receipt_numbers_get_a_clear_answer(checkout, returns) -> None:
    sell(checkout, [KNIFE], [("cash", 3000)])
    assert returns.find_sale("T1-000099") is None
    with pytest.raises(ReturnError, match="No sale has receipt number T1-000099"):
        returns.find_sale_or_explain("t1-99")
    for typed in ("", "   ", "hello", "T1_000001", "'; DROP TABLE sale; --"):
        with pytest.raises(ReturnError, match="is not a receipt number"):
            returns.find_sale(typed)


def test_a_return_receipt_is_not_a_sale(checkout, returns) -> None:
    sale = sell(checkout, [KNIFE], [("cash", 3000)])
    found = returns.find_sale(sale.number)
    done = returns.create_return(found, {found.lines[0].line_id: 1})
    with pytest.raises(ReturnError, match="number of a return"):
        returns.find_sale(done.number)


def test_a_till_that_never_heard_its_code_cannot_take_returns(engine, checkout, returns) -> None:
    sale = sell(checkout, [KNIFE], [("cash", 3000)])
    found = returns.find_sale(sale.number)
    with driver_connection(till_engine(engine)) as con:
        con.execute("DELETE FROM till")
    with pytest.raises(ReturnError, match="no till code yet"):
        returns.create_return(found, {found.lines[0].line_id: 1})
    with driver_connection(till_engine(engine)) as con:
        assert con.execute("SELECT count(*) FROM sale_return").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM outbox WHERE type = 'return.create'").fetchone() == (0,)


# --- sales of other tills and web orders, as synced orders ------------------------------------


def order_doc(number: str = "T2-000007", *, status: str = "paid", returns: list | None = None) -> dict:
    """A pos order of another till as the shop serves it (OrderDoc), 2 hoodies and a spoon."""
    doc = {
        "id": "o-other-till", "version": 1, "number": number, "source": "pos", "status": status,
        "customer_id": None, "currency": "EUR", "subtotal": 12250, "tax": 2005, "total": 12250,
        "lines": [
            {"id": "ol1", "variant_id": "p3v0", "sku": "HOOD-S", "title": "Merino Hoodie / S", "quantity": 2,
             "unit_price": 5900, "discount": 0, "tax_rate": "20", "tax": 1967, "total": 11800},
            {"id": "ol2", "variant_id": "p2v0", "sku": "SPN-1", "title": "Olive Spoon", "quantity": 1,
             "unit_price": 450, "discount": 0, "tax_rate": "5", "tax": 21, "total": 450},
        ],
        "payments": [{"id": "op1", "method": "card", "amount": 12250, "reference": "A1"}],
        "fulfilments": [], "created_at": "2026-11-20T10:00:00Z", "updated_at": "2026-11-20T10:00:00Z",
        "location_id": shop.SHOP,
    }  # fmt: skip
    if returns is not None:
        doc["returns"] = returns
    return doc


def pull(engine: Engine, doc: dict, seq: int = 11) -> None:
    SqliteReplica(engine).apply_changes([change(seq, "order", copy.deepcopy(doc))], cursor=seq)


def test_another_tills_synced_sale_can_be_returned_here(engine, returns) -> None:
    pull(engine, order_doc())
    found = returns.find_sale("t2-7")
    assert found.source == "pos" and found.order_id == "o-other-till"
    hoodie = found.lines[0]
    done = returns.create_return(found, {hoodie.line_id: 2}, refund_to="original", restock=True)
    assert done.refunds == (Refund("card", eur(11800)),)
    assert done.number == "T1-R000001"  # this till's return sequence
    assert stock(engine, "p3v0") == 4 + 2
    ((_, payload),) = outbox_rows(engine, "return.create")
    assert payload["order_id"] == "o-other-till"
    assert returns.find_sale("T2-000007").lines[0].returnable == 0


def test_returns_the_shop_reports_count_once_even_when_they_were_made_here(engine, returns) -> None:
    pull(engine, order_doc())
    found = returns.find_sale("T2-000007")
    ours = returns.create_return(found, {"ol1": 1}, refund_to="cash", restock=False)
    # Another till returned the spoon; the shop now lists both returns in the order.
    theirs = {
        "id": "r-other", "number": "T3-R000001", "location_id": shop.SHOP, "reason": None,
        "lines": [{"id": "rl9", "line_id": "ol2", "quantity": 1, "amount": 450, "tax": 21, "restock": True}],
        "refunds": [{"id": "rf9", "method": "card", "amount": 450, "reference": None}],
        "total": 450, "created_at": "2026-11-21T10:00:00Z",
    }  # fmt: skip
    mine = {key: ours.payload[key] for key in theirs}
    pull(engine, {**order_doc(returns=[mine, theirs]), "version": 2}, seq=12)
    again = returns.find_sale("T2-000007")
    assert [(ln.returned, ln.returnable) for ln in again.lines] == [(1, 1), (1, 0)]
    assert again.refunded_by_method == {"cash": eur(5900), "card": eur(450)}
    last = returns.create_return(again, {"ol1": 1}, refund_to="original", restock=False)
    assert last.total == eur(5900)  # the last hoodie: exactly what is left of its line
    assert last.refunds == (Refund("card", eur(5900)),)  # 122.50 by card, 4.50 back on it so far


@pytest.mark.parametrize(("status", "message"), [("pending", "not paid yet"), ("cancelled", "was cancelled")])
def test_orders_that_took_no_money_cannot_be_refunded(engine, returns, status, message) -> None:
    pull(engine, order_doc("W-000003", status=status))
    with pytest.raises(ReturnError, match=message):
        returns.find_sale("w-3")


def test_two_screens_cannot_return_the_same_unit_twice(engine, checkout, returns) -> None:
    sale = sell(checkout, [KNIFE], [("cash", 3000)])
    on_screen_one = returns.find_sale(sale.number)
    on_screen_two = ReturnsService(engine, who=as_cashier()).find_sale(sale.number)  # both show 1 returnable
    knife = on_screen_one.lines[0].line_id
    returns.create_return(on_screen_one, {knife: 1})
    before = written(engine)
    with pytest.raises(DomainError, match="all 1 sold have been returned already"):
        ReturnsService(engine, who=as_cashier()).create_return(on_screen_two, {knife: 1})
    assert written(engine) == before


@pytest.mark.parametrize("refund_to", ["cash", "original"])
def test_no_return_without_an_open_shift(engine, checkout, returns, refund_to) -> None:
    # A refund after the shift closed would be in no shift's figures: the next X report would
    # not show it and the drawer would come up short with nothing to explain it.
    from pos.services.cash_sessions import CashSessions, NoOpenSession
    from tests.staffing import FLOAT, MANAGER

    sale = sell(checkout, [KNIFE], [("card", 2999)])
    CashSessions(engine).close(MANAGER, FLOAT, {"card": eur(2999)})
    found = returns.find_sale(sale.number)
    before = written(engine)
    with pytest.raises(NoOpenSession, match=r"No shift is open on this till.*Nothing was returned"):
        returns.create_return(found, {found.lines[0].line_id: 1}, refund_to=refund_to)
    assert written(engine) == before
