"""The catalog browser: search-as-you-type over a lazy product table, with the product's detail.

Keyboard first: Ctrl+F or "/" focuses the search, Down or Enter moves into the results, arrows
navigate, Enter opens the product's detail (where Up and Down move through its variants), Escape
goes back to the search from the results or the detail.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pos.ui.catalog.detail import DetailPane
from pos.ui.catalog.model import ProductTableModel
from pos.ui.debounce import search_as_you_type
from pos.ui.formatting import MoneyFormatter
from pos.ui.tasks import Tasks

log = logging.getLogger(__name__)

SEARCH_DEBOUNCE_MS = 150
ROW_HEIGHT = 28
COLUMN_WIDTHS = (None, 124, 96, 130, 60)  # None: the title column takes the rest
PRICE_COLUMN = 3
# The price column is at least as wide as this range in the shop's currency and the person's
# locale ("€9,999.98 – €9,999.99" in en_GB), so no range below 10,000 is cut; a wider one is
# elided, and its tooltip has it whole.
WIDE_PRICE_RANGE = (999_998, 999_999)


class CatalogBrowser(QWidget):
    """Everything here runs on the UI thread; database work goes through `tasks` on the "db" lane."""

    results_shown = Signal(int)  # number of products listed after a search or refresh
    detail_shown = Signal(str)  # id of the product whose detail is on screen

    def __init__(
        self, catalog: Any, tasks: Tasks, money: MoneyFormatter, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("catalogBrowser")
        self._catalog = catalog
        self._tasks = tasks
        self._generation = 0  # a search answer older than the latest request is dropped
        self._detail_generation = 0
        self._detail_id: str | None = None  # the product whose detail is shown or on its way
        self._total: int | None = None
        self._in_flight = False  # the newest search has not answered yet
        self._refresh_again = False  # a refresh asked for while a search was in flight
        self.searches_run = 0

        self.search_edit = QLineEdit(self)
        self.search_edit.setObjectName("catalogSearch")
        self.search_edit.setPlaceholderText("Search by name, SKU or barcode   (Ctrl+F or /)")
        self.search_edit.setClearButtonEnabled(True)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("resultCount")

        self.model = ProductTableModel(catalog, money, self)
        self.table = QTableView(self)
        self.table.setObjectName("productTable")
        self.table.setModel(self.model)
        # Tab moves between the search, the results and the detail, not from cell to cell.
        self.table.setTabKeyNavigation(False)
        self._setup_table(money)
        self.detail = DetailPane(money, self)

        top = QHBoxLayout()
        top.addWidget(self.search_edit, 1)
        top.addWidget(self.count_label)
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(top)
        left_layout.addWidget(self.table, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 9)
        splitter.setStretchFactor(1, 7)
        splitter.setSizes([690, 590])
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(splitter)

        self._debounce = search_as_you_type(self.search_edit, self.search_now, SEARCH_DEBOUNCE_MS, self)
        self.search_edit.installEventFilter(self)
        self.table.installEventFilter(self)
        self.detail.installEventFilter(self)
        self.detail.variants_view.installEventFilter(self)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)

    def _setup_table(self, money: MoneyFormatter) -> None:
        table = self.table
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setShowGrid(False)
        table.setWordWrap(False)
        table.setTabKeyNavigation(False)
        vertical = table.verticalHeader()
        vertical.hide()
        # Fixed row heights: the view never measures rows it does not show (lazy model stays lazy).
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(ROW_HEIGHT)
        header = table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, width in enumerate(COLUMN_WIDTHS):
            if width is not None:
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
                table.setColumnWidth(column, width)
        table.ensurePolished()  # the style sheet's font, which the width below is measured in
        margin = table.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, table) + 1
        price = table.fontMetrics().horizontalAdvance(money.range(*WIDE_PRICE_RANGE)) + 2 * margin + 4
        table.setColumnWidth(PRICE_COLUMN, max(COLUMN_WIDTHS[PRICE_COLUMN] or 0, price))

    # --- searching --------------------------------------------------------------------------------

    def focus_search(self) -> None:
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    def search_now(self, keep_place: bool = False) -> None:
        """Run the current search on the db lane; only the newest answer is shown.

        With `keep_place` (a refresh) the selected product and the top visible row stay put;
        a new search text starts from the top.
        """
        self._debounce.stop()
        self._generation += 1
        generation = self._generation
        text = self.search_edit.text().strip()
        self.searches_run += 1
        self._in_flight = True

        def show(keys: list[int]) -> None:
            if generation == self._generation:
                self._show_keys(text, keys, keep_place)
                self._answered()

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                log.error("catalog search for %r failed", text, exc_info=exc)
                self.count_label.setText("Search failed")
                self.count_label.setToolTip(str(exc))
                self._answered()

        self._tasks.run(self._catalog.search_keys, text, lane="db", on_success=show, on_failure=failed)

    def refresh(self) -> None:
        """Products were added, changed or removed: search again, keeping the person's place.

        Refreshes coalesce: while one is answering, any number of new requests make one more.
        """
        if self._in_flight:
            self._refresh_again = True
            return
        self.search_now(keep_place=True)

    def _answered(self) -> None:
        self._in_flight = False
        if self._refresh_again:
            self._refresh_again = False
            self.search_now(keep_place=True)

    def rows_changed(self) -> None:
        """Rows on screen may show old prices or stock: re-read what is visible, and the detail."""
        self.model.mark_stale()
        self._reread_detail()

    def top_key(self) -> int | None:
        """The product in the first visible row of the table."""
        row = self.table.rowAt(0)
        return self.model.key_at(row) if row >= 0 else None

    def _show_keys(self, text: str, keys: list[int], keep_place: bool) -> None:
        same = keys == self.model.keys()
        if same:
            self.model.mark_stale()  # same products: re-read rows, the view does not move
        else:
            selected, top, top_row = self.current_key(), self.top_key(), self.table.rowAt(0)
            self.model.set_keys(keys)
            if keep_place:
                self._restore_place(selected, top, top_row)
        if keep_place:
            # A refresh: the product on show may have been renamed, repriced or deleted even when
            # the list stayed the same.
            self._reread_detail()
        if not text:
            self._total = len(keys)
        count = len(keys)
        if text and self._total is not None:
            self.count_label.setText(f"{count:,} of {self._total:,} products")
        else:
            self.count_label.setText(f"{count:,} product{'s' if count != 1 else ''}")
        self.count_label.setToolTip("")
        self.results_shown.emit(count)

    def _restore_place(self, selected: int | None, top: int | None, top_row: int) -> None:
        """After the key list changed: the same product selected, the same product at the top."""
        row = self.model.row_of(selected) if selected is not None else None
        if row is not None:
            flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
            self.table.selectionModel().setCurrentIndex(self.model.index(row, 0), flags)
        elif selected is not None:
            self._show_missing()  # the selected product left the catalog
        top_now = self.model.row_of(top) if top is not None else None
        if top_now is None:
            top_now = min(max(top_row, 0), self.model.rowCount() - 1)  # gone: stay about here
        if top_now >= 0:
            self.table.scrollTo(self.model.index(top_now, 0), QAbstractItemView.ScrollHint.PositionAtTop)

    # --- selection and detail ---------------------------------------------------------------------

    def current_key(self) -> int | None:
        index = self.table.currentIndex()
        return self.model.key_at(index.row()) if index.isValid() else None

    def select_row(self, row: int) -> None:
        if not 0 <= row < self.model.rowCount():
            return
        index = self.model.index(row, 0)
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.table.selectionModel().setCurrentIndex(index, flags)
        self.table.scrollTo(index)

    def _current_changed(self, current: Any, _previous: Any) -> None:
        row = self.model.product_at(current.row()) if current.isValid() else None
        if row is not None and row.id == self._detail_id:
            return  # the same product, re-selected after a refresh: its detail is on screen
        self._show_current_detail()

    def _show_current_detail(self) -> None:
        index = self.table.currentIndex()
        row = self.model.product_at(index.row()) if index.isValid() else None
        if row is None:
            self._detail_generation += 1  # an answer still on its way is no longer wanted
            self._detail_id = None
            self.detail.show_nothing()
        else:
            self.show_detail(row.id)

    def _show_missing(self) -> None:
        self._detail_generation += 1
        self._detail_id = None
        self.detail.show_missing()

    def _reread_detail(self) -> None:
        """Read the product on show (or on its way) again; the pane changes only if it did."""
        if self._detail_id is not None:
            self.show_detail(self._detail_id)

    def show_detail(self, product_id: str) -> None:
        self._detail_generation += 1
        generation = self._detail_generation
        self._detail_id = product_id

        def show(detail: Any) -> None:
            if generation != self._detail_generation:
                return
            if detail is None:
                self._show_missing()
            else:
                if detail != self.detail.product:  # unchanged: keep the variant table's place
                    self.detail.show_product(detail)
                self.detail_shown.emit(product_id)

        def failed(exc: BaseException) -> None:
            if generation == self._detail_generation:
                self.detail.show_error(str(exc))

        self._tasks.run(self._catalog.detail, product_id, lane="db", on_success=show, on_failure=failed)

    # --- keys -------------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if watched is self.search_edit:
                return self._search_key(event)
            if watched is self.table:
                return self._table_key(event)
            if watched is self.detail or watched is self.detail.variants_view:
                return self._detail_key(watched, event)
        return super().eventFilter(watched, event)

    def _search_key(self, event: QKeyEvent) -> bool:
        key = event.key()
        if key in (Qt.Key.Key_Down, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self._debounce.isActive():  # Enter right after typing: search first, then move
                self.search_now()
            if self.model.rowCount():
                self.table.setFocus(Qt.FocusReason.OtherFocusReason)
                if not self.table.currentIndex().isValid():
                    self.select_row(0)
            return True
        if key == Qt.Key.Key_Escape and self.search_edit.text():
            self.search_edit.clear()
            return True
        return False

    def _table_key(self, event: QKeyEvent) -> bool:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self.current_key() is not None:
                self._show_current_detail()
                self.detail.setFocus(Qt.FocusReason.OtherFocusReason)
            return True
        if key == Qt.Key.Key_Escape:
            self.focus_search()
            return True
        if key == Qt.Key.Key_Slash:
            self.focus_search()
            return True
        return False

    def _detail_key(self, watched: QObject, event: QKeyEvent) -> bool:
        key = event.key()
        if key == Qt.Key.Key_Escape:
            self.focus_search()
            return True
        if watched is self.detail and key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
            # The pane itself has nothing to move through: the arrows go on into its variants.
            view = self.detail.variants_view
            rows = self.detail.variants_model.rowCount()
            if rows:
                view.setFocus(Qt.FocusReason.OtherFocusReason)
                view.selectRow(0 if key == Qt.Key.Key_Down else rows - 1)
            return True
        return False
