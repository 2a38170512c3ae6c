"""Who may do what at the sell screen: the idle lock and F11, a cashier's discount above the limit
approved by a manager's PIN, a cashier's void, a warehouse user kept from the payment, and the
manager's audit log."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from pos.domain.permissions import MATRIX, Outcome, Permission, Role
from pos.settings import Settings, SettingsError
from pos.ui.audit.screen import AuditLogDialog
from pos.ui.sell.payment_dialog import PaymentDialog
from pos.ui.sell.prompt import PromptDialog
from pos.ui.staff.approval import ApprovalDialog
from tests.ui import sell_support
from tests.ui.sell_support import (
    active_dialog,
    make_selling,
    open_screen,
    query,
    save_png,
    scan,
    signed_in_as,
    staff_member,
    variants,
)
from tests.ui.staff_support import open_shift_by_keyboard, sign_in, type_name_and_pin
from tests.ui.till_support import till_window

sell_shop, replica, ui_tasks = sell_support.sell_shop, sell_support.replica, sell_support.ui_tasks


def approval(qtbot, screen_or_window) -> ApprovalDialog:
    approvals = screen_or_window.approvals
    qtbot.waitUntil(lambda: isinstance(approvals.dialog, ApprovalDialog)
                    and approvals.dialog.isActiveWindow(), timeout=5000)  # fmt: skip
    dialog = approvals.dialog
    qtbot.waitUntil(lambda: dialog.people.model.rowCount() > 0, timeout=5000)
    return dialog


def test_idle_lock_and_switch_cashier(qtbot, replica, ui_tasks, tmp_path):
    window = till_window(qtbot, replica, ui_tasks, tmp_path, idle_seconds=0.4)
    who = window.selling.who
    sign_in(qtbot, window, "Sam Cashier", "1111")
    assert who.actor.name == "Sam Cashier" and not window.lock.locked
    qtbot.waitUntil(lambda: window.sell.scan_edit.hasFocus(), timeout=5000)
    for _ in range(4):  # typing keeps the till awake
        qtbot.wait(150)
        qtbot.keyClick(window.sell.scan_edit, Qt.Key.Key_1)
    assert not window.lock.locked
    with qtbot.waitSignal(window.lock.changed, timeout=3000) as locked:
        pass  # idle: nothing typed for 0.4 s
    assert locked.args[0] is None and window.lock.locked and who.actor is None
    assert window.lock.screen.why.text() == "Locked after 1 s without use."
    assert window.status_area.person_label.text() == "Locked: sign in"
    assert not window.shift.actions["open_shift"].isEnabled()  # nothing behind the lock is usable
    assert window.lock.screen.people.filter_edit.hasFocus()

    sign_in(qtbot, window, "Alex Manager", "1234")
    assert who.actor.name == "Alex Manager"
    with qtbot.waitSignal(window.lock.changed, timeout=3000):
        qtbot.keyClick(window.focusWidget(), Qt.Key.Key_F11)  # switch cashier: locks at once
    assert window.lock.locked and who.actor is None
    assert window.lock.screen.why.text() == "Switch cashier: the next person signs in."
    [(signs,)] = query(replica, "SELECT count(*) FROM audit_log WHERE action = 'staff.sign_in'")
    assert signs == 2


def test_a_cashiers_discount_above_the_limit_needs_a_manager(qtbot, replica, ui_tasks):
    sam = signed_in_as(replica, "Sam Cashier", "1111")
    screen = open_screen(qtbot, make_selling(replica, who=sam), ui_tasks)
    variant = max(variants(replica)[:5], key=lambda v: v["price"])
    scan(qtbot, screen, variant["barcode"])

    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F4)
    prompt = active_dialog(qtbot, screen, PromptDialog)
    qtbot.keyClicks(prompt.edit, "10%")  # at the limit: no manager needed
    with qtbot.waitSignal(screen.cart_shown, timeout=5000):
        qtbot.keyClick(prompt.edit, Qt.Key.Key_Return)
    assert screen.approvals.dialog is None and screen.view.lines[0].discount_text == "10 %"

    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F4)
    prompt = active_dialog(qtbot, screen, PromptDialog)
    prompt.edit.selectAll()
    qtbot.keyClicks(prompt.edit, "30%")
    qtbot.keyClick(prompt.edit, Qt.Key.Key_Return)
    dialog = approval(qtbot, screen)
    assert dialog.what.text().startswith("To give a line discount of 30 % (more than the 10 % limit)")
    assert screen.view.lines[0].discount_text == "10 %"  # unchanged until a manager says yes
    save_png(qtbot, dialog, "approval-discount")
    with qtbot.waitSignal(screen.cart_shown, timeout=5000):
        type_name_and_pin(qtbot, dialog.people, "Alex", "1234")
    assert screen.view.lines[0].discount_text == "30 %"
    qtbot.waitUntil(lambda: screen.scan_edit.hasFocus(), timeout=5000)
    [(who, approver)] = query(replica, "SELECT staff_id, approved_by FROM audit_log "
                                       "WHERE action = 'discount.line'")  # fmt: skip
    assert (who, approver) == (sam.actor.id, staff_member(replica, "Alex Manager").id)

    # Del: a cashier's void needs a manager too; Esc in the approval keeps the line.
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_Delete)
    dialog = approval(qtbot, screen)
    assert dialog.what.text() == "To void a line a cashier needs a manager's approval."
    with qtbot.waitSignal(screen.message_shown, timeout=5000):
        qtbot.keyClick(dialog.people.filter_edit, Qt.Key.Key_Escape)
    assert screen.message == "Not approved: nothing changed." and len(screen.view.lines) == 1
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_Delete)
    dialog = approval(qtbot, screen)
    with qtbot.waitSignal(screen.cart_shown, timeout=5000):
        type_name_and_pin(qtbot, dialog.people, "Alex", "1234")
    assert screen.view.is_empty
    assert query(replica, "SELECT count(*) FROM audit_log WHERE action = 'void.line'") == [(1,)]


def test_a_warehouse_user_cannot_take_payment(qtbot, replica, ui_tasks):
    jo = signed_in_as(replica, "Jo Warehouse", "2222")
    screen = open_screen(qtbot, make_selling(replica, who=jo), ui_tasks)
    screen.person_changed(jo.actor)
    assert not screen.buttons["F12"].isEnabled()
    scan(qtbot, screen, variants(replica)[0]["barcode"])
    with qtbot.waitSignal(screen.message_shown, timeout=5000):
        qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F12)
    assert screen.message == "A warehouse may not sell: ask a cashier or a manager."
    assert screen.dialog is None or not isinstance(screen.dialog, PaymentDialog)
    keeper = screen.keeper  # the service refuses too, whatever the screen shows
    try:
        keeper.checkout([])
    except Exception as exc:  # the refusal itself is what is checked
        assert "a warehouse may not sell" in str(exc)
    else:
        raise AssertionError("the checkout took a sale from a warehouse user")
    assert query(replica, "SELECT count(*) FROM sale") == [(0,)]


def test_each_key_is_greyed_by_its_own_permission(qtbot, replica, ui_tasks, monkeypatch):
    jo = signed_in_as(replica, "Jo Warehouse", "2222")
    screen = open_screen(qtbot, make_selling(replica, who=jo), ui_tasks)
    screen.person_changed(jo.actor)
    greyed = {key for key, button in screen.buttons.items() if not button.isEnabled()}
    assert greyed == {"F4", "F5", "Del", "F7", "F8", "F9", "F12", "Ctrl+Del"}  # searching stays open

    sam = signed_in_as(replica, "Sam Cashier", "1111")
    screen = open_screen(qtbot, make_selling(replica, who=sam), ui_tasks)
    screen.person_changed(sam.actor)
    assert all(button.isEnabled() for button in screen.buttons.values())  # voids ask for a manager

    cashier = MATRIX[Role.CASHIER]
    monkeypatch.setitem(cashier, Permission.PARK_CART, Outcome.REFUSED)
    monkeypatch.setitem(cashier, Permission.RETURN_WITH_RECEIPT, Outcome.REFUSED)
    screen.person_changed(sam.actor)
    greyed = {key for key, button in screen.buttons.items() if not button.isEnabled()}
    assert greyed == {"F7"}  # F9 stays: a refund without a receipt may still be approved
    monkeypatch.setitem(cashier, Permission.REFUND_WITHOUT_RECEIPT, Outcome.REFUSED)
    screen.person_changed(sam.actor)
    assert {key for key, button in screen.buttons.items() if not button.isEnabled()} == {"F7", "F9"}
    screen.person_changed(None)  # the till locked: nothing is refused to nobody
    assert all(button.isEnabled() for button in screen.buttons.values())


def test_the_audit_log_is_for_managers(qtbot, replica, ui_tasks, tmp_path):
    window = till_window(qtbot, replica, ui_tasks, tmp_path)
    sign_in(qtbot, window, "Sam Cashier", "1111")
    assert not window.audit_action.isEnabled()  # greyed for a cashier; the service refuses anyway
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_F11)
    sign_in(qtbot, window, "Alex Manager", "1234")
    assert window.audit_action.isEnabled()
    keys = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_A, keys)
    qtbot.waitUntil(lambda: isinstance(window.audit_dialog, AuditLogDialog), timeout=5000)
    dialog = window.audit_dialog
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 2, timeout=5000)  # two sign-ins
    assert {dialog.model.index(r, 1).data() for r in range(2)} == {"Sam Cashier", "Alex Manager"}
    assert dialog.model.index(0, 2).data() == "signed in"
    save_png(qtbot, dialog, "audit-log")
    with qtbot.waitSignal(dialog.listed, timeout=5000):
        dialog.person.setCurrentIndex(dialog.person.findText("Sam Cashier"))
    assert dialog.model.rowCount() == 1 and dialog.model.index(0, 1).data() == "Sam Cashier"
    with qtbot.waitSignal(dialog.listed, timeout=5000):
        dialog.action.setCurrentIndex(dialog.action.findData("cash.close"))
    assert dialog.model.rowCount() == 0
    dialog.close()

    # Sam leaves: the shop revokes Sam, and the log still names what Sam did.
    import sqlite3

    con = sqlite3.connect(str(replica.replica_path))
    with con:
        con.execute("UPDATE staff SET active = 0 WHERE name = 'Sam Cashier'")
    con.close()
    window.open_audit_log()
    again = window.audit_dialog
    assert isinstance(again, AuditLogDialog) and again is not dialog
    qtbot.waitUntil(lambda: again.model.rowCount() == 2, timeout=5000)
    assert {again.model.index(r, 1).data() for r in range(2)} == {"Sam Cashier (left)", "Alex Manager"}
    assert again.person.findText("Sam Cashier (left)") >= 0


def test_a_drawer_opened_without_a_sale_needs_a_manager_and_a_reason(qtbot, replica, ui_tasks, tmp_path):
    window = till_window(qtbot, replica, ui_tasks, tmp_path)
    sign_in(qtbot, window, "Sam Cashier", "1111")
    open_shift_by_keyboard(qtbot, window, {1000: "4"})
    qtbot.waitUntil(lambda: window.shift.dialog is None and window.sell.scan_edit.hasFocus(), timeout=5000)
    keys = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(window.sell.scan_edit, Qt.Key.Key_N, keys)
    qtbot.waitUntil(lambda: isinstance(window.shift.dialog, PromptDialog)
                    and window.shift.dialog.isActiveWindow(), timeout=5000)  # fmt: skip
    prompt = window.shift.dialog
    qtbot.keyClick(prompt.edit, Qt.Key.Key_Return)  # no reason: refused in the prompt
    assert prompt.error.text() == "Say why the drawer opens: a reason is needed."
    qtbot.keyClicks(prompt.edit, "change for the bakery next door")
    qtbot.keyClick(prompt.edit, Qt.Key.Key_Return)
    dialog = approval(qtbot, window)
    assert dialog.what.text() == "To open the drawer without a sale a cashier needs a manager's approval."
    with qtbot.waitSignal(window.shift.message, timeout=5000):
        type_name_and_pin(qtbot, dialog.people, "Alex", "1234")
    qtbot.waitUntil(lambda: "no cash drawer is set up" in window.sell.message, timeout=5000)
    [(who, reason, approver)] = query(replica, "SELECT staff_id, reason, approved_by FROM audit_log "
                                               "WHERE action = 'drawer.open'")  # fmt: skip
    sam, alex = staff_member(replica, "Sam Cashier").id, staff_member(replica, "Alex Manager").id
    assert (who, reason, approver) == (sam, "change for the bakery next door", alex)


def test_the_idle_lock_setting_is_typed(tmp_path):
    settings = Settings(tmp_path)
    assert settings.idle_lock_seconds == 300
    settings.idle_lock_seconds = 0  # never lock
    settings.save()
    assert Settings.load(tmp_path).idle_lock_seconds == 0
    for bad in ("300", -1, 1.5, True):
        (tmp_path / "settings.json").write_text(json.dumps({"idle_lock_seconds": bad}))
        with pytest.raises(SettingsError, match="'idle_lock_seconds' must be whole seconds"):
            Settings.load(tmp_path)


@pytest.mark.parametrize("first", ["the window's re-read", "a service's own check"])
def test_the_shop_revoking_the_person_signed_in_locks_the_till(qtbot, replica, ui_tasks, tmp_path, first):
    import sqlite3

    from sync.events import ChangesApplied
    from sync.ports import AppliedChanges

    window = till_window(qtbot, replica, ui_tasks, tmp_path)
    alex = sign_in(qtbot, window, "Alex Manager", "1234")
    assert window.audit_action.isEnabled()

    def shop_sets(sql: str) -> None:
        con = sqlite3.connect(str(replica.replica_path))
        with con:
            con.execute(sql, (alex.id,))
        con.close()

    # The shop demotes Alex: the menus follow at once.
    shop_sets("UPDATE staff SET role = 'cashier', version = version + 1 WHERE id = ?")
    window.on_changes_applied(ChangesApplied(AppliedChanges(upserted={"staff": {alex.id}}), 40, 40))
    qtbot.waitUntil(lambda: not window.audit_action.isEnabled(), timeout=5000)
    assert "Alex Manager (cashier)" in window.status_area.person_label.text()

    # Then revokes Alex while Alex is signed in.
    shop_sets("UPDATE staff SET active = 0, version = version + 1 WHERE id = ?")
    with qtbot.waitSignal(window.lock.changed, timeout=5000):
        if first == "a service's own check":  # an action on the db lane reads Alex first
            window.tasks.run(window.staffing.who.require, Permission.SELL, lane="db",
                             on_failure=lambda exc: None)  # fmt: skip
        else:
            window.on_changes_applied(ChangesApplied(AppliedChanges(upserted={"staff": {alex.id}}), 41, 41))
    # The other reader comes second and finds the till locked already: nothing changes.
    if first == "a service's own check":
        window.on_changes_applied(ChangesApplied(AppliedChanges(upserted={"staff": {alex.id}}), 41, 41))
    else:
        window.tasks.run(window.staffing.who.require, Permission.SELL, lane="db", on_failure=lambda exc: None)
    qtbot.waitUntil(lambda: window.tasks.pending() == 0, timeout=5000)
    assert window.lock.locked and window.staffing.who.actor is None
    why = window.lock.screen.why.text()
    assert why == "The shop has revoked Alex Manager's access: someone else signs in."


def test_a_till_locked_while_the_person_is_read_again_stays_locked(qtbot, replica, ui_tasks, tmp_path):
    import sqlite3

    from sync.events import ChangesApplied
    from sync.ports import AppliedChanges

    window = till_window(qtbot, replica, ui_tasks, tmp_path)
    alex = sign_in(qtbot, window, "Alex Manager", "1234")
    con = sqlite3.connect(str(replica.replica_path))
    with con:
        con.execute("UPDATE staff SET name = 'Alex Renamed', version = version + 1 WHERE id = ?", (alex.id,))
    con.close()
    window.on_changes_applied(ChangesApplied(AppliedChanges(upserted={"staff": {alex.id}}), 40, 40))
    window.lock.lock()  # F11 or idle, while the re-read is on its way
    qtbot.waitUntil(lambda: window.tasks.pending() == 0, timeout=5000)  # the re-read has answered
    assert window.lock.locked and window.staffing.who.actor is None
    assert not window.audit_action.isEnabled()
