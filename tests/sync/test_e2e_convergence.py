"""A real till (SyncEngine + SqliteReplica file) against the real reference shop over HTTP.

The shop is changed only through its admin API, as a storefront or a script would; after each pull
every row of every entity on the till is compared with the documents the shop serves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from requests.adapters import HTTPAdapter

from pos.store.database import open_replica
from pos.store.replica import SqliteReplica
from sync.connectors.countertop import CountertopConnector
from sync.engine import SyncEngine
from sync.events import CaughtUp, ChangesApplied, EventBus, SyncEvent
from sync.protocol import ENTITIES
from tests.fixtures.shop_server import LiveShop
from tests.sync.replica_dump import assert_same_docs, replica_docs, server_docs


class CountingAdapter(HTTPAdapter):
    """A real transport that remembers each request it sent and the status that came back."""

    def __init__(self) -> None:
        super().__init__(max_retries=0)
        self.sent: list[tuple[str, str, int]] = []

    def send(self, request: requests.PreparedRequest, *args: object, **kwargs: object) -> requests.Response:
        response = super().send(request, *args, **kwargs)  # type: ignore[arg-type]
        self.sent.append((str(request.method), str(request.path_url), response.status_code))
        return response


@dataclass
class Till:
    path: Path
    engine: SyncEngine
    adapter: CountingAdapter
    events: list[SyncEvent] = field(default_factory=list)

    def docs(self) -> dict:
        return replica_docs(self.path)


@pytest.fixture
def till_factory(tmp_path: Path) -> Iterator[Callable[..., Till]]:
    cleanups: list[Callable[[], None]] = []

    def make(shop: LiveShop, name: str = "till", token: str | None = None, page_size: int = 1000) -> Till:
        path = tmp_path / f"{name}.sqlite3"
        db = open_replica(path)
        adapter = CountingAdapter()
        session = requests.Session()
        session.mount("http://", adapter)
        connector = CountertopConnector(shop.url, token or shop.device_token, session=session)
        bus = EventBus()
        till = Till(path, SyncEngine(SqliteReplica(db), connector, bus, page_size=page_size), adapter)
        bus.subscribe(till.events.append)
        cleanups.extend([db.dispose, session.close])
        return till

    yield make
    for cleanup in cleanups:
        cleanup()


def ean13(body12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body12))
    return body12 + str((10 - total % 10) % 10)


def ok(response: requests.Response) -> dict:
    assert response.status_code in (200, 201), response.text
    return response.json()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_new_till_converges_with_every_admin_change(
    shop_factory: Callable[..., LiveShop],
    till_factory: Callable[..., Till],
    backend: str,
    request: pytest.FixtureRequest,
) -> None:
    database_url = request.getfixturevalue("pg_database_url") if backend == "postgres" else None
    shop = shop_factory(products=200, database_url=database_url)
    till = till_factory(shop, page_size=7)  # small pages: the changes below span several
    first = till.engine.pull_once()
    served = server_docs(shop.url, shop.device_token)
    assert first.snapshot == {entity: len(served[entity]) for entity in ENTITIES}
    assert_same_docs(till.docs(), served)

    products = ok(shop.admin_get("products", params={"limit": 5}))
    locations = ok(shop.admin_get("locations"))
    repriced, retitled, deleted, stocked = products[:4]
    new_price = repriced["variants"][0]["price"] + 250
    ok(
        shop.admin_patch(
            f"products/{repriced['id']}",
            {
                "variants": [
                    {"id": v["id"], "price": new_price if i == 0 else v["price"]}
                    for i, v in enumerate(repriced["variants"])
                ]
            },
        )
    )
    ok(shop.admin_patch(f"products/{retitled['id']}", {"title": "Renamed while the till was away"}))
    ok(shop.admin_delete(f"products/{deleted['id']}"))
    created = ok(
        shop.admin_post(
            "products",
            {
                "title": "Brand new scarf",
                "category": "Apparel",
                "variants": [
                    {"sku": "NEW-SCARF-R", "barcode": ean13("400000000001"), "title": "Red", "price": 1599},
                    {"sku": "NEW-SCARF-B", "barcode": None, "title": "Blue", "price": 1699},
                ],
            },
        )
    )
    stock_variant = stocked["variants"][0]["id"]
    level = ok(
        shop.admin_post(
            "stock/adjust",
            {
                "variant_id": stock_variant,
                "location_id": locations[0]["id"],
                "delta": 17,
                "reason": "delivery",
            },
        )
    )["level"]
    customer = ok(shop.admin_post("customers", {"name": "Ada Lovelace", "email": "ada@example.com"}))
    order = ok(
        shop.admin_post(
            "orders",
            {
                "lines": [{"variant_id": stock_variant, "quantity": 2}],
                "customer_id": customer["id"],
                "location_id": locations[0]["id"],
            },
        )
    )
    ok(shop.admin_patch(f"locations/{locations[1]['id']}", {"name": "Back room"}))

    second = till.engine.pull_once()
    assert second.changes_applied > 7 and second.pages > 1
    assert not second.snapshot
    docs = till.docs()
    assert_same_docs(docs, server_docs(shop.url, shop.device_token))
    # What a cashier would see:
    assert deleted["id"] not in docs["product"]
    assert not [
        lv for lv in docs["inventory_level"].values() if lv["variant_id"] == deleted["variants"][0]["id"]
    ]
    assert docs["product"][repriced["id"]]["variants"][0]["price"] == new_price
    assert docs["product"][retitled["id"]]["title"] == "Renamed while the till was away"
    assert [v["sku"] for v in docs["product"][created["id"]]["variants"]] == ["NEW-SCARF-R", "NEW-SCARF-B"]
    assert (
        docs["inventory_level"][level["id"]]["quantity"] == level["quantity"] - 2
    )  # delivery, then the sale
    assert docs["order"][order["id"]]["customer_id"] == customer["id"]
    assert docs["location"][locations[1]["id"]]["name"] == "Back room"
    assert isinstance(till.events[-1], CaughtUp) and till.events[-1].cursor == second.cursor
    applied = [e for e in till.events if isinstance(e, ChangesApplied)]
    assert any(deleted["id"] in e.changes.deleted.get("product", ()) for e in applied)


def test_idle_pull_is_one_request_answered_304(
    live_shop: LiveShop, till_factory: Callable[..., Till]
) -> None:
    till = till_factory(live_shop)
    till.engine.pull_once()
    cursor = till.engine.replica.sync_state().cursor
    till.adapter.sent.clear()
    report = till.engine.pull_once()
    assert report.not_modified and report.cursor == cursor
    assert till.adapter.sent == [("GET", f"/api/v1/sync/changes?since={cursor}&limit=1000", 304)]


def test_expired_cursor_resnapshots_and_drops_records_deleted_offline(
    shop_factory: Callable[..., LiveShop], till_factory: Callable[..., Till]
) -> None:
    shop = shop_factory(products=60)
    till = till_factory(shop)
    till.engine.pull_once()
    products = ok(shop.admin_get("products", params={"limit": 3}))
    for gone in products:
        ok(shop.admin_delete(f"products/{gone['id']}"))
    ok(
        shop.admin_post(
            "products", {"title": "Arrived offline", "variants": [{"sku": "OFF-1", "price": 100}]}
        )
    )
    pruned = shop.cli("changes", "prune", "--older-than", "0")
    assert pruned.returncode == 0, pruned.stderr

    report = till.engine.pull_once()
    assert report.resnapshot and report.snapshot["product"] == 58
    assert any(status == 410 for _, _, status in till.adapter.sent)
    docs = till.docs()
    assert not {p["id"] for p in products} & set(docs["product"])
    assert_same_docs(docs, server_docs(shop.url, shop.device_token))
