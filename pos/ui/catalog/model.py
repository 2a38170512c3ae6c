"""A lazy table model over the catalog: it holds product keys and fetches rows a page at a time.

Only the pages the view asks for are read (`CatalogService.rows`, a primary-key lookup of at most
PAGE_SIZE products), and at most CACHE_PAGES of them are kept, so 100,000 products scroll in
constant memory. Searching and sorting happen in SQL; the model only ever sees a list of keys.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from pos.ui.formatting import MoneyFormatter

log = logging.getLogger(__name__)

PAGE_SIZE = 100
CACHE_PAGES = 64
KEY_ROLE = Qt.ItemDataRole.UserRole + 1
ModelIndex = QModelIndex | QPersistentModelIndex


class RowSource(Protocol):
    def rows(self, keys: Sequence[int]) -> Mapping[int, Any]: ...


class Column:
    def __init__(
        self, title: str, text: Callable[[Any, MoneyFormatter], str], align_right: bool = False,
        tooltip: bool = True,
    ) -> None:
        self.title = title
        self.text = text
        self.align_right = align_right
        self.tooltip = tooltip  # the whole text, for when the column is too narrow for it


def _price(row: Any, money: MoneyFormatter) -> str:
    if row.price_min is None or row.price_max is None:
        return "—"  # a product without variants has no price
    return money.range(row.price_min, row.price_max)


def _stock(row: Any, money: MoneyFormatter) -> str:
    return money.count(row.stock_total)


COLUMNS: tuple[Column, ...] = (
    Column("Title", lambda row, _: row.title),
    Column("SKU", lambda row, _: row.sku_summary),
    Column("Category", lambda row, _: row.category),
    Column("Price", _price, align_right=True),
    Column("Stock", _stock, align_right=True, tooltip=False),
)
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


class ProductTableModel(QAbstractTableModel):
    def __init__(self, source: RowSource, money: MoneyFormatter, parent: Any = None) -> None:
        super().__init__(parent)
        self._source = source
        self.money = money
        self._keys: list[int] = []
        self._pages: OrderedDict[int, Mapping[int, Any]] = OrderedDict()  # page number -> rows by key
        self.rows_fetched = 0  # rows read from the database since the model was made (tests, stats)
        self.pages_fetched = 0

    # --- keys -------------------------------------------------------------------------------------

    def set_keys(self, keys: Sequence[int]) -> None:
        """Show these products, in this order (the result of a search)."""
        self.beginResetModel()
        self._keys = list(keys)
        self._pages.clear()
        self.endResetModel()

    def keys(self) -> list[int]:
        return list(self._keys)

    def key_at(self, row: int) -> int | None:
        return self._keys[row] if 0 <= row < len(self._keys) else None

    def row_of(self, key: int) -> int | None:
        try:
            return self._keys.index(key)
        except ValueError:
            return None

    def product_at(self, row: int) -> Any | None:
        key = self.key_at(row)
        if key is None:
            return None
        return self._page(row // PAGE_SIZE).get(key)

    def mark_stale(self) -> None:
        """Rows changed in the database: forget cached pages; the view re-reads what it shows."""
        self._pages.clear()
        if self._keys:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._keys) - 1, len(COLUMNS) - 1))

    def cached_rows(self) -> int:
        return sum(len(page) for page in self._pages.values())

    # --- Qt model ---------------------------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._keys)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            if role == Qt.ItemDataRole.DisplayRole:
                return COLUMNS[section].title
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return RIGHT if COLUMNS[section].align_right else LEFT
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        column = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return RIGHT if column.align_right else LEFT
        if role == KEY_ROLE:
            return self.key_at(index.row())
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        row = self.product_at(index.row())
        if row is None:  # deleted since the keys were read; the next refresh drops it
            return "" if role == Qt.ItemDataRole.DisplayRole else None
        text = column.text(row, self.money)
        if role == Qt.ItemDataRole.ToolTipRole:
            return text if column.tooltip else None
        return text

    # --- pages ------------------------------------------------------------------------------------

    def _page(self, number: int) -> Mapping[int, Any]:
        page = self._pages.get(number)
        if page is not None:
            self._pages.move_to_end(number)
            return page
        keys = self._keys[number * PAGE_SIZE:(number + 1) * PAGE_SIZE]
        # A primary-key read of at most PAGE_SIZE rows: well under a millisecond in WAL mode, so it
        # runs where the view asks for it rather than round-tripping through a worker.
        page = self._source.rows(keys)
        self.rows_fetched += len(keys)
        self.pages_fetched += 1
        self._pages[number] = page
        while len(self._pages) > CACHE_PAGES:
            self._pages.popitem(last=False)
        return page
