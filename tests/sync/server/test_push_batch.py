"""A batch of sales is judged and written together (sync/server/sales_batch.py): each sale must still
read as if applied alone, in order: stock logged at every quantity reached, versions chaining, a
clash with an earlier sale of the same batch rejected, a repeat answered `duplicate`. And when the
database refuses a batch's writes, the sales are applied one by one and only the refused one fails.
On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from sync.server import db
from tests.fixtures.shop_server import LiveShop
from tests.sync.server.helpers import all_changes, head, movements, product_body, snapshot
from tests.sync.server.push_helpers import (
    ShopCatalog,
    levels,
    make_sale,
    mutation,
    order,
    push_ok,
    receipt_number,
)


@pytest.fixture(scope="module")
def catalog(shop: LiveShop) -> ShopCatalog:
    return ShopCatalog.read(shop)


def _new_variant(shop: LiveShop, title: str) -> dict[str, Any]:
    created = shop.admin_post("products", product_body(title=title)).json()
    return {**created["variants"][0], "tax_rate": None, "product_title": created["title"]}


def _log_of(changes: list[dict[str, Any]], entity: str, entity_id: str) -> list[dict[str, Any]]:
    return [c for c in changes if c["entity"] == entity and c["id"] == entity_id]


def test_sales_of_one_batch_chain_stock_and_versions_as_if_sent_one_by_one(
    shop: LiveShop, catalog: ShopCatalog
) -> None:
    shared = catalog.variants[10]
    fresh = _new_variant(shop, "Batch Chai")  # no stock level anywhere yet
    location_id = catalog.location_ids[0]
    start = levels(shop, [shared["id"]], location_id)[shared["id"]]
    before = head(shop)
    sales = [make_sale(catalog, [(shared, q), (fresh, 1)]) for q in (1, 2, 3)]
    sent = [mutation("sale.create", s) for s in sales]

    results = push_ok(shop, *sent)

    assert [r["status"] for r in results] == ["applied"] * 3
    changes = all_changes(shop, since=before)
    assert [c["seq"] for c in changes] == list(range(before + 1, head(shop) + 1))  # gapless
    shared_log = [
        c for c in changes if c["entity"] == "inventory_level" and c["data"]["variant_id"] == shared["id"]
    ]
    assert [c["data"]["quantity"] for c in shared_log] == [start - 1, start - 3, start - 6]
    versions = [c["version"] for c in shared_log]
    assert versions == list(range(versions[0], versions[0] + 3))
    fresh_log = [
        c for c in changes if c["entity"] == "inventory_level" and c["data"]["variant_id"] == fresh["id"]
    ]
    assert [(c["data"]["quantity"], c["version"]) for c in fresh_log] == [(-1, 1), (-2, 2), (-3, 3)]
    assert len({c["id"] for c in fresh_log}) == 1  # one level created, then added to
    for sale, res in zip(sales, results, strict=True):
        [logged] = _log_of(changes, "order", sale["id"])
        assert logged["seq"] == res["seq"] and logged["version"] == 1
        assert logged["data"] == order(shop, sale["id"]).json()
        # the sale's levels are logged just before its order, as for a sale sent alone
        assert [c["entity"] for c in changes if res["seq"] - 2 <= c["seq"] <= res["seq"]] == [
            "inventory_level",
            "inventory_level",
            "order",
        ]
    _, docs, _ = snapshot(shop, "inventory_level")
    [current] = [d for d in docs if d["id"] == fresh_log[0]["id"]]
    assert current == fresh_log[-1]["data"]
    assert levels(shop, [shared["id"], fresh["id"]], location_id) == {
        shared["id"]: start - 6,
        fresh["id"]: -3,
    }


def test_a_batch_clashing_with_itself_rejects_the_later_sale_and_repeats_answer_duplicate(
    shop: LiveShop, catalog: ShopCatalog
) -> None:
    variant = catalog.variants[11]
    location_id = catalog.location_ids[0]
    start = levels(shop, [variant["id"]], location_id)[variant["id"]]
    first = make_sale(catalog, [(variant, 1)])
    same_number = make_sale(catalog, [(variant, 5)], number=first["number"])
    broken = make_sale(catalog, [(variant, 7)])
    broken["total"] += 1
    last = make_sale(catalog, [(variant, 2)])
    m_first = mutation("sale.create", first)
    sent = [m_first, mutation("sale.create", same_number), m_first, mutation("sale.create", broken)]
    sent.append(mutation("sale.create", last))

    results = push_ok(shop, *sent)

    assert [r["status"] for r in results] == ["applied", "rejected", "duplicate", "rejected", "applied"]
    assert f"receipt number {first['number']} is already used by another sale" in results[1]["reason"]
    assert results[2]["seq"] == results[0]["seq"]
    assert "total" in results[3]["reason"]
    assert levels(shop, [variant["id"]], location_id)[variant["id"]] == start - 3
    assert order(shop, same_number["id"]).status_code == 404 and order(shop, broken["id"]).status_code == 404
    assert movements(shop, f"order:{first['number']}") == [(variant["id"], location_id, -1, "sale")]
    assert movements(shop, f"order:{broken['number']}") == []


@pytest.fixture
def refused_number(shop: LiveShop) -> Iterator[str]:
    """A receipt number the database itself refuses (a trigger), as a constraint the shop's checks do
    not know would: the batch's writes fail and the sales must be applied one by one."""
    number = receipt_number("TR")
    engine = db.make_engine(shop.database_url)
    sqlite = db.is_sqlite(engine)
    with engine.begin() as conn:
        if sqlite:
            conn.execute(
                text(
                    'CREATE TRIGGER refuse_number BEFORE INSERT ON "order"'
                    f" WHEN NEW.number = '{number}' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE FUNCTION refuse_number() RETURNS trigger AS $$ BEGIN"
                    f" IF NEW.number = '{number}' THEN RAISE EXCEPTION 'refused by the test'"
                    " USING ERRCODE = 'check_violation'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                text(
                    'CREATE TRIGGER refuse_number BEFORE INSERT ON "order"'
                    " FOR EACH ROW EXECUTE FUNCTION refuse_number()"
                )
            )
    try:
        yield number
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP TRIGGER refuse_number" + ("" if sqlite else ' ON "order"')))
            if not sqlite:
                conn.execute(text("DROP FUNCTION refuse_number()"))
        engine.dispose()


def test_when_the_database_refuses_a_batch_only_the_refused_sale_fails(
    shop: LiveShop, catalog: ShopCatalog, refused_number: str
) -> None:
    variant = catalog.variants[12]
    location_id = catalog.location_ids[0]
    start = levels(shop, [variant["id"]], location_id)[variant["id"]]
    before = head(shop)
    sales = [
        make_sale(catalog, [(variant, 1)]),
        make_sale(catalog, [(variant, 2)], number=refused_number),
        make_sale(catalog, [(variant, 4)]),
    ]

    results = push_ok(shop, *[mutation("sale.create", s) for s in sales])

    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
    assert "refused by the test" in results[1]["reason"]
    assert levels(shop, [variant["id"]], location_id)[variant["id"]] == start - 5
    assert order(shop, sales[1]["id"]).status_code == 404
    assert movements(shop, f"order:{refused_number}") == []
    changes = all_changes(shop, since=before)
    assert [c["seq"] for c in changes] == list(range(before + 1, before + 5))
    assert [c["seq"] for c in changes if c["entity"] == "order"] == [results[0]["seq"], results[2]["seq"]]
