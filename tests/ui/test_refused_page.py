"""A shop that sends an inconsistent changes page, end to end through the window as `countertop`
wires it: the status area shows the protocol problem and the catalog rows stay as they were."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from sync.protocol import API_PREFIX, ENTITIES
from tests.sync.crafted_shop import (
    Answer,
    CraftedShop,
    SeenRequest,
    changes_page,
    json_answer,
    location_doc,
    ndjson_answer,
    product_doc,
    snapshot_lines,
    upsert,
)
from tests.ui.conftest import till_rows

CURSOR = 10
PRODUCTS = 30
SHOP_INFO = {
    "protocol_version": 1, "shop_name": "Crafted", "currency": "EUR", "prices_include_tax": True,
    "device_id": "dev-1", "device_name": "till 1", "head": CURSOR,
}


class Shop:
    """A real HTTP peer: a good snapshot, then 304s until the test hands it a changes page to send."""

    def __init__(self, server: CraftedShop) -> None:
        self.server = server
        self.url = server.url
        self.device_id, self.device_token = SHOP_INFO["device_id"], "crafted-token"
        self.docs: dict[str, list[dict[str, Any]]] = {entity: [] for entity in ENTITIES}
        self.docs["location"] = [location_doc(1), location_doc(2)]
        self.docs["product"] = [product_doc(n) for n in range(PRODUCTS)]
        self.page: Answer | None = None  # sent on every poll once set, as a broken shop would
        server.routes[f"{API_PREFIX}/sync/shop"] = json_answer(SHOP_INFO)
        server.routes[f"{API_PREFIX}/sync/snapshot"] = self._snapshot
        server.routes[f"{API_PREFIX}/sync/changes"] = self._changes

    def _snapshot(self, request: SeenRequest) -> Answer:
        entity = request.query["entity"][0]
        return ndjson_answer(snapshot_lines(entity, self.docs[entity], cursor=CURSOR))

    def _changes(self, _request: SeenRequest) -> Answer:
        return self.page or Answer(304, b"", {"ETag": f'"{CURSOR}"'})

    def changes_served(self) -> int:
        return sum(1 for r in self.server.seen if r.path == f"{API_PREFIX}/sync/changes")


@pytest.fixture
def crafted() -> Iterator[Shop]:
    server = CraftedShop().start()
    yield Shop(server)
    server.stop()


def screen_rows(browser: Any) -> list[tuple[str, ...]]:
    """Every row as the table shows it, re-read from the replica (cached pages dropped first)."""
    model = browser.model
    model.mark_stale()
    return [tuple(model.index(row, col).data() for col in range(model.columnCount()))
            for row in range(model.rowCount())]


def test_an_inconsistent_changes_page_is_shown_as_a_problem_and_changes_no_row(qtbot, crafted, open_app):
    app = open_app(SimpleNamespace(url=crafted.url, device_id=crafted.device_id,
                                   device_token=crafted.device_token))
    browser, status = app.window.browser, app.status
    qtbot.waitUntil(lambda: status.last_sync_label.text() != "Last sync: never", timeout=15_000)
    qtbot.waitUntil(lambda: browser.model.rowCount() == PRODUCTS, timeout=5_000)
    before = screen_rows(browser)
    assert before[0][0] == "Crafted product 0" and before[0][3] == "€19.99"
    replica_before = till_rows(app.replica_path)
    assert status.state == "online" and status.problem_label.isHidden()

    # Valid JSON, inconsistent data: seqs go backwards, and the page would make two products cost 1 cent.
    crafted.page = json_answer(changes_page(
        [upsert(12, product_doc(0, version=2, price=1)), upsert(11, product_doc(1, version=2, price=1))],
        since=CURSOR,
    ))
    served = crafted.changes_served()
    qtbot.waitUntil(lambda: status.problem_kind == "protocol", timeout=15_000)
    assert crafted.changes_served() > served  # the page really went over the wire

    assert status.problem_label.isVisible()
    assert status.problem_label.text() == (
        "⚠ The shop sent a page Countertop could not read; nothing was changed."
    )
    assert "seq" in status.problem_detail  # the engine's own words, behind "Details…"
    assert status.details_button.isVisible()
    assert status.state == "online"  # the shop answered: it is the page that was refused
    assert screen_rows(browser) == before  # every row on screen, as it was
    assert till_rows(app.replica_path) == replica_before  # cursor, products and stock untouched
