"""Sync problems: a sale the real shop rejects is parked and listed; send again, or discard (asked)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from pos.domain.tender import Tender
from pos.services.checkout import CheckoutService
from pos.services.sync_problems import SyncProblems
from pos.store.outbox import SqliteOutbox
from pos.store.replica import SqliteReplica
from pos.ui import launcher
from pos.ui.sync_problems import SyncProblemsDialog
from sync.connectors.countertop import CountertopConnector
from sync.engine import SyncEngine
from tests.ui import sell_support
from tests.ui.sell_support import query, save_png, variants

sell_shop, replica, ui_tasks = sell_support.sell_shop, sell_support.replica, sell_support.ui_tasks


def rejected_sale(replica: Any, shop: Any) -> str:
    """Sell an item the shop deletes before the till pushes: the shop rejects that sale."""
    checkout = CheckoutService(replica)
    variant = variants(replica)[-1]
    cart = checkout.new_cart()
    checkout.add_variant(cart, variant["id"])
    sale = checkout.checkout(cart, [Tender("card", cart.totals().total)])
    assert shop.admin_delete(f"products/{variant['product_id']}").status_code == 200
    connector = CountertopConnector(shop.url, shop.device_token)
    try:
        SyncEngine(SqliteReplica(replica), connector, outbox=SqliteOutbox(replica)).push_once()
    finally:
        connector.close()
    assert query(replica, "SELECT parked_status FROM outbox") == [("rejected",)]
    return sale.number


def open_dialog(qtbot: Any, problems: SyncProblems, tasks: Any) -> SyncProblemsDialog:
    launcher.make_application()
    dialog = SyncProblemsDialog(problems, tasks)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.listed, timeout=5000):
        dialog.show()
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


def test_parked_sale_listed_sent_again_then_discarded(qtbot, replica, ui_tasks, sell_shop):
    number = rejected_sale(replica, sell_shop.shop)
    nudges: list[int] = []
    dialog = open_dialog(qtbot, SyncProblems(replica, nudge=lambda: nudges.append(1)), ui_tasks)
    model = dialog.model
    assert model.rowCount() == 1
    assert number in model.index(0, 1).data()
    assert model.index(0, 2).data() == "Refused"
    assert model.index(0, 3).data()  # the shop's reason, for a person
    save_png(qtbot, dialog, "sync-problems")

    with qtbot.waitSignal(dialog.changed, timeout=5000):
        qtbot.keyClick(dialog.table, Qt.Key.Key_Return)  # send again: same id, back in the queue
    assert query(replica, "SELECT parked_status FROM outbox") == [(None,)]
    assert nudges == [1]
    qtbot.waitUntil(lambda: model.rowCount() == 0)

    rejected_again = SqliteOutbox(replica)  # the shop still refuses it: parked once more
    connector = CountertopConnector(sell_shop.shop.url, sell_shop.shop.device_token)
    try:
        SyncEngine(SqliteReplica(replica), connector, outbox=rejected_again).push_once()
    finally:
        connector.close()
    with qtbot.waitSignal(dialog.listed, timeout=5000):
        dialog.reload()
    assert model.rowCount() == 1
    assert query(replica, "SELECT count(*) FROM pending_stock") == [(1,)]

    qtbot.keyClick(dialog.table, Qt.Key.Key_Delete)
    box = dialog.confirm_box
    qtbot.waitUntil(box.isActiveWindow)
    qtbot.keyClick(box, Qt.Key.Key_Escape)  # keep it
    assert query(replica, "SELECT count(*) FROM outbox") == [(1,)]
    qtbot.keyClick(dialog.table, Qt.Key.Key_Delete)
    box = dialog.confirm_box
    qtbot.waitUntil(box.isActiveWindow)
    with qtbot.waitSignal(dialog.changed, timeout=5000):
        qtbot.keyClick(box, Qt.Key.Key_Return)  # discard
    assert query(replica, "SELECT count(*) FROM outbox") == [(0,)]
    assert query(replica, "SELECT count(*) FROM pending_stock") == [(0,)]
    qtbot.waitUntil(lambda: model.rowCount() == 0)
