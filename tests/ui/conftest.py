"""UI tests run offscreen (root conftest) and fail on any Qt warning (pytest-qt's log capture).

They run against the real reference shop over HTTP and a real replica file: `catalog_shop` seeds a
shop once per module and syncs it into a replica with the real engine and connector.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings

from pos.app import open_session, open_window
from pos.services.catalog import CatalogService
from pos.services.connection import TokenStore
from pos.settings import Settings, ShopConnection
from pos.store.database import open_replica
from pos.store.replica import SqliteReplica
from pos.ui import launcher
from pos.ui.formatting import MoneyFormatter
from pos.ui.gc_guard import UiThreadGarbageCollector
from pos.ui.main_window import MainWindow
from pos.ui.status_area import StatusArea
from pos.ui.tasks import TaskRunner
from sync.connectors.countertop import CountertopConnector
from sync.engine import PullReport, SyncEngine
from tests.fixtures.shop_server import LiveShop, make_live_shop

UI_TESTS = Path(__file__).parent
CATALOG_PRODUCTS = 1000


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if UI_TESTS in Path(str(item.path)).parents and item.get_closest_marker("qt_log_level_fail") is None:
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))
            # The offscreen platform cannot forward size hints to a window manager it lacks.
            item.add_marker(pytest.mark.qt_log_ignore("does not support propagateSizeHints"))


@pytest.fixture(autouse=True)
def _collect_on_the_ui_thread(qapp: Any) -> Iterator[None]:
    """As in the app: a worker thread must never run the collector over Qt objects (pos.ui.gc_guard)."""
    collector = UiThreadGarbageCollector()
    yield
    collector.stop()


@pytest.fixture(autouse=True)
def _private_qsettings(tmp_path: Path) -> None:
    """Window geometry goes to a temporary folder, never to the tester's own settings."""
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))


@dataclass
class SyncedShop:
    shop: LiveShop
    replica_path: Path
    report: PullReport
    currency: str
    shop_name: str


def sync_into(shop: LiveShop, replica_path: Path) -> tuple[PullReport, str, str]:
    engine = open_replica(replica_path)
    connector = CountertopConnector(shop.url, shop.device_token)
    try:
        info = connector.shop_info()
        report = SyncEngine(SqliteReplica(engine), connector).pull_once()
    finally:
        connector.close()
        engine.dispose()
    return report, info.currency, info.shop_name


@pytest.fixture(scope="module")
def catalog_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SyncedShop]:
    folder = tmp_path_factory.mktemp("catalog-shop")
    shop = make_live_shop(folder / "shop", products=CATALOG_PRODUCTS)
    try:
        report, currency, name = sync_into(shop, folder / "replica.sqlite3")
        yield SyncedShop(shop, folder / "replica.sqlite3", report, currency, name)
    finally:
        shop.stop()
        shop.session.close()


@pytest.fixture(scope="module")
def module_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveShop]:
    """A small real shop shared by a module's tests that only read from it."""
    shop = make_live_shop(tmp_path_factory.mktemp("module-shop"), products=20)
    yield shop
    shop.stop()
    shop.session.close()


@pytest.fixture
def catalog(catalog_shop: SyncedShop) -> Iterator[CatalogService]:
    engine = open_replica(catalog_shop.replica_path)
    yield CatalogService(engine)
    engine.dispose()


@pytest.fixture
def tasks(qtbot: Any) -> Iterator[TaskRunner]:
    runner = TaskRunner()
    yield runner
    runner.shutdown()


@pytest.fixture
def window(qtbot: Any, catalog: CatalogService, tasks: TaskRunner, catalog_shop: SyncedShop) -> MainWindow:
    """The main window on the synced replica, shown, with its first search answered."""
    launcher.make_application()  # the real style: Fusion and resources/style.qss
    win = MainWindow(
        catalog, tasks, MoneyFormatter(catalog_shop.currency, "en_GB"), catalog_shop.shop_name,
        catalog_shop.shop.url, restore_geometry=False,
    )
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.browser.results_shown, timeout=10_000):
        win.show()
        win.start()
    return win


def all_products(shop: LiveShop) -> list[dict[str, Any]]:
    """Every product document, read from the shop's admin API (the truth the till must match)."""
    docs: list[dict[str, Any]] = []
    while True:
        page = shop.admin_get("products", params={"limit": 1000, "offset": len(docs)})
        page.raise_for_status()
        batch = page.json()
        docs.extend(batch)
        if len(batch) < 1000:
            return docs


def till_rows(replica_path) -> tuple[int | None, set[str], int]:
    """(cursor, product ids, stock levels) read straight from the replica file."""
    engine = open_replica(replica_path)
    try:
        with engine.connect() as connection:
            ids = {row[0] for row in connection.exec_driver_sql("SELECT id FROM product")}
            levels = connection.exec_driver_sql("SELECT count(*) FROM inventory_level").scalar_one()
        return SqliteReplica(engine).sync_state().cursor, ids, levels
    finally:
        engine.dispose()


class App:
    """The window as `countertop` wires it (pos.app.open_window), on a fresh replica, except that
    snapshot runs stay in this process so a test can hold one part-way (the app loads them in a
    child process: pos.snapshot_child, tested in tests/sync/test_snapshot_child.py)."""

    def __init__(self, shop: Any, folder, tasks: Any, tokens: TokenStore, listen: Any = None) -> None:
        self.settings = Settings(folder)
        self.connection = ShopConnection(shop.url, shop.device_id, "till", "Test shop", "EUR")
        self.settings.connection = self.connection
        self.settings.save()
        tokens.save(shop.url, shop.device_token)
        self.session = open_session(self.settings, self.connection, shop.device_token)
        if listen is not None:  # before the sync starts, so no event is missed
            self.session.bus.subscribe(listen)
        self.running: list[Any] = []
        self.window = open_window(self.session, tasks, self.running, None, screenshot=False,
                                   settings=self.settings, tokens=tokens)
        self.status: StatusArea = self.window.status_area
        self.replica_path = self.settings.replica_path(self.connection)

    def close(self) -> None:
        for cleanup in reversed(self.running):
            cleanup()
        self.session.close()


@pytest.fixture
def open_app(qtbot, tmp_path, tasks, memory_keyring) -> Iterator[Any]:
    apps: list[App] = []

    def opener(shop: Any, listen: Any = None) -> App:
        app = App(shop, tmp_path / f"till{len(apps)}", tasks, TokenStore(environ={}), listen)
        apps.append(app)
        qtbot.addWidget(app.window)
        app.window.show()
        app.window.start()
        return app

    yield opener
    for app in apps:
        app.close()
