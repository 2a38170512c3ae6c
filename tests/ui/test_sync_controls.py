"""The status area's actions against the real shop: stop and resume a first sync, reconnect after a
refused token; and the distinct look of protocol and internal problems."""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import Qt

from pos.services.connection import KEYRING_SERVICE
from pos.settings import TOKEN_ENV, Settings
from pos.ui.status_area import StatusArea
from pos.ui.wizard import FirstRunWizard
from sync.events import CaughtUp, Connected, ProblemReported, SnapshotProgress
from tests.ui.conftest import all_products, till_rows

FIRST_SYNC_PRODUCTS = 3000


def test_stop_during_the_first_sync_keeps_the_replica_consistent_and_resume_finishes_it(
    qtbot, shop_factory, open_app
):
    shop = shop_factory(products=FIRST_SYNC_PRODUCTS)
    server_ids = {doc["id"] for doc in all_products(shop)}
    gate, reached = threading.Event(), threading.Event()
    held: list[SnapshotProgress] = []

    def hold_mid_stock(event: Any) -> None:
        # Runs on the engine thread: park the first sync part-way through the stock levels (the
        # snapshot arrives in batches of 5,000), so the Stop click lands mid-snapshot however fast
        # this machine loads.
        if (isinstance(event, SnapshotProgress) and event.entity == "inventory_level"
                and 0 < event.done < event.total and not reached.is_set()):
            held.append(event)
            reached.set()
            gate.wait(30)

    app = open_app(shop, listen=hold_mid_stock)
    status = app.status
    qtbot.waitUntil(reached.is_set, timeout=30_000)
    done, total = held[0].done, held[0].total
    # The window's bridge subscribed after the gate, so it shows the step's start while parked.
    expected = f"Loading stock levels: 0 of {total:,} (step 5 of 7)"
    qtbot.waitUntil(lambda: status.progress_label.text() == expected, timeout=5_000)
    assert status.stop_button.isVisible() and status.resume_button.isHidden()

    qtbot.mouseClick(status.stop_button, Qt.MouseButton.LeftButton)
    assert status.stop_button.text() == "Stopping…" and not status.stop_button.isEnabled()
    gate.set()
    qtbot.waitUntil(lambda: status.state == "paused", timeout=15_000)
    assert status.online_label.text() == "● Sync stopped"
    assert status.resume_button.isVisible() and status.stop_button.isHidden()
    assert status.progress_label.text() == f"Stopped — stock levels: {done:,} of {total:,} (step 5 of 7)"
    assert status.last_sync_label.text() == "Last sync: never"

    cursor, products, levels = till_rows(app.replica_path)
    assert cursor is None  # not caught up, and not pretending to be
    assert products == server_ids  # the finished step is whole
    assert levels < total  # the step in progress stopped; the engine rolled back its open batch
    qtbot.waitUntil(lambda: app.window.browser.model.rowCount() == FIRST_SYNC_PRODUCTS, timeout=10_000)
    qtbot.wait(500)  # a stopped sync stays stopped: nothing more arrives
    assert till_rows(app.replica_path)[2] == levels

    qtbot.mouseClick(status.resume_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status.last_sync_label.text() != "Last sync: never", timeout=30_000)
    assert status.state == "online" and status.resume_button.isHidden() and status.progress_bar.isHidden()
    cursor, products, levels = till_rows(app.replica_path)
    assert cursor is not None and products == server_ids and levels == total


def test_a_refused_token_says_so_and_reconnecting_with_a_new_token_syncs_again(
    qtbot, live_shop, open_app, memory_keyring
):
    app = open_app(live_shop)
    status = app.status
    qtbot.waitUntil(lambda: status.last_sync_label.text() != "Last sync: never", timeout=15_000)
    assert status.state == "online" and status.reconnect_button.isHidden()

    assert live_shop.cli("device", "revoke", live_shop.device_name).returncode == 0
    qtbot.waitUntil(lambda: status.state == "refused", timeout=20_000)
    assert status.online_label.text() == "● Token refused — reconnect this till"
    assert status.online is False
    assert status.reconnect_button.isVisible()
    assert "refused this till's device token" in status.problem_label.text()
    assert app.window.browser.model.rowCount() == 50  # the catalog stays usable

    added = live_shop.cli("device", "add", "till-again")
    new_token = added.stdout.strip().splitlines()[-1]
    qtbot.mouseClick(status.reconnect_button, Qt.MouseButton.LeftButton)
    dialog = app.window.findChild(FirstRunWizard)
    assert dialog is not None and dialog.isVisible()
    assert dialog.windowTitle() == "Reconnect this till"
    assert dialog.url_edit.text() == live_shop.url and dialog.url_edit.isReadOnly()
    assert not dialog.demo_button.isVisible()

    qtbot.keyClicks(dialog.token_edit, "not-a-token")
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result_label.text().startswith("✖"), timeout=10_000)
    assert not dialog.connect_button.isEnabled()
    assert status.state == "refused"  # a wrong token changes nothing

    dialog.token_edit.clear()
    qtbot.keyClicks(dialog.token_edit, new_token)
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.connect_button.isEnabled, timeout=10_000)
    qtbot.mouseClick(dialog.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status.state == "online", timeout=15_000)
    assert status.reconnect_button.isHidden() and status.problem_label.isHidden()

    assert memory_keyring.get_password(KEYRING_SERVICE, live_shop.url) == new_token
    saved = Settings.load(app.settings.data_dir).connection
    assert saved is not None and saved.device_name == "till-again" and saved.device_id != live_shop.device_id

    # Syncing really resumed with the new token: a deletion in the shop reaches the window.
    victim = all_products(live_shop)[0]["id"]
    assert live_shop.admin_delete(f"products/{victim}").status_code in (200, 204)
    qtbot.waitUntil(lambda: app.window.browser.model.rowCount() == 49, timeout=15_000)


def test_protocol_and_internal_problems_look_distinct_and_keep_their_detail(qtbot):
    status = StatusArea(None)
    qtbot.addWidget(status)
    status.show()
    status.on_connected(Connected("Shop", 10))
    detail = "The shop sent data this till refused; nothing was changed. product 7: price must be an integer"
    status.on_problem(ProblemReported("protocol", detail))
    assert status.problem_label.text() == (
        "⚠ The shop sent a page Countertop could not read; nothing was changed."
    )
    assert status.problem_label.toolTip() == detail
    assert status.state == "online"  # the shop answered: it is the page that was refused
    assert status.details_button.isVisible()
    qtbot.mouseClick(status.details_button, Qt.MouseButton.LeftButton)
    assert status.details_box is not None and status.details_box.isVisible()
    assert status.details_box.informativeText() == detail
    status.details_box.close()

    # Reconnecting on the next attempt does not hide a refused page: only catching up does.
    status.on_connected(Connected("Shop", 10))
    assert status.problem_kind == "protocol" and status.problem_label.isVisible()

    status.on_problem(ProblemReported("internal", "Sync failed: disk I/O error"))
    assert status.problem_label.text() == "⚠ Sync failed inside Countertop; the replica keeps what it had."
    assert status.problem_label.toolTip() == "Sync failed: disk I/O error"
    assert status.details_button.isVisible() and status.reconnect_button.isHidden()

    cut = "The shop's catalog download was cut short at 40,000 of 45,000 customer records (part 6 of 7)"
    status.on_problem(ProblemReported("snapshot", cut))
    assert status.problem_label.text() == (
        "⚠ The shop's catalog download was cut short; the till keeps what it has and will resume."
    )
    assert status.problem_label.toolTip() == cut and status.details_button.isVisible()

    status.on_problem(ProblemReported("auth", "The shop refused the device token (401)."))
    assert status.state == "refused" and status.reconnect_button.isVisible()
    assert status.online_label.text() == "● Token refused — reconnect this till"

    status.on_caught_up(CaughtUp(cursor=11, at="2024-03-01T12:00:00Z"))
    assert status.state == "online" and status.problem_label.isHidden()
    assert status.details_button.isHidden() and status.reconnect_button.isHidden()


def test_a_refused_token_from_the_environment_says_to_change_it_there(qtbot):
    status = StatusArea(None)
    qtbot.addWidget(status)
    status.show()
    status.token_env = TOKEN_ENV  # open_window sets this when the token comes from the environment
    status.on_problem(ProblemReported("auth", "The shop refused the device token (401)."))
    assert status.state == "refused" and status.reconnect_button.isVisible()
    assert f"The token comes from the environment variable {TOKEN_ENV}: change it there too" in (
        status.problem_label.text()
    )
    assert "the next start is refused again" in status.problem_label.text()
