"""A return at one till of a sale made at another, through the real reference shop over HTTP.

Till A sells and pushes; till B pulls the sale as a synced pos order, takes a return against it
and pushes that; the shop's order then lists the return, its stock is back, and till A, after its
next pull, knows that unit is gone and cannot return it a second time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from sqlalchemy import Engine

from pos.domain.errors import DomainError
from pos.domain.money import Money
from pos.domain.returns import Refund
from pos.domain.tender import Tender
from pos.services.checkout import CheckoutService
from pos.services.returns import ReturnsService
from pos.store.database import driver_connection, open_replica
from pos.store.outbox import SqliteOutbox
from pos.store.replica import SqliteReplica
from sync.connectors.countertop import CountertopConnector
from sync.engine import SyncEngine
from tests.fixtures.shop_server import LiveShop
from tests.staffing import as_cashier, open_shift


@dataclass
class Till:
    engine: Engine
    sync: SyncEngine
    checkout: CheckoutService
    returns: ReturnsService

    def pull(self) -> None:
        self.sync.pull_once()  # records the shop and the till row (SqliteReplica.record_shop)
        open_shift(self.engine)

    def push(self) -> None:
        report = self.sync.push_once()
        assert report.parked_total == 0, report


@pytest.fixture
def till_factory(tmp_path: Path) -> Iterator[Callable[[LiveShop, str, str], Till]]:
    cleanups: list[Callable[[], None]] = []

    def make(shop: LiveShop, name: str, token: str) -> Till:
        engine = open_replica(tmp_path / f"{name}.sqlite3")
        session = requests.Session()
        connector = CountertopConnector(shop.url, token, session=session)
        sync = SyncEngine(SqliteReplica(engine), connector, outbox=SqliteOutbox(engine))
        cleanups.extend([engine.dispose, session.close])
        return Till(
            engine, sync, CheckoutService(engine, who=as_cashier()), ReturnsService(engine, who=as_cashier())
        )

    yield make
    for cleanup in cleanups:
        cleanup()


def second_till_token(shop: LiveShop) -> str:
    result = shop.cli("device", "add", "till-b")
    assert result.returncode == 0, result.stderr
    assert re.search(r"\(id [^)]+\)", result.stdout)
    return result.stdout.strip().splitlines()[-1]


def server_order(shop: LiveShop, order_id: str) -> dict:
    response = shop.admin_get(f"orders/{order_id}")
    assert response.status_code == 200, response.text
    return response.json()


def server_stock(shop: LiveShop, variant_id: str, location_id: str) -> int:
    response = shop.admin_get("stock/levels", params={"variant_id": variant_id})
    assert response.status_code == 200, response.text
    body = response.json()
    levels = body["items"] if isinstance(body, dict) else body
    return sum(lv["quantity"] for lv in levels if lv["location_id"] == location_id)


def test_a_sale_from_another_till_is_returned_here_and_every_till_agrees(live_shop, till_factory) -> None:
    a = till_factory(live_shop, "till-a", live_shop.device_token)
    b = till_factory(live_shop, "till-b", second_till_token(live_shop))
    a.pull()
    b.pull()
    assert a.checkout.till_code() != b.checkout.till_code()

    # Till A sells three of one variant and one of another, part cash, part card.
    cart = a.checkout.new_cart()
    variants = _two_variants(a.engine)
    a.checkout.add_variant(cart, variants[0], 3)
    a.checkout.add_variant(cart, variants[1], 1)
    total = cart.totals().total
    card = Money(total.minor // 2, total.currency)
    sale = a.checkout.checkout(cart, [Tender("card", card), Tender("cash", total - card)])
    location = sale.location_id
    a.push()
    stock_after_sale = server_stock(live_shop, variants[0], location)

    # Till B pulls the sale as a synced order and takes two of the three back, to the original tender.
    b.pull()
    found = b.returns.find_sale(sale.number.lower())
    assert found is not None and found.source == "pos" and found.order_id == sale.sale_id
    first_line = next(ln for ln in found.lines if ln.variant_id == variants[0])
    done = b.returns.create_return(found, {first_line.line_id: 2}, refund_to="original", restock=True)
    assert done.number.startswith(f"{b.checkout.till_code()}-R")
    assert sum((r.amount for r in done.refunds), Money(0, total.currency)) == done.total
    assert done.refunds[0] == Refund("card", min(card, done.total))
    b.push()

    order = server_order(live_shop, sale.sale_id)
    assert [r["number"] for r in order["returns"]] == [done.number]
    assert order["returns"][0]["total"] == done.total.minor
    assert server_stock(live_shop, variants[0], location) == stock_after_sale + 2

    # Till A hears of it: one unit is left to return, and returning two is refused.
    a.pull()
    again = a.returns.find_sale(sale.number)
    line = again.line(first_line.line_id)
    assert (line.sold, line.returned, line.returnable) == (3, 2, 1)
    with pytest.raises(DomainError, match="only 1 can still be returned"):
        a.returns.create_return(again, {line.line_id: 2})
    last = a.returns.create_return(again, {line.line_id: 1}, refund_to="cash", restock=False)
    a.push()
    sold_line = next(ln for ln in sale.payload["lines"] if ln["id"] == first_line.line_id)
    assert done.lines[0].amount + last.lines[0].amount == Money(sold_line["total"], total.currency)
    assert len(server_order(live_shop, sale.sale_id)["returns"]) == 2


def _two_variants(engine: Engine) -> list[str]:
    with driver_connection(engine) as con:
        rows = con.execute("SELECT id FROM variant WHERE price > 0 ORDER BY sku LIMIT 2").fetchall()
    return [row[0] for row in rows]
