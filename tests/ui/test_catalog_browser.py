"""The catalog screen on a replica synced from the real shop: lazy table, search as you type, detail."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStyle

from pos.ui.catalog.browser import PRICE_COLUMN, CatalogBrowser
from pos.ui.catalog.model import PAGE_SIZE
from pos.ui.formatting import MoneyFormatter
from tests.ui.conftest import CATALOG_PRODUCTS, all_products

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def server_products(catalog_shop):
    return {doc["id"]: doc for doc in all_products(catalog_shop.shop)}


def shown_ids(window) -> list[str]:
    model = window.browser.model
    return [model.product_at(row).id for row in range(model.rowCount())]


def type_search(qtbot, window, text: str) -> None:
    edit = window.browser.search_edit
    edit.clear()
    with qtbot.waitSignal(window.browser.results_shown, timeout=5000):
        qtbot.keyClicks(edit, text)


def test_lists_every_product_but_reads_only_the_rows_on_screen(qtbot, window, server_products):
    model = window.browser.model
    assert model.rowCount() == CATALOG_PRODUCTS == len(server_products)
    assert window.browser.count_label.text() == f"{CATALOG_PRODUCTS:,} products"
    qtbot.wait(50)  # let the view paint
    assert 0 < model.rows_fetched <= 2 * PAGE_SIZE
    first_screen = model.rows_fetched

    window.browser.table.scrollToBottom()
    qtbot.wait(50)
    last = model.product_at(model.rowCount() - 1)
    assert last.id in server_products
    # Scrolling to the end read the last page, not the thousand rows in between.
    assert model.rows_fetched <= first_screen + 2 * PAGE_SIZE
    assert model.rows_fetched < CATALOG_PRODUCTS / 2


def euros(minor: int) -> str:
    return f"€{Decimal(minor) / 100:,.2f}"


def test_rows_show_the_server_title_sku_price_range_and_stock(qtbot, window, catalog_shop, server_products):
    model = window.browser.model
    ranged = 0
    for row in range(8):
        product = model.product_at(row)
        doc = server_products[product.id]
        variants = sorted(doc["variants"], key=lambda v: v["position"])
        low, high = min(v["price"] for v in variants), max(v["price"] for v in variants)
        more = f" +{len(variants) - 1}" if len(variants) > 1 else ""
        stock = sum(
            level["quantity"]
            for variant in variants
            for level in catalog_shop.shop.admin_get(
                "stock/levels", params={"variant_id": variant["id"]}).json()
        )
        assert model.index(row, 0).data() == doc["title"]
        assert model.index(row, 1).data() == variants[0]["sku"] + more
        assert model.index(row, 2).data() == doc["category"]
        assert model.index(row, 3).data() == (euros(low) if low == high else f"{euros(low)} – {euros(high)}")
        assert model.index(row, 4).data() == f"{stock:,}"
        ranged += low != high
    assert ranged, "no product with a price range among the first rows: the range text went untested"


def test_search_as_you_type_finds_by_name_sku_and_barcode(qtbot, window, server_products):
    doc = next(d for d in server_products.values() if len(d["variants"]) > 1)
    before = window.browser.searches_run
    type_search(qtbot, window, doc["title"])
    # One search per pause in typing, not one per key.
    assert window.browser.searches_run == before + 1
    assert doc["id"] in shown_ids(window)[:5]
    assert "of 1,000 products" in window.browser.count_label.text()

    second_sku = doc["variants"][1]["sku"]
    type_search(qtbot, window, second_sku)
    assert shown_ids(window)[0] == doc["id"]

    barcode = doc["variants"][0]["barcode"]
    type_search(qtbot, window, barcode)
    assert shown_ids(window) == [doc["id"]]

    type_search(qtbot, window, "zzqx-no-such-thing")
    assert window.browser.model.rowCount() == 0
    assert window.browser.count_label.text().startswith("0 of")


def test_hostile_search_text_lists_exactly_what_the_catalog_service_finds(qtbot, window, catalog):
    """FTS5 syntax typed into the box is text: the screen lists what the service finds for it."""
    word = window.browser.model.product_at(0).title.split()[0]
    found_some = False
    for text in (f'"{word}', f"{word}* -AND (", '"NEAR( * -AND', f"{word} OR ) ^"):
        type_search(qtbot, window, text)
        expected = catalog.search_keys(text)
        assert window.browser.model.keys() == expected, text
        assert window.browser.count_label.text() == f"{len(expected):,} of {CATALOG_PRODUCTS:,} products"
        found_some = found_some or bool(expected)
    assert found_some  # a quoted title word still finds its products


def test_detail_shows_variants_prices_and_stock_per_location(qtbot, window, catalog_shop, server_products):
    doc = next(d for d in server_products.values() if len(d["variants"]) >= 2)
    type_search(qtbot, window, doc["variants"][0]["barcode"])
    with qtbot.waitSignal(window.browser.detail_shown, timeout=5000):
        qtbot.keyClick(window.browser.search_edit, Qt.Key.Key_Down)  # into the results: row 0
    pane = window.browser.detail
    assert pane.title_label.text() == doc["title"]
    model = pane.variants_model
    headers = [
        model.headerData(c, Qt.Orientation.Horizontal).replace("\n", " ") for c in range(model.columnCount())
    ]
    locations = {loc["id"]: loc["name"] for loc in catalog_shop.shop.admin_get("locations").json()}
    assert headers[:4] == ["Variant", "SKU", "Barcode", "Price"]
    assert sorted(headers[4:]) == sorted(locations.values())
    assert model.rowCount() == len(doc["variants"])
    for row, variant in enumerate(sorted(doc["variants"], key=lambda v: v["position"])):
        assert model.item(row, 1).text() == variant["sku"]
        assert model.item(row, 2).text() == (variant["barcode"] or "")
        assert model.item(row, 3).text() == f"€{Decimal(variant['price']) / 100:,.2f}"
        levels = catalog_shop.shop.admin_get("stock/levels", params={"variant_id": variant["id"]}).json()
        by_name = {locations[level["location_id"]]: level["quantity"] for level in levels}
        for column, name in enumerate(headers[4:], start=4):
            assert model.item(row, column).text() == f"{by_name.get(name, 0):,}"


def test_keyboard_only_navigation(qtbot, window):
    browser = window.browser
    table = browser.table
    type_search(qtbot, window, "a")
    qtbot.keyClick(browser.search_edit, Qt.Key.Key_Return)
    assert table.hasFocus() or window.focusWidget() is table
    assert table.currentIndex().row() == 0
    qtbot.keyClick(table, Qt.Key.Key_Down)
    assert table.currentIndex().row() == 1
    with qtbot.waitSignal(browser.detail_shown, timeout=5000):
        qtbot.keyClick(table, Qt.Key.Key_Return)
    assert browser.detail.product is not None
    qtbot.keyClick(table, Qt.Key.Key_Slash)
    assert window.focusWidget() is browser.search_edit
    table.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.focusWidget() is browser.search_edit
    qtbot.keyClick(browser.search_edit, Qt.Key.Key_Escape)
    assert browser.search_edit.text() == ""


def test_escape_from_the_detail_goes_back_to_the_search_and_arrows_move_through_its_variants(
    qtbot, window, server_products
):
    browser = window.browser
    doc = next(d for d in server_products.values() if len(d["variants"]) >= 3)
    type_search(qtbot, window, doc["variants"][0]["sku"])
    qtbot.keyClick(browser.search_edit, Qt.Key.Key_Return)
    with qtbot.waitSignal(browser.detail_shown, timeout=5000):
        qtbot.keyClick(browser.table, Qt.Key.Key_Return)
    assert window.focusWidget() is browser.detail
    qtbot.keyClick(browser.detail, Qt.Key.Key_Escape)
    assert window.focusWidget() is browser.search_edit
    assert browser.search_edit.selectedText() == doc["variants"][0]["sku"]  # typing replaces it

    qtbot.keyClick(browser.search_edit, Qt.Key.Key_Return)
    qtbot.keyClick(browser.table, Qt.Key.Key_Return)
    variants = browser.detail.variants_view
    qtbot.keyClick(browser.detail, Qt.Key.Key_Down)
    assert window.focusWidget() is variants and variants.currentIndex().row() == 0
    qtbot.keyClick(variants, Qt.Key.Key_Down)
    assert variants.currentIndex().row() == 1
    assert browser.table.currentIndex().row() == 0  # the product stays selected
    qtbot.keyClick(variants, Qt.Key.Key_Escape)
    assert window.focusWidget() is browser.search_edit

    # Tab goes from widget to widget, never from cell to cell inside a table.
    qtbot.keyClick(browser.search_edit, Qt.Key.Key_Return)
    qtbot.keyClick(browser.table, Qt.Key.Key_Tab)
    assert window.focusWidget() is not browser.table
    variants.setFocus()
    qtbot.keyClick(variants, Qt.Key.Key_Tab)
    assert window.focusWidget() is not variants


@pytest.mark.parametrize("locale", ["en_GB", "de_DE"])
def test_the_price_column_fits_a_range_in_the_thousands_and_tooltips_any_price(
    qtbot, window, catalog, tasks, locale
):
    """At the default window size, in the person's locale; any range the column cannot hold is in
    its tooltip."""
    browser = CatalogBrowser(catalog, tasks, MoneyFormatter("EUR", locale))
    qtbot.addWidget(browser)
    window.setCentralWidget(browser)  # the default 1280-wide window
    with qtbot.waitSignal(browser.results_shown, timeout=5000):
        browser.search_now()
    table = browser.table
    text = browser.model.money.range(129_900, 249_900)  # "€1,299.00 – €2,499.00"
    margin = table.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, table) + 1
    assert table.fontMetrics().horizontalAdvance(text) + 2 * margin <= table.columnWidth(PRICE_COLUMN)
    assert table.columnWidth(0) >= 200  # the title column keeps a useful width
    for row in range(5):
        index = browser.model.index(row, PRICE_COLUMN)
        assert index.data(Qt.ItemDataRole.ToolTipRole) == index.data() != ""


def test_screenshot_of_the_main_window(qtbot, window, server_products):
    """Saved for people to look at (test-artifacts/ is not committed)."""
    doc = next(d for d in server_products.values() if len(d["variants"]) >= 3)
    type_search(qtbot, window, doc["title"].split()[0])
    row = shown_ids(window).index(doc["id"]) if doc["id"] in shown_ids(window) else 0
    with qtbot.waitSignal(window.browser.detail_shown, timeout=5000):
        window.browser.select_row(row)
    window.browser.table.setFocus()
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "main-window.png"
    assert window.grab().save(str(path))
    assert path.stat().st_size > 10_000
