"""Sync problems: a sale the real shop rejects is parked and listed; send again, or discard (asked)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from pos.domain.tender import Tender
from pos.services.checkout import CheckoutService
from pos.services.staff import StaffService
from pos.services.sync_problems import SyncProblems
from pos.store.outbox import SqliteOutbox
from pos.store.replica import SqliteReplica
from pos.ui import launcher
from pos.ui.staff.approval import Approvals
from pos.ui.sync_problems import SyncProblemsDialog
from sync.connectors.countertop import CountertopConnector
from sync.engine import SyncEngine
from tests.staffing import as_manager, open_shift
from tests.ui import sell_support
from tests.ui.sell_support import query, save_png, signed_in_as, staff_member, variants
from tests.ui.staff_support import type_name_and_pin

sell_shop, replica, ui_tasks = sell_support.sell_shop, sell_support.replica, sell_support.ui_tasks


def rejected_sale(replica: Any, shop: Any, which: int = -1) -> str:
    """Sell an item the shop deletes before the till pushes: the shop rejects that sale. The shop is
    the module's: each test deletes its own product (`which`)."""
    open_shift(replica)
    checkout = CheckoutService(replica, who=as_manager())
    variant = variants(replica)[which]
    cart = checkout.new_cart()
    checkout.add_variant(cart, variant["id"])
    sale = checkout.checkout(cart, [Tender("card", cart.totals().total)])
    assert shop.admin_delete(f"products/{variant['product_id']}").status_code == 200
    connector = CountertopConnector(shop.url, shop.device_token)
    try:
        SyncEngine(SqliteReplica(replica), connector, outbox=SqliteOutbox(replica)).push_once()
    finally:
        connector.close()
    assert query(replica, "SELECT parked_status FROM outbox WHERE type != 'audit.entry'") == [("rejected",)]
    return sale.number


def open_dialog(qtbot: Any, problems: SyncProblems, tasks: Any, approvals: Any = None) -> SyncProblemsDialog:
    launcher.make_application()
    dialog = SyncProblemsDialog(problems, tasks, approvals=approvals)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.listed, timeout=5000):
        dialog.show()
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


def test_parked_sale_listed_sent_again_then_discarded(qtbot, replica, ui_tasks, sell_shop):
    number = rejected_sale(replica, sell_shop.shop)
    nudges: list[int] = []
    problems = SyncProblems(replica, who=as_manager(), nudge=lambda: nudges.append(1))
    dialog = open_dialog(qtbot, problems, ui_tasks)
    model = dialog.model
    assert model.rowCount() == 1
    assert number in model.index(0, 1).data()
    assert model.index(0, 2).data() == "Refused"
    assert model.index(0, 3).data()  # the shop's reason, for a person
    save_png(qtbot, dialog, "sync-problems")

    with qtbot.waitSignal(dialog.changed, timeout=5000):
        qtbot.keyClick(dialog.table, Qt.Key.Key_Return)  # send again: same id, back in the queue
    assert query(replica, "SELECT parked_status FROM outbox WHERE type != 'audit.entry'") == [(None,)]
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
    assert query(replica, "SELECT count(*) FROM outbox WHERE type != 'audit.entry'") == [(1,)]
    qtbot.keyClick(dialog.table, Qt.Key.Key_Delete)
    box = dialog.confirm_box
    qtbot.waitUntil(box.isActiveWindow)
    with qtbot.waitSignal(dialog.changed, timeout=5000):
        qtbot.keyClick(box, Qt.Key.Key_Return)  # discard
    assert query(replica, "SELECT count(*) FROM outbox WHERE type != 'audit.entry'") == [(0,)]
    assert query(replica, "SELECT count(*) FROM pending_stock") == [(0,)]
    qtbot.waitUntil(lambda: model.rowCount() == 0)


def test_a_cashier_discards_only_with_a_managers_approval(qtbot, replica, ui_tasks, sell_shop):
    number = rejected_sale(replica, sell_shop.shop, which=-2)
    sam = signed_in_as(replica, "Sam Cashier", "1111")
    approvals = Approvals(StaffService(replica), sam, ui_tasks)
    dialog = open_dialog(qtbot, SyncProblems(replica, who=sam), ui_tasks, approvals)
    assert number in dialog.model.index(0, 1).data()
    qtbot.keyClick(dialog.table, Qt.Key.Key_Delete)
    box = dialog.confirm_box
    qtbot.waitUntil(box.isActiveWindow)
    qtbot.keyClick(box, Qt.Key.Key_Return)  # discard: the service asks for a manager
    qtbot.waitUntil(lambda: approvals.dialog is not None and approvals.dialog.isActiveWindow(), timeout=5000)
    approving = approvals.dialog
    assert approving.what.text() == "To discard a sync problem a cashier needs a manager's approval."
    qtbot.keyClick(approving.people.filter_edit, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: dialog.status.text() == "Not approved: nothing was discarded.", timeout=5000)
    assert query(replica, "SELECT count(*) FROM outbox WHERE parked_status IS NOT NULL") == [(1,)]

    qtbot.keyClick(dialog.table, Qt.Key.Key_Delete)
    box = dialog.confirm_box
    qtbot.waitUntil(box.isActiveWindow)
    qtbot.keyClick(box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: approvals.dialog is not None and approvals.dialog.isActiveWindow(), timeout=5000)
    with qtbot.waitSignal(dialog.changed, timeout=5000):
        type_name_and_pin(qtbot, approvals.dialog.people, "Alex", "1234")
    assert query(replica, "SELECT count(*) FROM outbox WHERE parked_status IS NOT NULL") == [(0,)]
    [(who, approver)] = query(replica, "SELECT staff_id, approved_by FROM audit_log "
                                       "WHERE action = 'sync.discard'")  # fmt: skip
    assert (who, approver) == (sam.actor.id, staff_member(replica, "Alex Manager").id)
