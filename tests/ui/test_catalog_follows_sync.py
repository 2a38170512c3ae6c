"""The catalog follows what sync commits: the whole catalog once a snapshot run ends, and the open
product's detail when the shop changes that product. Against the real shop and a real replica."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from pos.services.catalog import CatalogService
from pos.store.database import open_replica
from pos.ui import launcher
from pos.ui.formatting import MoneyFormatter
from pos.ui.main_window import MainWindow
from pos.ui.sync_bridge import SyncBridge
from sync.events import CaughtUp, EventBus, SnapshotProgress
from tests.fixtures.shop_server import make_live_shop
from tests.ui.conftest import sync_into

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
        created = shop.admin_post("products", json={
            "title": f"Late arrival {number}", "category": "Grocery",
            "variants": [{"sku": f"LATE-{number}", "title": "", "price": 250}],
        })
        assert created.status_code == 201, created.text


def test_the_end_of_a_snapshot_run_lists_what_was_committed_after_its_last_progress_event(
    qtbot, synced, tasks, tmp_path
):
    shop, engine = synced
    launcher.make_application()
    bus = EventBus()
    window = MainWindow(CatalogService(engine), tasks, MoneyFormatter("EUR", "en_GB"), "Shop", shop.url,
                        bridge=SyncBridge(bus), restore_geometry=False)
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
