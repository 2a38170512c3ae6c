"""Sell screen keys by keyboard only: F2 search, the variant picker, F4/F5 discounts, the stock marker.

Expected figures come from the variants' prices in the replica and integer arithmetic here, never
from the screen's own model (the shop's prices include tax).
"""

from __future__ import annotations

import math
import sqlite3
from decimal import Decimal
from fractions import Fraction

from PySide6.QtCore import Qt

from pos.ui.sell.prompt import PromptDialog
from pos.ui.sell.search_dialog import ProductSearchDialog
from pos.ui.sell.variant_picker import VariantPicker
from tests.ui import sell_support
from tests.ui.sell_support import active_dialog, make_selling, open_screen, query, scan, variants

sell_shop, replica, ui_tasks = sell_support.sell_shop, sell_support.replica, sell_support.ui_tasks

TOOLTIP, FOREGROUND = Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.ForegroundRole


def euros(minor: int) -> str:
    return f"€{Decimal(minor) / 100:,.2f}"


def half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


def spread(amount: int, weights: list[int]) -> list[int]:
    """`amount` split in proportion to `weights`, largest remainders first (earlier wins ties)."""
    exact = [Fraction(amount * w, sum(weights)) for w in weights]
    parts = [math.floor(share) for share in exact]
    for i in sorted(range(len(parts)), key=lambda i: (parts[i] - exact[i], i))[: amount - sum(parts)]:
        parts[i] += 1
    return parts


def cart_rows(screen) -> list[tuple[str, ...]]:
    """The table as a cashier reads it: item, qty, unit price, discount, amount."""
    model = screen.model
    return [tuple(model.index(r, c).data() for c in range(5)) for r in range(model.rowCount())]


def tax_rows(replica, lines: list[tuple[dict, int, int]]) -> dict[str, str]:
    """{"incl. Standard rate 20 %": "€1.23"} for (variant, quantity, discount) lines, tax included."""
    taxes: dict[str, int] = {}
    for variant, quantity, discount in lines:
        [(name, rate)] = query(
            replica,
            "SELECT t.name, t.rate FROM product p JOIN tax_rate t ON t.id = p.tax_rate_id WHERE p.id = ?",
            variant["product_id"],
        )
        percent = Fraction(Decimal(str(rate)))
        label = f"incl. {name} {Decimal(str(rate)).normalize():f} %"
        paid = variant["price"] * quantity - discount
        taxes[label] = taxes.get(label, 0) + half_up(paid * percent / (100 + percent))
    return {label: euros(tax) for label, tax in taxes.items()}


def shown_stock(replica, variant_id: str) -> int:
    """The level at the till's selling location (the lowest location code) plus pending deltas."""
    [(level,)] = query(
        replica,
        """SELECT coalesce((SELECT i.quantity FROM inventory_level i JOIN location l ON l.id = i.location_id
                   WHERE i.variant_id = ? ORDER BY l.code LIMIT 1), 0)
                + coalesce((SELECT sum(delta) FROM pending_stock WHERE variant_id = ?), 0)""",
        variant_id, variant_id,
    )  # fmt: skip
    return level


def go_to_line(qtbot, screen, row: int) -> None:
    for _ in range(screen.model.rowCount()):
        qtbot.keyClick(screen.scan_edit, Qt.Key.Key_Up)
    for _ in range(row):
        qtbot.keyClick(screen.scan_edit, Qt.Key.Key_Down)


def open_prompt(qtbot, screen, key: Qt.Key) -> PromptDialog:
    qtbot.keyClick(screen.scan_edit, key)
    return active_dialog(qtbot, screen, PromptDialog)


def enter(qtbot, prompt: PromptDialog, text: str) -> None:
    prompt.edit.selectAll()
    qtbot.keyClicks(prompt.edit, text)
    qtbot.keyClick(prompt.edit, Qt.Key.Key_Return)


def search(qtbot, screen, text: str) -> ProductSearchDialog:
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F2)
    dialog = active_dialog(qtbot, screen, ProductSearchDialog)
    with qtbot.waitSignal(dialog.results_shown, timeout=5000):
        qtbot.keyClicks(dialog.edit, text)
    return dialog


def singles(replica) -> list[dict]:
    """Variants of products that have only one (the cart line reads as the product's title)."""
    return [v for v in variants(replica) if v["siblings"] == 1]


def several_prices(replica) -> list[dict]:
    """The variants (shop order) of the first product whose variants all cost something different."""
    by_product: dict[str, list[dict]] = {}
    for variant in variants(replica):
        by_product.setdefault(variant["product_id"], []).append(variant)
    for product_id, group in by_product.items():
        if len({v["price"] for v in group}) == len(group) == group[0]["siblings"] > 1:
            order = [row[0] for row in query(
                replica, "SELECT id FROM variant WHERE product_id = ? ORDER BY position", product_id
            )]  # fmt: skip
            return sorted(group, key=lambda v: order.index(v["id"]))
    raise AssertionError("the seeded shop has no product with variants at different prices")


def named(row: str, choices: list[dict]) -> dict:
    """The one variant whose SKU a picker row shows."""
    [variant] = [v for v in choices if v["sku"] in row]
    return variant


def picker_rows(picker: VariantPicker) -> list[str]:
    return [picker.model.index(r, 0).data() for r in range(picker.model.rowCount())]


def test_f2_finds_by_sku_and_enter_adds_the_item(qtbot, replica, ui_tasks):
    screen = open_screen(qtbot, make_selling(replica), ui_tasks)
    wanted = singles(replica)[0]
    dialog = search(qtbot, screen, wanted["sku"])
    assert dialog.list.currentIndex().data().startswith(wanted["title"])
    with qtbot.waitSignal(screen.cart_shown, timeout=5000):
        qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.dialog is None and screen.focusWidget() is screen.scan_edit)
    price = euros(wanted["price"])
    assert cart_rows(screen) == [(wanted["title"], "1", price, "", price)]
    assert screen.totals.total_label.text() == price
    assert screen.message == f"Added {wanted['title']}"


def test_f2_product_with_variants_opens_the_picker_and_arrows_pick(qtbot, replica, ui_tasks):
    screen = open_screen(qtbot, make_selling(replica), ui_tasks)
    several = several_prices(replica)
    dialog = search(qtbot, screen, several[0]["title"])
    assert dialog.list.currentIndex().data().startswith(several[0]["title"])
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)
    picker = active_dialog(qtbot, screen, VariantPicker)
    shown = picker_rows(picker)
    assert sorted(named(row, several)["sku"] for row in shown) == sorted(v["sku"] for v in several)
    second = named(shown[1], several)  # the row ↓ moves to, as the cashier reads it
    assert screen.model.rowCount() == 0  # nothing until a variant is picked
    qtbot.keyClick(picker.list, Qt.Key.Key_Down)
    with qtbot.waitSignal(screen.cart_shown, timeout=5000):
        qtbot.keyClick(picker.list, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.dialog is None and screen.focusWidget() is screen.scan_edit)
    [(item, quantity, unit, discount, amount)] = cart_rows(screen)
    assert item.startswith(several[0]["title"])
    assert (quantity, unit, discount, amount) == ("1", euros(second["price"]), "", euros(second["price"]))
    assert f"SKU {second['sku']}" in screen.model.index(0, 0).data(TOOLTIP)
    assert screen.totals.total_label.text() == euros(second["price"])


def test_f2_picker_lists_variants_in_the_shop_order(qtbot, replica, ui_tasks):
    several = several_prices(replica)
    by_id = sorted(v["id"] for v in several)
    con = sqlite3.connect(replica.replica_path)  # the shop's order is the reverse of the ids' order
    with con:
        con.executemany("UPDATE variant SET position = ? WHERE id = ?",
                        [(len(by_id) - n, vid) for n, vid in enumerate(by_id)])  # fmt: skip
    con.close()
    screen = open_screen(qtbot, make_selling(replica), ui_tasks)
    qtbot.keyClick(search(qtbot, screen, several[0]["title"]).edit, Qt.Key.Key_Return)
    shown = picker_rows(active_dialog(qtbot, screen, VariantPicker))
    in_shop_order = [sku for _pos, sku in sorted(query(
        replica, "SELECT position, sku FROM variant WHERE product_id = ?", several[0]["product_id"]
    ))]  # fmt: skip
    assert [named(row, several)["sku"] for row in shown] == in_shop_order


def test_escape_in_the_variant_picker_leaves_the_cart_untouched(qtbot, replica, ui_tasks):
    screen = open_screen(qtbot, make_selling(replica), ui_tasks)
    several = several_prices(replica)
    plain = singles(replica)[0]
    scan(qtbot, screen, plain["barcode"])
    qtbot.keyClick(search(qtbot, screen, several[0]["title"]).edit, Qt.Key.Key_Return)
    picker = active_dialog(qtbot, screen, VariantPicker)
    qtbot.keyClick(picker.list, Qt.Key.Key_Down)
    qtbot.keyClick(picker.list, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: screen.dialog is None and screen.focusWidget() is screen.scan_edit)
    scan(qtbot, screen, plain["barcode"])  # the db lane is serial: an add from Esc would show by now
    assert cart_rows(screen) == [(plain["title"], "2", euros(plain["price"]), "", euros(2 * plain["price"]))]
    assert screen.totals.total_label.text() == euros(2 * plain["price"])


def test_f4_line_discount_as_percent_and_as_amount(qtbot, replica, ui_tasks):
    screen = open_screen(qtbot, make_selling(replica), ui_tasks)
    a, b = [v for v in singles(replica) if v["price"] >= 500][:2]  # a 1.50 discount fits on each
    scan(qtbot, screen, f"3*{a['barcode']}")
    scan(qtbot, screen, b["barcode"])
    go_to_line(qtbot, screen, 0)
    with qtbot.waitSignal(screen.cart_shown, timeout=5000):
        enter(qtbot, open_prompt(qtbot, screen, Qt.Key.Key_F4), "10%")
    off_a = half_up(Fraction(3 * a["price"] * 10, 100))
    go_to_line(qtbot, screen, 1)
    with qtbot.waitSignal(screen.cart_shown, timeout=5000):
        enter(qtbot, open_prompt(qtbot, screen, Qt.Key.Key_F4), "1.50")
    qtbot.waitUntil(lambda: screen.dialog is None and screen.focusWidget() is screen.scan_edit)
    assert cart_rows(screen) == [
        (a["title"], "3", euros(a["price"]), f"10 %  −{euros(off_a)}", euros(3 * a["price"] - off_a)),
        (b["title"], "1", euros(b["price"]), f"−{euros(150)}", euros(b["price"] - 150)),
    ]
    subtotal = 3 * a["price"] + b["price"]
    assert screen.totals.rows[:2] == [("Subtotal", euros(subtotal)), ("Discounts", f"−{euros(off_a + 150)}")]
    assert dict(screen.totals.rows[2:]) == tax_rows(replica, [(a, 3, off_a), (b, 1, 150)])
    assert screen.totals.total_label.text() == euros(subtotal - off_a - 150)

    go_to_line(qtbot, screen, 0)  # "0" takes the discount off again
    with qtbot.waitSignal(screen.cart_shown, timeout=5000):
        enter(qtbot, open_prompt(qtbot, screen, Qt.Key.Key_F4), "0")
    assert cart_rows(screen)[0][3] == "" and screen.totals.total_label.text() == euros(subtotal - 150)


def test_f4_bad_discounts_say_why_and_change_nothing(qtbot, replica, ui_tasks):
    screen = open_screen(qtbot, make_selling(replica), ui_tasks)
    item = singles(replica)[0]
    scan(qtbot, screen, f"2*{item['barcode']}")
    before, total = cart_rows(screen), screen.totals.total_label.text()
    prompt = open_prompt(qtbot, screen, Qt.Key.Key_F4)
    for text, says in (
        ("abc", "is not an amount"),
        ("150%", "at most 100"),
        ("-10%", "above 0"),
        ("-1", "more than zero"),
        ("1.005", "more decimals"),
    ):
        enter(qtbot, prompt, text)
        assert prompt.isVisible() and says in prompt.error.text(), (text, prompt.error.text())
        assert prompt.error.isVisible() and cart_rows(screen) == before
    too_much = 2 * item["price"] + 1  # one cent above the line
    with qtbot.waitSignal(screen.message_shown, timeout=5000):
        enter(qtbot, prompt, f"{Decimal(too_much) / 100}")
    assert screen.message_state == "error"
    assert "is more than the line" in screen.message and item["title"] in screen.message
    assert screen.message[0].isupper(), screen.message  # a sentence, as the screen's other messages
    qtbot.waitUntil(lambda: screen.dialog is None and screen.focusWidget() is screen.scan_edit)
    assert cart_rows(screen) == before and screen.totals.total_label.text() == total

    enter(qtbot, open_prompt(qtbot, screen, Qt.Key.Key_F4), "xyz")
    qtbot.keyClick(screen.dialog.edit, Qt.Key.Key_Escape)  # Esc after a refusal: still nothing
    qtbot.waitUntil(lambda: screen.dialog is None and screen.focusWidget() is screen.scan_edit)
    scan(qtbot, screen, "4006381333931")  # a round trip through the db lane before looking again
    assert cart_rows(screen) == before and screen.totals.total_label.text() == total


def test_f5_cart_discount_is_spread_over_the_lines_to_the_cent(qtbot, replica, ui_tasks):
    screen = open_screen(qtbot, make_selling(replica), ui_tasks)
    lines = [(v, q) for v, q in zip(singles(replica)[::7][:3], (1, 2, 3), strict=True)]
    for variant, quantity in lines:
        scan(qtbot, screen, f"{quantity}*{variant['barcode']}")
    amounts = [v["price"] * q for v, q in lines]
    subtotal = sum(amounts)
    for typed, off, label in (("10%", half_up(Fraction(subtotal, 10)), "10 %"), ("1.00", 100, "€1.00")):
        with qtbot.waitSignal(screen.cart_shown, timeout=5000):
            enter(qtbot, open_prompt(qtbot, screen, Qt.Key.Key_F5), typed)
        shares = spread(off, amounts)
        assert sum(shares) == off
        assert cart_rows(screen) == [
            (v["title"], str(q), euros(v["price"]), f"−{euros(s)}", euros(a - s))
            for (v, q), a, s in zip(lines, amounts, shares, strict=True)
        ], typed
        assert screen.totals.rows[:2] == [
            ("Subtotal", euros(subtotal)), (f"Discounts (cart {label})", f"−{euros(off)}"),
        ]  # fmt: skip
        taxed = [(v, q, s) for (v, q), s in zip(lines, shares, strict=True)]
        assert dict(screen.totals.rows[2:]) == tax_rows(replica, taxed)
        assert screen.totals.total_label.text() == euros(subtotal - off)


def test_f5_bad_cart_discounts_say_why_and_change_nothing(qtbot, replica, ui_tasks):
    screen = open_screen(qtbot, make_selling(replica), ui_tasks)
    qtbot.keyClick(screen.scan_edit, Qt.Key.Key_F5)  # an empty cart: no dialog, a message
    assert screen.dialog is None and screen.message == "The cart is empty: scan an item first."
    a, b = singles(replica)[:2]
    scan(qtbot, screen, a["barcode"])
    scan(qtbot, screen, b["barcode"])
    before, total = cart_rows(screen), screen.totals.total_label.text()
    prompt = open_prompt(qtbot, screen, Qt.Key.Key_F5)
    for text, says in (("abc", "is not an amount"), ("150%", "at most 100"), ("0%x", "is not an amount")):
        enter(qtbot, prompt, text)
        assert prompt.isVisible() and says in prompt.error.text(), (text, prompt.error.text())
    with qtbot.waitSignal(screen.message_shown, timeout=5000):
        enter(qtbot, prompt, f"{Decimal(a['price'] + b['price'] + 1) / 100}")  # a cent above the cart
    assert screen.message_state == "error" and "is more than the cart comes to" in screen.message
    qtbot.waitUntil(lambda: screen.dialog is None and screen.focusWidget() is screen.scan_edit)
    assert cart_rows(screen) == before and screen.totals.total_label.text() == total
    assert [name for name, _value in screen.totals.rows if name.startswith("Discounts")] == []


def test_a_line_that_takes_stock_below_zero_is_marked(qtbot, replica, ui_tasks):
    screen = open_screen(qtbot, make_selling(replica), ui_tasks)
    low = min((v for v in singles(replica) if shown_stock(replica, v["id"]) > 0),
              key=lambda v: shown_stock(replica, v["id"]))  # fmt: skip
    plenty = next(v for v in singles(replica) if shown_stock(replica, v["id"]) >= 10)
    stock = shown_stock(replica, low["id"])
    scan(qtbot, screen, plenty["barcode"])
    scan(qtbot, screen, f"{stock}*{low['barcode']}")  # exactly the stock: none left, not below
    model = screen.model
    assert [model.index(r, 0).data() for r in (0, 1)] == [plenty["title"], low["title"]]
    assert model.index(1, 1).data(TOOLTIP) is None
    scan(qtbot, screen, low["barcode"])  # one more than the shelf holds
    assert model.index(1, 0).data() == f"⚠ {low['title']}" and model.index(1, 1).data() == str(stock + 1)
    assert "Stock goes below zero: -1 left after this sale" in model.index(1, 1).data(TOOLTIP)
    assert "Stock goes below zero" in model.index(1, 0).data(TOOLTIP)
    assert model.index(1, 0).data(FOREGROUND).color().name() == "#b3261e"
    assert model.index(0, 0).data() == plenty["title"] and model.index(0, 0).data(FOREGROUND) is None
