"""`return.create`: appended to the order's returns, stock back for restocked lines only, the order
"refunded" once everything came back; over-returns and refunds that do not add up are rejected with
the shop unchanged. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from sync.protocol import DOC_VALIDATORS
from tests.fixtures.shop_server import LiveShop
from tests.sync.server.helpers import all_changes, head, movements
from tests.sync.server.push_helpers import (
    ShopCatalog,
    levels,
    make_return,
    make_sale,
    mutation,
    order,
    push_ok,
    row_counts,
)


@pytest.fixture(scope="module")
def catalog(shop: LiveShop) -> ShopCatalog:
    return ShopCatalog.read(shop)


def _sold(shop: LiveShop, catalog: ShopCatalog, first: int = 0) -> dict[str, Any]:
    """A pushed sale of 3 x variant[first] and 2 x variant[first + 1]."""
    sale = make_sale(catalog, [(catalog.variants[first], 3), (catalog.variants[first + 1], 2)])
    [result] = push_ok(shop, mutation("sale.create", sale))
    assert result["status"] == "applied"
    return sale


def test_a_partial_return_is_appended_restocks_and_keeps_the_order_paid(
    shop: LiveShop, catalog: ShopCatalog
) -> None:
    sale = _sold(shop, catalog, 0)
    v0 = sale["lines"][0]["variant_id"]
    location_id = sale["location_id"]
    before = levels(shop, [v0], location_id)[v0]
    version = order(shop, sale["id"]).json()["version"]
    ret = make_return(sale, {0: 2}, restock=True)
    since = head(shop)

    [result] = push_ok(shop, mutation("return.create", ret))

    assert result["status"] == "applied"
    got = order(shop, sale["id"]).json()
    assert got["status"] == "paid" and got["version"] == version + 1
    assert got["returns"] == [{k: ret[k] for k in got["returns"][0]}]
    assert set(got["returns"][0]) == {
        "id",
        "number",
        "location_id",
        "reason",
        "lines",
        "refunds",
        "total",
        "created_at",
    }
    DOC_VALIDATORS["order"].validate_python(got)
    assert levels(shop, [v0], location_id)[v0] == before + 2
    assert (v0, location_id, 2, "return") in movements(shop, f"order:{sale['number']}")
    changes = all_changes(shop, since)
    assert [c["entity"] for c in changes] == ["inventory_level", "order"] and changes[-1]["seq"] == result[
        "seq"
    ]


def test_a_return_not_restocked_moves_no_stock(shop: LiveShop, catalog: ShopCatalog) -> None:
    sale = _sold(shop, catalog, 2)
    v0 = sale["lines"][0]["variant_id"]
    before = levels(shop, [v0], sale["location_id"])[v0]
    since = head(shop)

    [result] = push_ok(shop, mutation("return.create", make_return(sale, {0: 1}, restock=False)))

    assert result["status"] == "applied"
    assert levels(shop, [v0], sale["location_id"])[v0] == before
    assert [c["entity"] for c in all_changes(shop, since)] == ["order"]
    assert [m for m in movements(shop, f"order:{sale['number']}") if m[3] == "return"] == []


def test_returning_everything_in_two_returns_refunds_the_order(shop: LiveShop, catalog: ShopCatalog) -> None:
    sale = _sold(shop, catalog, 4)
    push_ok(shop, mutation("return.create", make_return(sale, {0: 1})))
    assert order(shop, sale["id"]).json()["status"] == "paid"

    [result] = push_ok(shop, mutation("return.create", make_return(sale, {0: 2, 1: 2}, method="card")))

    assert result["status"] == "applied"
    got = order(shop, sale["id"]).json()
    assert got["status"] == "refunded" and len(got["returns"]) == 2
    refunded = sum(r["total"] for r in got["returns"])
    assert refunded == sale["total"]


def test_a_return_resent_is_a_duplicate_and_writes_nothing(shop: LiveShop, catalog: ShopCatalog) -> None:
    sale = _sold(shop, catalog, 6)
    m = mutation("return.create", make_return(sale, {1: 1}))
    [first] = push_ok(shop, m)
    counts, top = row_counts(shop), head(shop)
    [again] = push_ok(shop, m)
    assert again == {**first, "status": "duplicate"}
    assert row_counts(shop) == counts and head(shop) == top


def _over_return(sale: dict[str, Any]) -> dict[str, Any]:
    ret = make_return(sale, {0: 3})
    ret["lines"][0]["quantity"] = 4
    return ret


def _refunds_short(sale: dict[str, Any]) -> dict[str, Any]:
    ret = make_return(sale, {0: 1})
    ret["refunds"][0]["amount"] -= 1
    return ret


def _lines_vs_total(sale: dict[str, Any]) -> dict[str, Any]:
    ret = make_return(sale, {0: 1})
    ret["total"] += 1
    ret["refunds"][0]["amount"] += 1
    return ret


def _refund_more_than_line(sale: dict[str, Any]) -> dict[str, Any]:
    ret = make_return(sale, {0: 1})
    extra = sale["lines"][0]["total"]
    ret["lines"][0]["amount"] += extra
    ret["total"] += extra
    ret["refunds"][0]["amount"] += extra
    return ret


def _tax_more_than_line(sale: dict[str, Any]) -> dict[str, Any]:
    """The last unit's refund carrying the whole line's tax, of which two thirds went back already."""
    line = sale["lines"][0]
    assert line["tax"] > 0, "the test needs a taxed line"
    ret = make_return(sale, {0: 1})
    ret["lines"][0]["tax"] = min(line["tax"], ret["lines"][0]["amount"])
    return ret


def _unknown_order(sale: dict[str, Any]) -> dict[str, Any]:
    return {**make_return(sale, {0: 1}), "order_id": "no-such-order"}


def _unknown_line(sale: dict[str, Any]) -> dict[str, Any]:
    ret = make_return(sale, {0: 1})
    ret["lines"][0]["line_id"] = "no-such-line"
    return ret


def _unknown_location(sale: dict[str, Any]) -> dict[str, Any]:
    return make_return(sale, {0: 1}, location_id="no-such-location")


def _bad_payload(sale: dict[str, Any]) -> dict[str, Any]:
    ret = make_return(sale, {0: 1})
    ret["lines"][0]["quantity"] = 0
    return ret


def _impossible_time(sale: dict[str, Any]) -> dict[str, Any]:
    return {**make_return(sale, {0: 1}), "created_at": "2026-02-30T10:00:00Z"}


RETURN_REJECTIONS = [
    (_over_return, "returning 4 but only 1 of 3 sold are left to return"),
    (_refunds_short, "the refunds add up to"),
    (_lines_vs_total, "the return lines add up to"),
    (_refund_more_than_line, "left of the line total"),
    (_tax_more_than_line, "left of the line's tax"),
    (_unknown_order, "order 'no-such-order' not found"),
    (_unknown_line, "has no line 'no-such-line'"),
    (_unknown_location, "unknown location 'no-such-location'"),
    (_bad_payload, "invalid return.create payload: lines.0.quantity"),
    (_impossible_time, "created_at '2026-02-30T10:00:00Z' is not a date and time"),
]


@pytest.fixture(scope="module")
def partly_returned(shop: LiveShop, catalog: ShopCatalog) -> dict[str, Any]:
    """A sale of which 2 of the 3 units of line 0 already came back."""
    sale = _sold(shop, catalog, 8)
    push_ok(shop, mutation("return.create", make_return(sale, {0: 2})))
    return sale


@pytest.mark.parametrize(("build", "reason"), RETURN_REJECTIONS, ids=[r for _, r in RETURN_REJECTIONS])
def test_a_bad_return_is_rejected_with_a_reason_and_changes_nothing(
    shop: LiveShop, partly_returned: dict[str, Any], build: Any, reason: str
) -> None:
    counts, top = row_counts(shop), head(shop)
    before = order(shop, partly_returned["id"]).json()

    [result] = push_ok(shop, mutation("return.create", build(partly_returned)))

    assert result["status"] == "rejected" and reason in result["reason"], result
    assert row_counts(shop) == counts and head(shop) == top
    assert order(shop, partly_returned["id"]).json() == before


def test_a_return_number_or_id_is_recorded_once(shop: LiveShop, catalog: ShopCatalog) -> None:
    sale = _sold(shop, catalog, 10)
    first = make_return(sale, {0: 1})
    push_ok(shop, mutation("return.create", first))
    same_number = {**make_return(sale, {0: 1}), "number": first["number"]}
    same_id = {**make_return(sale, {0: 1}), "id": first["id"]}
    counts = row_counts(shop)

    results = push_ok(shop, mutation("return.create", same_number), mutation("return.create", same_id))

    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert f"return number {first['number']} is already used" in results[0]["reason"]
    assert f"return {first['id']} is already recorded" in results[1]["reason"]
    assert row_counts(shop) == counts


def test_a_cancelled_order_takes_no_return(shop: LiveShop, catalog: ShopCatalog) -> None:
    sale = _sold(shop, catalog, 12)
    assert shop.admin_patch(f"orders/{sale['id']}", {"status": "cancelled"}).status_code == 200
    [result] = push_ok(shop, mutation("return.create", make_return(sale, {0: 1})))
    assert result["status"] == "rejected" and "is cancelled" in result["reason"]


def test_an_unpaid_web_order_takes_no_return_until_it_is_paid(shop: LiveShop, catalog: ShopCatalog) -> None:
    variant_id = catalog.variants[14]["id"]
    web = shop.admin_post("orders", json={"lines": [{"variant_id": variant_id, "quantity": 2}]}).json()
    assert web["status"] == "pending"
    ret = make_return(web, {0: 1})
    counts = row_counts(shop)

    [refused] = push_ok(shop, mutation("return.create", ret))

    assert refused["status"] == "rejected" and "is not paid yet" in refused["reason"]
    assert row_counts(shop) == counts and order(shop, web["id"]).json()["status"] == "pending"
    assert shop.admin_patch(f"orders/{web['id']}", {"status": "paid"}).status_code == 200
    [taken] = push_ok(shop, mutation("return.create", ret))
    assert taken["status"] == "applied"


def test_cancelling_after_a_restocked_return_puts_back_only_what_is_still_out(
    shop: LiveShop, catalog: ShopCatalog
) -> None:
    sale = _sold(shop, catalog, 14)
    v0 = sale["lines"][0]["variant_id"]
    start = levels(shop, [v0], sale["location_id"])[v0] + 3  # before the sale
    push_ok(shop, mutation("return.create", make_return(sale, {0: 1}, restock=True)))
    assert shop.admin_patch(f"orders/{sale['id']}", {"status": "cancelled"}).status_code == 200
    assert levels(shop, [v0], sale["location_id"])[v0] == start
