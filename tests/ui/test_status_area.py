"""The status area follows the real sync engine: online, offline when the shop goes away, online again."""

from __future__ import annotations

from pathlib import Path

import pytest

from pos.app import open_session
from pos.settings import Settings, ShopConnection
from pos.ui import launcher
from pos.ui.formatting import MoneyFormatter
from pos.ui.main_window import MainWindow
from pos.ui.status_area import StatusArea, local_time_text
from pos.ui.sync_bridge import SyncBridge
from pos.ui.sync_thread import SyncThread
from sync.events import CaughtUp, Disconnected, ProblemReported, SnapshotProgress
from tests.ui.conftest import all_products
from tests.ui.staff_support import sign_in

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def running_app(qtbot, live_shop, tmp_path, tasks):
    """A till on a fresh replica with the engine running in its worker thread, as `countertop` runs it."""
    settings = Settings(tmp_path / "data")
    connection = ShopConnection(live_shop.url, live_shop.device_id, "till", "Test shop", "EUR")
    session = open_session(settings, connection, live_shop.device_token)
    bridge = SyncBridge(session.bus)
    window = MainWindow(session.catalog, tasks, MoneyFormatter("EUR", "en_GB"), "Test shop", live_shop.url,
                        bridge=bridge, restore_geometry=False)
    qtbot.addWidget(window)
    window.show()
    window.start()
    thread = SyncThread(session.sync, interval=0.2)
    progress: list[str] = []
    bridge.snapshot_progress.connect(lambda _e: progress.append(window.status_area.progress_label.text()))
    thread.start()
    yield window, bridge, progress
    assert thread.stop(timeout=10)
    bridge.close()
    session.close()


def test_first_sync_fills_the_window_and_goes_online(qtbot, running_app, live_shop):
    window, _bridge, progress = running_app
    status = window.status_area
    assert status.last_sync_label.text() == "Last sync: never"
    qtbot.waitUntil(lambda: status.last_sync_label.text() != "Last sync: never", timeout=15_000)
    qtbot.waitUntil(lambda: window.browser.model.rowCount() == 50, timeout=5_000)
    assert status.online_label.text() == "● Online"
    assert any(text.startswith("Loading products: ") and "of 50" in text for text in progress)
    assert status.progress_bar.isHidden()  # caught up: progress gone


def test_goes_offline_when_the_shop_stops_and_online_when_it_returns(qtbot, running_app, live_shop):
    window, _bridge, _progress = running_app
    status = window.status_area
    qtbot.waitUntil(lambda: status.last_sync_label.text() != "Last sync: never", timeout=15_000)
    qtbot.waitUntil(lambda: window.browser.model.rowCount() == 50, timeout=5_000)
    live_shop.stop()
    qtbot.waitUntil(lambda: status.online is False, timeout=15_000)
    assert status.online_label.text() == "● Offline"
    assert "unreachable" in status.problem_label.text()
    assert window.browser.model.rowCount() == 50  # the replica still serves the catalog offline

    live_shop.start()
    qtbot.waitUntil(lambda: status.online is True, timeout=30_000)
    assert status.problem_label.isHidden()


def test_the_offline_message_fits_beside_a_signed_in_person_with_the_address_behind_details(
    qtbot, shop_factory, open_app
):
    """At the default window size, as `countertop` wires it, with a manager signed in."""
    launcher.make_application()  # the real style sheet: the problem is in bold
    shop = shop_factory(products=20)
    app = open_app(shop)
    window, status = app.window, app.status
    qtbot.waitUntil(lambda: status.state == "online", timeout=30_000)
    sign_in(qtbot, window, "Alex Manager", "1234")
    shop.stop()
    qtbot.waitUntil(lambda: status.state == "offline", timeout=30_000)
    qtbot.wait(100)  # laid out

    label = status.problem_label
    assert label.text() == "⚠ Shop unreachable: connection refused"  # the address is in the status bar
    assert label.fontMetrics().horizontalAdvance(label.text()) <= label.contentsRect().width()
    assert status.problem_detail == f"Shop unreachable: connection refused ({shop.url})"
    assert label.toolTip() == status.problem_detail
    details = status.details_button
    assert details.isVisible() and label.geometry().right() < details.geometry().left()
    assert details.geometry().right() <= status.contentsRect().right()
    person = status.person_label
    assert person.toolTip() == person.text() == "Signed in: Alex Manager (manager) · F11 switch"
    ARTIFACTS.mkdir(exist_ok=True)
    window.grab().save(str(ARTIFACTS / "status-offline.png"))  # for people to look at


def test_a_price_changed_in_the_shop_shows_in_the_window(qtbot, running_app, live_shop):
    window, _bridge, _progress = running_app
    model = window.browser.model
    qtbot.waitUntil(lambda: model.rowCount() == 50, timeout=15_000)
    doc = next(d for d in all_products(live_shop) if len(d["variants"]) == 1)
    row = [model.product_at(r).id for r in range(model.rowCount())].index(doc["id"])
    variant = doc["variants"][0]
    new_price = {"variants": [{"id": variant["id"], "price": 123456}]}
    answer = live_shop.admin_patch(f"products/{doc['id']}", new_price)
    assert answer.status_code == 200, answer.text
    qtbot.waitUntil(lambda: model.index(row, 3).data() == "€1,234.56", timeout=15_000)

    assert live_shop.admin_delete(f"products/{doc['id']}").status_code in (200, 204)
    qtbot.waitUntil(lambda: model.rowCount() == 49, timeout=15_000)


def test_status_texts(qtbot):
    status = StatusArea(None)
    qtbot.addWidget(status)
    assert status.last_sync_label.text() == "Last sync: never"
    assert status.online_label.text() == "● Connecting…"
    status.on_snapshot_progress(SnapshotProgress("product", 20_000, 100_000, 3, 7))
    assert status.progress_label.text() == "Loading products: 20,000 of 100,000 (step 4 of 7)"
    assert status.progress_bar.value() == 20_000 and status.progress_bar.maximum() == 100_000
    status.on_disconnected(Disconnected("Shop unreachable: connection refused (http://x)"))
    assert status.online is False and "connection refused" in status.problem_label.text()
    status.on_problem(ProblemReported("protocol", "Page refused; nothing was changed."))
    assert "nothing was changed" in status.problem_label.text()
    status.on_caught_up(CaughtUp(cursor=5, at="2024-03-01T12:00:00Z"))
    assert status.online is True and status.problem_label.isHidden() and status.progress_bar.isHidden()
    assert status.last_sync_label.text() == f"Last sync: {local_time_text('2024-03-01T12:00:00Z')}"


def test_local_time_text_is_local():
    from datetime import datetime

    now = datetime.now().astimezone()
    stamp = now.astimezone(tz=None).strftime("%Y-%m-%dT%H:%M:%S")
    utc = datetime.fromisoformat(stamp).astimezone().astimezone(tz=__import__("datetime").UTC)
    text = local_time_text(utc.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert text == now.strftime("%H:%M:%S")
    assert local_time_text(None) == "never"
