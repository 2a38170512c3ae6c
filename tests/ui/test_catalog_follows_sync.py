"""The catalog follows what sync commits: the whole catalog once a snapshot run ends, and the open
product's detail when the shop changes that product. Against the real shop and a real replica."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from PySide6.QtCore import Qt

from pos.services.catalog import CatalogService
from pos.store.database import open_replica
from pos.ui import launcher
from pos.ui.formatting import MoneyFormatter
from pos.ui.main_window import MainWindow
from pos.ui.sync_bridge import SyncBridge
from sync.events import CaughtUp, ChangesApplied, EventBus, SnapshotProgress
from sync.ports import AppliedChanges
from tests.fixtures.shop_server import make_live_shop
from tests.ui.conftest import all_products, sync_into
from tests.ui.staff_support import sign_in

PRODUCTS = 40


@pytest.fixture
def synced(tmp_path) -> Iterator[tuple[Any, Any]]:
    shop = make_live_shop(tmp_path / "shop", products=PRODUCTS)
    sync_into(shop, tmp_path / "replica.sqlite3")
    engine = open_replica(tmp_path / "replica.sqlite3")
    yield shop, engine
    engine.dispose()
    shop.stop()
    shop.session.close()


def add_products(shop: Any, count: int, first: int) -> None:
    for number in range(first, first + count):
        created = shop.admin_post(
            "products",
            json={
                "title": f"Late arrival {number}",
                "category": "Grocery",
                "variants": [{"sku": f"LATE-{number}", "title": "", "price": 250}],
            },
        )
        assert created.status_code == 201, created.text


def test_the_end_of_a_snapshot_run_lists_what_was_committed_after_its_last_progress_event(
    qtbot, synced, tasks, tmp_path
):
    shop, engine = synced
    launcher.make_application()
    bus = EventBus()
    window = MainWindow(
        CatalogService(engine),
        tasks,
        MoneyFormatter("EUR", "en_GB"),
        "Shop",
        shop.url,
        bridge=SyncBridge(bus),
        restore_geometry=False,
    )
    qtbot.addWidget(window)
    browser = window.browser
    with qtbot.waitSignal(browser.results_shown, timeout=10_000):
        window.show()
        window.start()
    assert browser.model.rowCount() == PRODUCTS

    # The engine reports the last product batch when it is received; the table refreshes on it ...
    with qtbot.waitSignal(browser.results_shown, timeout=5_000):
        bus.emit(SnapshotProgress("product", PRODUCTS + 5, PRODUCTS + 5, 3, 7))
    # ... and the batch is committed only afterwards, with no further product event.
    add_products(shop, 5, first=0)
    sync_into(shop, tmp_path / "replica.sqlite3")
    # The next entity starting means the products' load has returned: the list is re-read.
    with qtbot.waitSignal(browser.results_shown, timeout=5_000):
        bus.emit(SnapshotProgress("inventory_level", 0, 100, 4, 7))
    assert browser.model.rowCount() == PRODUCTS + 5

    # Whatever lands before the run ends (the products' search rows are finished last) is shown
    # once the run is caught up.
    add_products(shop, 5, first=5)
    sync_into(shop, tmp_path / "replica.sqlite3")
    with qtbot.waitSignal(browser.results_shown, timeout=5_000):
        bus.emit(CaughtUp(cursor=1, at=datetime.now(UTC).isoformat()))
    assert browser.model.rowCount() == PRODUCTS + 10
    assert browser.count_label.text() == f"{PRODUCTS + 10} products"

    # Idle polls after that search nothing.
    searches = browser.searches_run
    for _ in range(3):
        bus.emit(CaughtUp(cursor=1, at=datetime.now(UTC).isoformat()))
    qtbot.wait(1_200)
    assert browser.searches_run == searches


def open_detail(qtbot: Any, browser: Any, sku: str) -> None:
    """Search for `sku`, then Enter into the results and Enter for the detail, as a person would."""
    browser.search_edit.clear()
    with qtbot.waitSignal(browser.results_shown, timeout=5_000):
        qtbot.keyClicks(browser.search_edit, sku)
    qtbot.keyClick(browser.search_edit, Qt.Key.Key_Return)
    with qtbot.waitSignal(browser.detail_shown, timeout=5_000):
        qtbot.keyClick(browser.table, Qt.Key.Key_Return)


def test_the_open_detail_follows_the_shop_renaming_repricing_and_deleting_its_product(
    qtbot, shop_factory, open_app
):
    shop = shop_factory(products=30)
    app = open_app(shop)
    window, browser, detail = app.window, app.window.browser, app.window.browser.detail
    qtbot.waitUntil(lambda: app.status.last_sync_label.text() != "Last sync: never", timeout=30_000)
    qtbot.waitUntil(lambda: browser.model.rowCount() == 30, timeout=10_000)
    sign_in(qtbot, window, "Alex Manager", "1234")
    window.show_catalog()
    doc, other = [d for d in all_products(shop) if len(d["variants"]) == 1][:2]
    variant = doc["variants"][0]
    open_detail(qtbot, browser, variant["sku"])
    assert detail.title_label.text() == doc["title"]

    renamed = shop.admin_patch(
        f"products/{doc['id']}",
        json={
            "title": doc["title"] + " (new label)",
            "variants": [{"id": variant["id"], "price": 123456}],
        },
    )
    assert renamed.status_code == 200, renamed.text
    qtbot.waitUntil(lambda: detail.title_label.text() == doc["title"] + " (new label)", timeout=20_000)
    assert detail.variants_model.item(0, 3).text() == "€1,234.56"
    assert browser.model.index(0, 3).data() == "€1,234.56"

    # The detail stays on screen while the person searches for something else; if the shop then
    # deletes its product, it says so rather than go on showing it.
    browser.search_edit.clear()
    with qtbot.waitSignal(browser.results_shown, timeout=5_000):
        qtbot.keyClicks(browser.search_edit, other["variants"][0]["sku"])
    assert detail.title_label.text() == doc["title"] + " (new label)"
    assert shop.admin_delete(f"products/{doc['id']}").status_code in (200, 204)
    qtbot.waitUntil(lambda: "no longer in the shop's catalog" in detail.facts_label.text(), timeout=20_000)
    assert detail.title_label.text() == ""


def test_a_changes_page_right_after_a_product_batch_searches_once_not_twice(qtbot, synced, tasks, tmp_path):
    # A product batch starts the one-second refresh throttle; the run's changes page arrives before it
    # fires. The page's refresh shows the batch too, so the waiting one must not search again.
    shop, engine = synced
    launcher.make_application()
    bus = EventBus()
    window = MainWindow(CatalogService(engine), tasks, MoneyFormatter("EUR", "en_GB"), "Shop", shop.url,
                        bridge=SyncBridge(bus), restore_geometry=False)  # fmt: skip
    qtbot.addWidget(window)
    browser = window.browser
    with qtbot.waitSignal(browser.results_shown, timeout=10_000):
        window.show()
        window.start()
    with qtbot.waitSignal(browser.results_shown, timeout=5_000):  # a flush now: the next one waits
        bus.emit(SnapshotProgress("product", 10, PRODUCTS, 3, 7))
    searches = browser.searches_run

    add_products(shop, 2, first=20)
    sync_into(shop, tmp_path / "replica.sqlite3")
    bus.emit(SnapshotProgress("product", PRODUCTS, PRODUCTS, 3, 7))  # throttled: waits ~1 s
    with qtbot.waitSignal(browser.results_shown, timeout=5_000):
        bus.emit(ChangesApplied(AppliedChanges(upserted={"product": {"late"}}), cursor=2, head=2))
    bus.emit(CaughtUp(cursor=2, at=datetime.now(UTC).isoformat()))
    qtbot.wait(1_500)  # past the throttle
    assert browser.model.rowCount() == PRODUCTS + 2
    assert browser.searches_run == searches + 1
