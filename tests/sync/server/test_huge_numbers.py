"""An integer too large for a 64-bit column, in any number a till or an admin sends, is refused by the
request's own checks (a `rejected` result, a 422 problem), never reaches the database and never
answers 500: no OverflowError handler is needed anywhere. SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from sync.protocol import PROBLEM_MEDIA_TYPE
from tests.fixtures.shop_server import LiveShop
from tests.sync.server.books_helpers import as_till, audit_entry, cash_session
from tests.sync.server.helpers import product_body
from tests.sync.server.push_helpers import ShopCatalog, make_return, make_sale, mutation, push_ok, row_counts

Doc = dict[str, Any]
# Just over each end of a signed 64-bit integer (SQLite's driver raises OverflowError for these),
# and far over both.
HUGE = (2**63, -(2**63) - 1, 10**30)


@pytest.fixture(scope="module")
def till(shop: LiveShop) -> LiveShop:
    """The module's shop seen from till T9, whose books the sessions and entries below are filed under."""
    return as_till(shop, "T9")


def _int_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every integer in a JSON document (bools are not numbers here)."""
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _int_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _int_paths(item, (*path, index))


def _with(doc: Doc, path: tuple[Any, ...], number: int) -> Doc:
    changed = copy.deepcopy(doc)
    inner = changed
    for key in path[:-1]:
        inner = inner[key]
    inner[path[-1]] = number
    return changed


def _every_number_huge(kind: str, payload: Doc, numbers: tuple[int, ...] = HUGE) -> list[Doc]:
    paths = list(_int_paths(payload))
    assert paths, f"the {kind} payload has no number to try"
    return [mutation(kind, _with(payload, p, n)) for p in paths for n in numbers]


def _push_all_rejected(shop: LiveShop, sent: list[Doc]) -> list[Doc]:
    counts = row_counts(shop)
    results = []
    for start in range(0, len(sent), 100):  # MAX_PUSH_BATCH
        results.extend(push_ok(shop, *sent[start : start + 100]))
    assert {r["status"] for r in results} == {"rejected"}, [r for r in results if r["status"] != "rejected"]
    assert row_counts(shop) == counts
    return results


def test_a_huge_number_anywhere_in_a_sale_or_return_is_rejected_alone(shop: LiveShop) -> None:
    catalog = ShopCatalog.read(shop)
    sale = make_sale(catalog, [(catalog.variants[0], 3), (catalog.variants[1], 2)])
    [sold] = push_ok(shop, mutation("sale.create", sale))
    assert sold["status"] == "applied"
    fresh = make_sale(catalog, [(catalog.variants[2], 1)])

    # Consecutive sales go through the batched path; the returns one mutation at a time.
    _push_all_rejected(shop, _every_number_huge("sale.create", fresh))
    _push_all_rejected(shop, _every_number_huge("return.create", make_return(sale, {0: 1, 1: 2})))


def test_a_huge_number_in_a_cash_session_or_audit_entry_is_rejected_alone(till: LiveShop) -> None:
    _push_all_rejected(till, _every_number_huge("cash.session", cash_session()))
    # An entry's before and after are kept as JSON text, which holds 2**63 as well: past 64 bits only.
    results = _push_all_rejected(till, _every_number_huge("audit.entry", audit_entry(), HUGE[1:]))
    assert all("cannot be stored: the number is too large" in r["reason"] for r in results), results


def test_a_huge_base_version_is_a_conflict_not_an_error(shop: LiveShop) -> None:
    customer = {"id": "c-huge-base", "name": "Ada", "email": None, "phone": None, "loyalty_code": None}
    assert push_ok(shop, mutation("customer.upsert", customer))[0]["status"] == "applied"
    for number in HUGE:
        [result] = push_ok(shop, mutation("customer.upsert", customer, base_version=number))
        assert result["status"] == "conflict", result


def _problem_422(response: Any) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE


def test_a_huge_number_in_an_admin_body_or_query_is_a_422_problem(shop: LiveShop) -> None:
    catalog = ShopCatalog.read(shop)
    variant_id, location_id = catalog.variants[0]["id"], catalog.location_ids[0]
    for number in HUGE:
        for field in ("price", "position"):
            body = product_body()
            body["variants"][0][field] = number
            _problem_422(shop.admin_post("products", json=body))
        stock = {"variant_id": variant_id, "location_id": location_id, "delta": number, "reason": "count"}
        _problem_422(shop.admin_post("stock/adjust", json=stock))
        line = {"variant_id": variant_id, "quantity": number}
        _problem_422(shop.admin_post("orders", json={"lines": [line]}))
        _problem_422(shop.admin_post("changes/prune", json={"older_than_seconds": number}))
        for query in ({"limit": number}, {"offset": number}):
            _problem_422(shop.admin_get("products", params=query))
            _problem_422(shop.admin_get("audit", params=query))
        for query in ({"since": number}, {"limit": number}):
            _problem_422(shop.sync_get("changes", params=query))
