"""An offline day at two tills, end to end across processes, against the real reference shop.

Two tills (two data dirs, two devices) connect and sync; the shop goes away; each till sells 50
sales of the same items (one real `countertop sell`, then two app processes that each sell and
exit: the app is restarted mid-day); the shop comes back and each till runs `countertop sync
--once`. The shop must then hold exactly the 100 sales, each to the cent as the till made it, its
stock must be down by exactly what was sold, and both tills must show the shop's stock: their own
sales counted once, the other till's sales counted too.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pos.settings import TOKEN_ENV
from tests.e2e_support import (
    add_till_device,
    connect_till,
    local_sales,
    outbox_size,
    pos_orders,
    rows,
    sell_command,
    sell_in_child,
    sellable,
    selling_location,
    shop_levels,
    shown_stock,
    sold_quantities,
    sync_once,
)
from tests.fixtures.shop_server import LiveShop
from tests.test_cli import countertop

PRODUCTS = 12  # a small shop: seeding and the first sync cost well under a second each
SALES = 50
FIRST_RUN, SECOND_RUN = 24, 25  # + 1 `countertop sell` = SALES per till
ORDER_FIELDS = ("id", "currency", "customer_id", "location_id", "total", "tax", "lines", "payments")


def _sell_offline_day(name: str, data: Path, codes: list[str], seed: int) -> list[dict]:
    """One till's day: a real `countertop sell`, then two app processes one after the other."""
    first = sell_command(data, "--item", codes[0], "--item", f"{codes[-1]}x2", "--cash", "100000")
    printed = [{"number": first}]
    printed += sell_in_child(data, FIRST_RUN, seed, codes)
    printed += sell_in_child(data, SECOND_RUN, seed + 1, codes)  # the app restarted
    assert len(printed) == SALES, name
    return printed


def test_two_tills_sell_offline_all_day_and_the_shop_gets_every_sale_once(
    shop_factory: Callable[..., LiveShop], tmp_path: Path
) -> None:
    shop = shop_factory(products=PRODUCTS)
    tokens = {"A": shop.device_token, "B": add_till_device(shop, "till-b")}
    data = {name: tmp_path / f"till-{name}" for name in tokens}
    replica = {name: connect_till(data[name], shop, tokens[name]) for name in tokens}
    location = selling_location(replica["A"])
    assert selling_location(replica["B"]) == location
    items = sellable(replica["A"], 5)
    assert len(items) == 5
    # Scanned as a scanner types them: barcodes for some, SKUs for others.
    codes = [barcode for _, barcode, _ in items[:3]] + [sku for _, _, sku in items[3:]]
    variant_ids = [variant for variant, _, _ in items]
    initial = shop_levels(shop, variant_ids, location)
    for name in tokens:
        assert {v: shown_stock(replica[name], v, location) for v in variant_ids} == initial

    shop.stop()
    printed = {name: _sell_offline_day(name, data[name], codes, seed) for name, seed in (("A", 1), ("B", 9))}
    offline = countertop("--data-dir", str(data["A"]), "sync", "--once", env={TOKEN_ENV: tokens["A"]})
    assert offline.returncode == 1 and "Sync failed" in offline.stderr, offline.stdout + offline.stderr

    sales = {name: local_sales(replica[name]) for name in tokens}
    sold = {name: sold_quantities(sales[name]) for name in tokens}
    for name in tokens:
        assert sorted(p["number"] for p in printed[name]) == [s["number"] for s in sales[name]]
        assert outbox_size(replica[name]) == SALES  # nothing went out while the shop was away
        # Offline, a till shows its own sales and only those.
        assert {v: shown_stock(replica[name], v, location) for v in variant_ids} == {
            v: initial[v] - sold[name][v] for v in variant_ids
        }
    by_till = {p["number"]: p for name in tokens for p in printed[name] if "total" in p}
    for name in tokens:  # cash with change, card alone, split card + cash
        methods = {tuple(p["method"] for p in s["payments"]) for s in sales[name]}
        assert methods == {("cash",), ("card",), ("card", "cash")}
        assert any(s["change"] > 0 for s in sales[name])

    shop.start()
    for name in ("A", "B", "A"):  # A pulls again to see B's sales
        sync_once(data[name], tokens[name])

    orders = {order["number"]: order for order in pos_orders(shop)}
    every_sale = [sale for name in tokens for sale in sales[name]]
    assert len(orders) == len(pos_orders(shop)) == 2 * SALES  # exactly once each, numbers unique
    assert set(orders) == {sale["number"] for sale in every_sale}
    for sale in every_sale:
        order = orders[sale["number"]]
        assert {k: order[k] for k in ORDER_FIELDS} == {k: sale[k] for k in ORDER_FIELDS}, sale["number"]
        assert (order["source"], order["status"]) == ("pos", "paid")
        assert order["subtotal"] == sale["total"] - sale["tax"]  # web orders' meaning of subtotal
        if sale["number"] in by_till:  # what the cashier was told
            assert (by_till[sale["number"]]["total"], by_till[sale["number"]]["change"]) == (
                sale["total"], sale["change"],
            )  # fmt: skip

    expected = {v: initial[v] - sold["A"][v] - sold["B"][v] for v in variant_ids}
    assert all(sold["A"][v] + sold["B"][v] > 0 for v in variant_ids)
    assert shop_levels(shop, variant_ids, location) == expected
    for name in tokens:
        assert outbox_size(replica[name]) == 0
        assert {v: shown_stock(replica[name], v, location) for v in variant_ids} == expected, name
        assert rows(replica[name], "SELECT count(*) FROM pending_stock") == [(0,)]
        # Each till pulled every till's sales as orders (what a return of another till's sale finds).
        pulled = rows(replica[name], "SELECT number, total, tax FROM orders WHERE source = 'pos'")
        assert sorted(pulled) == sorted((s["number"], s["total"], s["tax"]) for s in every_sale), name
