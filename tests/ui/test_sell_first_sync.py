"""A new till: the sell screen opens before the shop has arrived and becomes usable when it has."""

from __future__ import annotations

from PySide6.QtCore import Qt


def test_a_new_till_opened_while_the_shop_is_down_can_sell_once_its_first_sync_is_done(
    qtbot, live_shop, open_app
):
    products = live_shop.admin_get("products", params={"limit": 5}).json()
    barcode = next(v["barcode"] for p in products for v in p["variants"] if v["barcode"])
    live_shop.stop()
    app = open_app(live_shop)
    sell = app.window.sell
    assert app.window.tabs.currentWidget() is sell
    qtbot.waitUntil(lambda: "has not loaded its shop" in sell.message, timeout=10_000)
    assert sell.message_state == "error"

    live_shop.start()
    qtbot.waitUntil(lambda: sell.message == "Ready to sell: scan an item.", timeout=30_000)
    with qtbot.waitSignal(sell.message_shown, timeout=5000):
        qtbot.keyClicks(sell.scan_edit, barcode)
        qtbot.keyClick(sell.scan_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: sell.model.rowCount() == 1)
    assert sell.message_state != "error", sell.message
