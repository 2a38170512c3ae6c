"""While the first sync fills the catalog, the person keeps their place: the selected product and the
top visible row stay put, against the real shop and the window exactly as `countertop` wires it."""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import Qt

from sync.events import SnapshotProgress

PRODUCTS = 300
EARLY_TITLES = ("!Early arrival one", "!Early arrival two", "!Early arrival three")


def click_row(qtbot: Any, browser: Any, row: int) -> None:
    table = browser.table
    rect = table.visualRect(browser.model.index(row, 0))
    with qtbot.waitSignal(browser.detail_shown, timeout=5_000):
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_selection_and_scroll_stay_while_the_first_sync_adds_products(qtbot, shop_factory, open_app):
    shop = shop_factory(products=PRODUCTS)
    gate, reached = threading.Event(), threading.Event()

    def hold_at_stock(event: Any) -> None:
        # On the engine thread: park the first sync once every product is in, before the stock.
        if isinstance(event, SnapshotProgress) and event.entity == "inventory_level" and not reached.is_set():
            reached.set()
            gate.wait(30)

    app = open_app(shop, listen=hold_at_stock)
    browser, status = app.window.browser, app.status
    try:
        qtbot.waitUntil(reached.is_set, timeout=30_000)
        # No further sync event arrives while parked: the coalesced refresh still shows them all.
        qtbot.waitUntil(lambda: browser.model.rowCount() == PRODUCTS, timeout=5_000)
        assert status.last_sync_label.text() == "Last sync: never"  # still the first sync

        # The person scrolls down the list and picks a product with the mouse.
        table = browser.table
        table.scrollTo(browser.model.index(120, 0), table.ScrollHint.PositionAtTop)
        top = browser.top_key()
        assert top == browser.model.key_at(120)
        click_row(qtbot, browser, 124)
        selected = browser.current_key()
        title = browser.model.product_at(124).title
        assert browser.detail.title_label.text() == title
        searches = browser.searches_run

        # Meanwhile a storefront adds products that sort above the person's place.
        for name in EARLY_TITLES:
            created = shop.admin_post("products", json={
                "title": name, "category": "Grocery",
                "variants": [{"sku": f"EARLY-{name.split()[-1]}", "title": "", "price": 500}],
            })
            assert created.status_code == 201, created.text
    finally:
        gate.set()
    qtbot.waitUntil(lambda: status.last_sync_label.text() != "Last sync: never", timeout=30_000)
    qtbot.waitUntil(lambda: browser.model.rowCount() == PRODUCTS + len(EARLY_TITLES), timeout=10_000)
    qtbot.wait(300)  # let any trailing refresh land

    assert [browser.model.product_at(row).title for row in range(3)] == sorted(EARLY_TITLES)
    assert browser.current_key() == selected  # the same product is still selected ...
    assert browser.model.product_at(table.currentIndex().row()).title == title
    assert browser.top_key() == top  # ... and the same product is still the top visible row
    assert browser.detail.title_label.text() == title
    # The keys were re-queried for the products' last batch (committed after its last progress event)
    # and for the new products: in one search when the changes page came within the refresh throttle
    # of the products' load ending, else in two; the stock snapshot only re-read the rows.
    assert searches + 1 <= browser.searches_run <= searches + 2
