"""Fixtures and helpers for the selling screens' tests (imported by tests/ui/test_sell_*.py & co).

A real shop is seeded and synced once per module; each test gets its own copy of that replica
file, so sales written by one test never show in another. Screens get the real services on it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from pos.services.checkout import CheckoutService
from pos.services.signed_in import SignedIn
from pos.services.staff import StaffService
from pos.store.database import driver_connection, open_replica
from pos.store.till import ensure_till
from pos.store.till_file import connect_both, till_engine, till_path
from pos.ui import launcher
from pos.ui.formatting import MoneyFormatter
from pos.ui.sell.sell_screen import SellScreen
from pos.ui.sell.services import Selling
from pos.ui.tasks import TaskRunner
from tests.fixtures.shop_server import LiveShop, make_live_shop
from tests.staffing import as_manager, open_shift
from tests.ui.conftest import sync_into

SELL_PRODUCTS = 40
ARTIFACTS = Path("/tmp")


@dataclass
class SellShop:
    shop: LiveShop
    replica_path: Path
    currency: str


@pytest.fixture(scope="module")
def sell_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SellShop]:
    folder = tmp_path_factory.mktemp("sell-shop")
    shop = make_live_shop(folder / "shop", products=SELL_PRODUCTS)
    try:
        _web_customers(shop)
        _report, currency, _name = sync_into(shop, folder / "replica.sqlite3")
        engine = open_replica(folder / "replica.sqlite3")
        try:
            with driver_connection(till_engine(engine)) as con:  # the till row record_shop writes
                con.execute("BEGIN IMMEDIATE")
                ensure_till(con, shop.device_id)
                con.execute("COMMIT")
                con.execute("PRAGMA main.wal_checkpoint(TRUNCATE)")
            with driver_connection(engine) as con:
                con.execute("PRAGMA main.wal_checkpoint(TRUNCATE)")
        finally:
            engine.dispose()
        yield SellShop(shop, folder / "replica.sqlite3", currency)
    finally:
        shop.stop()
        shop.session.close()


def _web_customers(shop: LiveShop) -> None:
    """Customers and a web order made on the shop's side (the seed makes none)."""
    for body in (
        {
            "name": "Alma Berg",
            "email": "alma@example.com",
            "phone": "+4915112345678",
            "loyalty_code": "LOY-1001",
        },
        {"name": "Bruno Costa", "email": "bruno@example.com"},
    ):
        shop.admin_post("customers", json=body).raise_for_status()
    alma = next(c for c in shop.admin_get("customers").json() if c["name"] == "Alma Berg")
    variant = shop.admin_get("products", params={"limit": 1}).json()[0]["variants"][0]
    order = {"lines": [{"variant_id": variant["id"], "quantity": 1}], "customer_id": alma["id"]}
    shop.admin_post("orders", json=order).raise_for_status()


@pytest.fixture
def replica(sell_shop: SellShop, tmp_path: Path) -> Iterator[Any]:
    """An engine on this test's own copy of the synced replica and its till file."""
    path = tmp_path / "replica.sqlite3"
    shutil.copy(sell_shop.replica_path, path)
    shutil.copy(till_path(sell_shop.replica_path), till_path(path))
    engine = open_replica(path)
    engine.replica_path = path  # type: ignore[attr-defined]
    yield engine
    engine.dispose()


@pytest.fixture
def ui_tasks(qtbot: Any) -> Iterator[TaskRunner]:
    runner = TaskRunner()
    yield runner
    runner.shutdown()


@dataclass
class Nudges:
    count: int = 0

    def __call__(self) -> None:
        self.count += 1


def make_selling(engine: Any, nudge: Any = None, *, who: Any = None, shift: bool = True,
                 **services: Any) -> Selling:  # fmt: skip
    """The sell screen's services as pos.app wires them, `who` signed in (a manager unless given:
    tests not about permissions are never asked for an approval) and a shift open unless `shift`
    is False."""
    who = who if who is not None else as_manager()
    if shift:
        open_shift(engine)
    return Selling(checkout=CheckoutService(engine, who=who), nudge=nudge or Nudges(), who=who,
                   staff=StaffService(engine), **services)  # fmt: skip


def staff_member(engine: Any, name: str) -> Any:
    """The demo shop's staff member called `name` (Alex Manager 1234, Sam Cashier 1111, Jo Warehouse 2222)."""
    return next(m for m in StaffService(engine).members() if m.name == name)


def signed_in_as(engine: Any, name: str, pin: str) -> SignedIn:
    """A SignedIn with that person, signed in through the real PIN check."""
    return SignedIn(StaffService(engine).sign_in(staff_member(engine, name).id, pin))


def open_screen(qtbot: Any, selling: Selling, tasks: Any, currency: str = "EUR") -> SellScreen:
    launcher.make_application()  # the real style: Fusion and resources/style.qss
    screen = SellScreen(selling, tasks, MoneyFormatter(currency, "en_GB"))
    qtbot.addWidget(screen)
    screen.resize(1100, 700)
    with qtbot.waitSignal(screen.cart_shown, timeout=5000):
        screen.show()
        screen.start()
    qtbot.waitUntil(lambda: screen.scan_edit.hasFocus() or screen.focusWidget() is screen.scan_edit)
    return screen


def scan(qtbot: Any, screen: SellScreen, code: str) -> None:
    """Type `code` and Enter as a scanner does; wait for the screen's answer."""
    with qtbot.waitSignal(screen.message_shown, timeout=5000):
        qtbot.keyClicks(screen.scan_edit, code)
        qtbot.keyClick(screen.scan_edit, Qt.Key.Key_Return)


def query(engine: Any, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    con = connect_both(engine.replica_path)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def variants(engine: Any) -> list[dict[str, Any]]:
    """Sellable variants with a barcode, one per product, cheapest first."""
    rows = query(
        engine,
        """
        SELECT v.id, v.product_id, v.barcode, v.sku, v.price, p.title,
               (SELECT count(*) FROM variant w WHERE w.product_id = v.product_id)
        FROM variant v JOIN product p ON p.id = v.product_id
        WHERE v.barcode IS NOT NULL AND p.status = 'active' ORDER BY v.price, v.id""",
    )
    keys = ("id", "product_id", "barcode", "sku", "price", "title", "siblings")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def active_dialog(qtbot: Any, screen: SellScreen, kind: type) -> Any:
    # Until the window system activates it, keys would still go to the screen behind it.
    qtbot.waitUntil(lambda: isinstance(screen.dialog, kind) and screen.dialog.isActiveWindow(), timeout=5000)
    return screen.dialog


def save_png(qtbot: Any, widget: Any, name: str) -> Path:
    qtbot.wait(60)  # let pending layout requests run, so the picture is what a person would see
    path = ARTIFACTS / f"ui-{name}.png"
    assert widget.grab().save(str(path))
    return path
