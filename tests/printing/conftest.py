"""Printing tests: real sales on a copy of a replica synced from the real reference shop, real bytes
to a TCP printer on 127.0.0.1 (tests/printing/printer_server.py), real PDFs read back with poppler."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pos.domain.money import Money
from pos.domain.tender import Tender
from pos.printing.config import PrinterConfig, PrintingSettings, ReceiptLook
from pos.services.checkout import CheckoutService, CompletedSale
from pos.services.printing import PrintService
from pos.store.database import driver_connection, open_replica
from pos.store.till import ensure_till
from pos.store.till_file import till_engine
from tests.fixtures.shop_server import make_live_shop
from tests.printing.printer_server import PrinterServer
from tests.staffing import as_cashier, open_shift
from tests.ui.conftest import sync_into
from tests.ui.sell_support import _web_customers, variants

SHOP_PRODUCTS = 20

ARTIFACTS = Path(tempfile.gettempdir()) / "countertop-printing"
LOOK = ReceiptLook(
    address="Café Zentral\nHauptstraße 1, 10115 Berlin", tax_id="DE123456789", footer="Merci, à bientôt!"
)


@pytest.fixture(scope="module")
def printing_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A real shop synced into a replica once per module; the folder holding the till's files."""
    folder = tmp_path_factory.mktemp("printing-shop")
    shop = make_live_shop(folder / "shop", products=SHOP_PRODUCTS)
    try:
        _web_customers(shop)
        till = folder / "till"
        till.mkdir()
        sync_into(shop, till / "replica.sqlite3")
        _ensure_till(till / "replica.sqlite3", shop.device_id)
        yield till
    finally:
        shop.stop()
        shop.session.close()


def _ensure_till(path: Path, device_id: str) -> None:
    engine = open_replica(path)
    try:
        with driver_connection(till_engine(engine)) as con:  # the till's own tables' file
            con.execute("BEGIN IMMEDIATE")
            ensure_till(con, device_id)
            con.execute("COMMIT")
        open_shift(engine)  # every copy of this till sells in the same open shift
        with driver_connection(till_engine(engine)) as con:
            con.execute("PRAGMA main.wal_checkpoint(TRUNCATE)")
        with driver_connection(engine) as con:
            con.execute("PRAGMA main.wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()


@pytest.fixture
def replica(printing_shop: Path, tmp_path: Path) -> Iterator[Any]:
    """An engine on this test's own copy of the synced till files (replica and till file)."""
    copy = tmp_path / "till"
    shutil.copytree(printing_shop, copy)
    engine = open_replica(copy / "replica.sqlite3")
    engine.replica_path = copy / "replica.sqlite3"  # type: ignore[attr-defined]
    yield engine
    engine.dispose()


@pytest.fixture
def printer_server() -> Iterator[PrinterServer]:
    server = PrinterServer()
    yield server
    server.stop()


def network_printer(server: PrinterServer, **changes: Any) -> PrinterConfig:
    fields: dict[str, Any] = {"paper": "80mm", "columns": 48, "drawer": True, **changes}
    return PrinterConfig(name="Counter", kind="network", address=server.address, **fields)


def service_for(engine: Any, printer: PrinterConfig, look: ReceiptLook = LOOK) -> PrintService:
    settings = PrintingSettings((printer,), {"receipt": printer.name, "report": printer.name}, look)
    return PrintService(engine, settings)


def sell(engine: Any, *, cash: bool = True, items: int = 3) -> CompletedSale:
    """A real checkout of `items` different products (two of the first), paid cash or card."""
    checkout = CheckoutService(engine, who=as_cashier())
    cart = checkout.new_cart()
    for number, variant in enumerate(variants(engine)[:items]):
        checkout.add_variant(cart, variant["id"], 2 if number == 0 else 1)
    total = cart.totals().total
    if cash:
        tender = Tender("cash", Money(-(-total.minor // 5000) * 5000, total.currency))
    else:
        tender = Tender("card", total, reference="AUTH-77")
    return checkout.checkout(cart, [tender])
