"""A shift at the till by keyboard only: sign in (a wrong PIN first), sell without a shift (the screen
offers to open one), a float with a bad count then a good one, a sale, a pay-out, an X report as a
PDF, a blind close whose variance a manager approves with their PIN, the Z report."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt

from pos.domain.money import Money
from pos.ui.cash.close_shift import CloseShiftDialog
from pos.ui.cash.movement import CashMovementDialog
from pos.ui.cash.open_shift import OpenShiftDialog
from pos.ui.cash.report_view import ReportDialog
from pos.ui.sell.payment_dialog import PaymentDialog
from pos.ui.staff.approval import ApprovalDialog
from tests.ui import sell_support
from tests.ui.sell_support import active_dialog, query, save_png, scan, staff_member, variants
from tests.ui.staff_support import type_name_and_pin
from tests.ui.till_support import till_window

sell_shop, replica, ui_tasks = sell_support.sell_shop, sell_support.replica, sell_support.ui_tasks
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def shift_dialog(qtbot, window, kind):
    qtbot.waitUntil(lambda: isinstance(window.shift.dialog, kind) and window.shift.dialog.isActiveWindow(),
                    timeout=5000)  # fmt: skip
    return window.shift.dialog


def approval_dialog(qtbot, approvals) -> ApprovalDialog:
    qtbot.waitUntil(lambda: approvals.dialog is not None and approvals.dialog.isActiveWindow(), timeout=5000)
    dialog = approvals.dialog
    qtbot.waitUntil(lambda: dialog.people.model.rowCount() > 0, timeout=5000)
    return dialog


def test_a_shift_from_sign_in_to_the_z_report_by_keyboard(qtbot, replica, ui_tasks, tmp_path):
    window = till_window(qtbot, replica, ui_tasks, tmp_path)
    lock, sell = window.lock, window.sell
    assert lock.locked and window.status_area.person_label.text() == "Locked: sign in"
    assert lock.screen.people.filter_edit.hasFocus()
    save_png(qtbot, window, "till-locked")

    # A wrong PIN is refused in words; the right one signs Sam in.
    with qtbot.waitSignal(lock.screen.refused, timeout=5000) as refused:
        type_name_and_pin(qtbot, lock.screen.people, "sam", "9999")
    assert refused.args[0] == "Wrong PIN for Sam Cashier (4 more tries before a lock)"
    assert lock.locked and lock.screen.people.pin_edit.text() == ""
    save_png(qtbot, window, "till-wrong-pin")
    with qtbot.waitSignal(lock.changed, timeout=5000):
        qtbot.keyClicks(lock.screen.people.pin_edit, "1111")
        qtbot.keyClick(lock.screen.people.pin_edit, Qt.Key.Key_Return)
    assert not lock.locked and window.selling.who.actor.name == "Sam Cashier"
    assert window.status_area.person_label.text() == "Signed in: Sam Cashier (cashier) · F11 switch"
    qtbot.waitUntil(lambda: sell.shift_label.isVisible() and sell.scan_edit.hasFocus(), timeout=5000)

    # No shift: F12 says so and offers to open one; Enter takes the offer.
    variant = variants(replica)[0]
    scan(qtbot, sell, variant["barcode"])
    qtbot.keyClick(sell.scan_edit, Qt.Key.Key_F12)
    qtbot.waitUntil(lambda: sell.dialog is not None and sell.dialog.objectName() == "offerShift"
                    and sell.dialog.isActiveWindow(), timeout=5000)  # fmt: skip
    assert "No shift is open" in sell.message
    save_png(qtbot, window, "sell-no-shift")
    qtbot.keyClick(sell.dialog, Qt.Key.Key_Return)
    opening = shift_dialog(qtbot, window, OpenShiftDialog)

    # A negative count and a word are refused with the note named; nothing is saved.
    grid = opening.grid
    assert grid.values[:2] == (50000, 20000) and grid.edits[50000].hasFocus()
    qtbot.keyClicks(grid.edits[50000], "-1")
    qtbot.keyClick(grid.edits[50000], Qt.Key.Key_Return)  # Enter: the next field
    assert grid.edits[20000].hasFocus()
    qtbot.keyClicks(grid.edits[20000], "two")
    with qtbot.waitSignal(opening.refused, timeout=5000) as refused:
        qtbot.keyClick(grid.edits[20000], Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert "500.00 EUR: '-1' is negative" in refused.args[0]
    assert refused.args[0].endswith("Nothing was saved.")
    assert query(replica, "SELECT count(*) FROM cash_session") == [(0,)]
    save_png(qtbot, opening, "open-shift-refused")
    for value, count in ((50000, ""), (20000, ""), (2000, "2"), (1000, "3"), (200, "5")):  # 80.00
        grid.edits[value].setFocus()
        grid.edits[value].selectAll()
        qtbot.keyClick(grid.edits[value], Qt.Key.Key_Backspace)
        qtbot.keyClicks(grid.edits[value], count)
    assert grid.total_label.text() == "Counted  €80.00"
    with qtbot.waitSignal(window.shift.state_changed, timeout=5000):
        qtbot.keyClick(grid.edits[200], Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not sell.shift_label.isVisible() and sell.scan_edit.hasFocus(), timeout=5000)
    assert sell.message == "Shift open with a float of €80.00. Ready to sell."
    [(opened_by, float_count)] = query(replica, "SELECT opened_by, float_count FROM cash_session")
    assert opened_by == staff_member(replica, "Sam Cashier").id
    assert float_count == '[{"value":2000,"count":2},{"value":1000,"count":3},{"value":200,"count":5}]'

    # The cart waited: F12, exact cash.
    price = variant["price"]
    qtbot.keyClick(sell.scan_edit, Qt.Key.Key_F12)
    pay = active_dialog(qtbot, sell, PaymentDialog)
    with qtbot.waitSignal(sell.sale_completed, timeout=10_000):
        qtbot.keyClick(pay.amount_edit, Qt.Key.Key_Return)
    qtbot.keyClick(pay, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: sell.dialog is None and sell.scan_edit.hasFocus(), timeout=5000)
    assert query(replica, "SELECT staff_id FROM sale") == [(staff_member(replica, "Sam Cashier").id,)]

    # Pay out 12.50 for the window cleaner; more than the drawer holds is refused.
    qtbot.keyClick(sell.scan_edit, Qt.Key.Key_U, CTRL_SHIFT)
    payout = shift_dialog(qtbot, window, CashMovementDialog)
    qtbot.keyClicks(payout.amount_edit, "5000")
    qtbot.keyClick(payout.amount_edit, Qt.Key.Key_Return)
    qtbot.keyClicks(payout.reason_edit, "window cleaner")
    with qtbot.waitSignal(payout.refused, timeout=5000) as refused:
        qtbot.keyClick(payout.reason_edit, Qt.Key.Key_Return)
    drawer = 8000 + price
    assert refused.args[0] == (f"Cannot pay out {Money(500000, 'EUR')}: the drawer holds only "
                               f"{Money(drawer, 'EUR')}. Nothing was saved.")  # fmt: skip
    # The refusal's lines made the dialog taller rather than squashing its question and fields.
    qtbot.wait(60)
    assert payout.height() >= payout.heightForWidth(payout.width())
    assert payout.amount_edit.height() >= payout.amount_edit.minimumSizeHint().height()
    payout.amount_edit.setFocus()
    payout.amount_edit.selectAll()
    qtbot.keyClicks(payout.amount_edit, "12.50")
    save_png(qtbot, payout, "pay-out")
    with qtbot.waitSignal(window.shift.state_changed, timeout=5000):
        qtbot.keyClick(payout.amount_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    drawer -= 1250
    assert sell.message == f"Pay out of €12.50 recorded. The drawer should hold €{Decimal(drawer) / 100:.2f}."
    assert query(replica, "SELECT kind, reason, amounts FROM cash_event WHERE kind = 'pay_out'") == [
        ("pay_out", "window cleaner", '{"cash":1250}')
    ]

    # X report, printed as a PDF (no report printer on this till).
    qtbot.waitUntil(lambda: window.shift.dialog is None)
    qtbot.keyClick(sell.scan_edit, Qt.Key.Key_X, CTRL_SHIFT)
    report = shift_dialog(qtbot, window, ReportDialog)
    assert "X report" in report.windowTitle()
    qtbot.keyClick(report, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "saved as a PDF" in report.print_status.text(), timeout=10_000)
    assert len(list((tmp_path / "reports").glob("X-report-*.pdf"))) == 1
    save_png(qtbot, report, "x-report")
    qtbot.keyClick(report, Qt.Key.Key_Return)

    # Blind close, 20.00 short: above the 5.00 limit, so Alex approves with his PIN (a wrong one first).
    qtbot.waitUntil(lambda: window.shift.dialog is None and sell.scan_edit.hasFocus(), timeout=5000)
    qtbot.keyClick(sell.scan_edit, Qt.Key.Key_C, CTRL_SHIFT)
    closing = shift_dialog(qtbot, window, CloseShiftDialog)
    # Blind: the cash the till expects is nowhere on the dialog before the count.
    shown = " ".join(w.text() for w in closing.findChildren(type(sell.message_label)))
    whole, cents = divmod(drawer, 100)
    assert f"{whole}.{cents:02d}" not in shown and f"{whole},{cents:02d}" not in shown, shown
    counted = drawer - 2000
    notes, rest = divmod(counted, 1000)
    grid = closing.grid
    qtbot.keyClicks(grid.edits[1000], str(notes))
    for value in grid.values:  # the rest in coins of one cent... counted as whole pieces
        if rest and value <= rest and value < 1000:
            grid.edits[value].setFocus()
            qtbot.keyClicks(grid.edits[value], str(rest // value))
            rest %= value
    assert grid.total() == counted
    save_png(qtbot, closing, "close-shift-blind")
    closing.card_edit.setFocus()
    qtbot.keyClick(closing.card_edit, Qt.Key.Key_Return)
    approvals = window.approvals
    approving = approval_dialog(qtbot, approvals)
    short, limit = Money(-2000, "EUR"), Money(500, "EUR")
    assert approving.what.text() == (f"To close a cash session with a variance of {short} (more than "
                                     f"{limit}) a cashier needs a manager's approval.")  # fmt: skip
    assert [approving.people.model.member_at(r).name for r in range(approving.people.model.rowCount())] == [
        "Alex Manager"
    ]
    with qtbot.waitSignal(approving.refused, timeout=5000) as refused:
        type_name_and_pin(qtbot, approving.people, "alex", "0000")
    assert refused.args[0].startswith("Wrong PIN for Alex Manager")
    assert query(replica, "SELECT closed_at FROM cash_session") == [(None,)]
    save_png(qtbot, approving, "approval-wrong-pin")
    with qtbot.waitSignal(closing.closed_shift, timeout=5000) as closed:
        qtbot.keyClicks(approving.people.pin_edit, "1234")
        qtbot.keyClick(approving.people.pin_edit, Qt.Key.Key_Return)
    z = closed.args[0]
    assert z.variance.minor == -2000
    z_dialog = shift_dialog(qtbot, window, ReportDialog)
    assert z_dialog.windowTitle() == "Z report"
    # The Z report is printed at once.
    qtbot.waitUntil(lambda: "saved as a PDF" in z_dialog.print_status.text(), timeout=10_000)
    variance = z_dialog.findChild(type(sell.message_label), "variance")
    assert variance.text() == "-€20.00" and variance.property("state") == "short"
    save_png(qtbot, z_dialog, "z-report")
    alex = staff_member(replica, "Alex Manager").id
    [(closed_at, approved_by)] = query(replica, "SELECT closed_at, approved_by FROM cash_session")
    assert closed_at and approved_by == alex
    [(action_by, approver)] = query(replica, "SELECT staff_id, approved_by FROM audit_log "
                                             "WHERE action = 'cash.close'")  # fmt: skip
    assert (action_by, approver) == (staff_member(replica, "Sam Cashier").id, alex)
    assert query(replica, "SELECT count(*) FROM outbox WHERE type = 'cash.session'") == [(1,)]
    qtbot.keyClick(z_dialog, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: sell.shift_label.isVisible(), timeout=5000)
    assert sell.message.startswith("Shift closed: cash short by €20.00.")
