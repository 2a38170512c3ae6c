"""Make the README screenshots: the app on a fresh demo shop, caught up.

    .venv/bin/python scripts/screenshot.py [--output docs/screenshot.png] [--products 2000]
                                           [--sell-output docs/screenshot-sell.png]
                                           [--search WORD] [--size 1280x780]

Runs offscreen on a throwaway data folder (nothing of the tester's is touched), with the same wiring
as `countertop demo` (pos.app.open_window). Waits until the status area says Online with a last sync
time; on the catalog, types the search one key at a time, opens a product with several variants and
saves the first PNG; then on the sell screen scans three of those products (keys, as a scanner
types them) and saves the second.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from pos.app import demo_connection, open_session, open_window  # noqa: E402
from pos.services.connection import TokenStore  # noqa: E402
from pos.services.demo import start_demo_shop  # noqa: E402
from pos.settings import Settings  # noqa: E402
from pos.ui import launcher  # noqa: E402
from pos.ui.tasks import TaskRunner  # noqa: E402

TIMEOUT_S = 120.0
MIN_VARIANTS = 3
# Words that describe a variant rather than a kind of product: a poor search for a screenshot.
DULL = {"with", "and", "the", "for", "pack", "set", "small", "large", "medium"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "screenshot.png")
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--sell-output", type=Path, default=REPO / "docs" / "screenshot-sell.png")
    parser.add_argument("--search", default=None, help="default: a common word of multi-variant products")
    parser.add_argument("--size", default="1280x780", help="window size, WIDTHxHEIGHT")
    args = parser.parse_args(argv)
    if not re.fullmatch(r"\d{3,4}x\d{3,4}", args.size):
        parser.error(f"--size must look like 1280x780, not {args.size!r}")
    return args


def common_word(catalog: Any) -> str:
    """The word found in the most titles of products with several variants."""
    rows = catalog.rows(catalog.search_keys("")).values()
    counts: collections.Counter[str] = collections.Counter()
    for row in rows:
        if row.variant_count >= MIN_VARIANTS:
            counts.update({w for w in re.findall(r"[a-z]{4,}", row.title.lower()) if w not in DULL})
    if not counts:
        raise SystemExit("no product with several variants in the demo catalog")
    return counts.most_common(1)[0][0]


class Director:
    """Steps run on the UI thread, each waiting (by polling) for what the screen must show first."""

    def __init__(
        self, window: Any, catalog: Any, products: int, search: str | None, outputs: tuple[Path, Path]
    ) -> None:
        self.window = window
        self.catalog = catalog
        self.products = products
        self.search = search
        self.output, self.sell_output = outputs
        self.deadline = time.monotonic() + TIMEOUT_S
        self.error: str | None = None

    def until(self, ready: Callable[[], bool], then: Callable[[], None], what: str) -> None:
        if ready():
            QTimer.singleShot(0, then)
        elif time.monotonic() > self.deadline:
            self.fail(f"timed out waiting until {what}")
        else:
            QTimer.singleShot(100, lambda: self.until(ready, then, what))

    def fail(self, message: str) -> None:
        self.error = message
        QApplication.quit()

    def start(self) -> None:
        status, model = self.window.status_area, self.window.browser.model
        self.until(
            lambda: status.state == "online" and not status.last_sync_label.text().endswith("never")
            and model.rowCount() == self.products,
            self.type_search, "the catalog is caught up and online",
        )

    def type_search(self) -> None:
        self.window.show_catalog()
        word = self.search or common_word(self.catalog)
        print(f"searching for {word!r}")
        browser = self.window.browser
        answered: list[int] = []
        QTest.keyClicks(browser.search_edit, word, delay=40)
        # Connected after typing: only an answer to the whole word counts.
        browser.results_shown.connect(answered.append)
        self.until(lambda: bool(answered), self.open_product, "the search is answered")

    def open_product(self) -> None:
        browser = self.window.browser
        model = browser.model
        first_screen = range(min(model.rowCount(), 12))
        rows = [r for r in first_screen if model.product_at(r).variant_count >= MIN_VARIANTS]
        if not rows:
            self.fail("no product with several variants on the first screen of results")
            return
        # Variants at different prices show more of what the detail pane does.
        ranged = [r for r in rows if model.product_at(r).price_min != model.product_at(r).price_max]
        row = (ranged or rows)[0]
        browser.select_row(row)
        wanted = model.product_at(row).id
        self.until(lambda: browser.detail.product is not None and browser.detail.product.id == wanted,
                   lambda: QTimer.singleShot(300, self.save), "the product's detail is shown")

    def save(self) -> None:
        self.window.browser.table.viewport().repaint()
        if self.grab(self.output):
            self.sell()

    def sell(self) -> None:
        """Three of the products on screen into the cart, the second one twice."""
        model = self.window.browser.model
        codes = [self.catalog.detail(model.product_at(row).id).variants[0] for row in range(3)]
        codes = [variant.barcode or variant.sku for variant in codes]
        screen = self.window.sell
        self.window.show_screen(screen)
        for code in (codes[0], codes[1], codes[1], codes[2]):
            QTest.keyClicks(screen.scan_edit, code)
            QTest.keyClick(screen.scan_edit, Qt.Key.Key_Return)
        self.until(lambda: screen.model.rowCount() == 3,
                   lambda: QTimer.singleShot(300, self.save_sell), "the cart shows three lines")

    def save_sell(self) -> None:
        if self.grab(self.sell_output):
            QApplication.quit()

    def grab(self, output: Path) -> bool:
        output.parent.mkdir(parents=True, exist_ok=True)
        if not self.window.grab().save(str(output)):
            self.fail(f"could not write {output}")
            return False
        print(f"saved {output} ({self.window.width()}x{self.window.height()})")
        return True


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    width, height = (int(n) for n in args.size.split("x"))
    qapp = launcher.make_application()
    launcher.quiet_offscreen_messages()
    with tempfile.TemporaryDirectory(prefix="countertop-screenshot-") as folder:
        settings = Settings(Path(folder))
        shop = start_demo_shop(settings.data_dir, args.products, report=print)
        tasks = TaskRunner()
        running: list[Callable[[], object]] = []
        session = None
        try:
            tokens = TokenStore(environ={})
            tokens.keep_for_session(shop.url, shop.token)
            connection = demo_connection(shop)
            settings.connection = connection
            session = open_session(settings, connection, shop.token)
            window = open_window(session, tasks, running, None, screenshot=False, settings=settings,
                                 tokens=tokens)
            window.resize(width, height)
            window.show()
            window.start()
            director = Director(window, session.catalog, args.products, args.search,
                                (args.output.resolve(), args.sell_output.resolve()))
            QTimer.singleShot(0, director.start)
            qapp.exec()
        finally:
            for cleanup in reversed(running):
                cleanup()
            tasks.shutdown()
            if session is not None:
                session.close()
            shop.stop()
    if director.error:
        print(f"screenshot: {director.error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
