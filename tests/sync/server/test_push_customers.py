"""`customer.upsert`: tills create customers with their own ids and change them; a change based on a
stale version answers `conflict` with the current customer and writes nothing. SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sync.server.ids import uuid7
from tests.fixtures.shop_server import LiveShop
from tests.sync.server.helpers import all_changes, head
from tests.sync.server.push_helpers import mutation, push_ok, row_counts


def _customer(**overrides: Any) -> dict[str, Any]:
    return {
        "id": uuid7(),
        "name": "Ada Lovelace",
        "email": "ada@example.org",
        "phone": None,
        "loyalty_code": None,
        **overrides,
    }


def _current(shop: LiveShop, customer_id: str) -> dict[str, Any]:
    response = shop.admin_get(f"customers/{customer_id}")
    assert response.status_code == 200, response.text
    return response.json()


def test_a_till_made_customer_is_created_with_its_own_id_and_logged(shop: LiveShop) -> None:
    payload = _customer(loyalty_code="LC-1001")
    since = head(shop)
    [result] = push_ok(shop, mutation("customer.upsert", payload))
    assert result["status"] == "applied"
    got = _current(shop, payload["id"])
    assert {k: got[k] for k in payload} == payload and got["version"] == 1
    [change] = all_changes(shop, since)
    assert (change["entity"], change["id"], change["seq"], change["data"]) == (
        "customer",
        payload["id"],
        result["seq"],
        got,
    )


def test_a_change_on_the_current_version_is_applied(shop: LiveShop) -> None:
    payload = _customer()
    push_ok(shop, mutation("customer.upsert", payload))
    changed = {**payload, "phone": "+44 20 7946 0000"}
    [result] = push_ok(shop, mutation("customer.upsert", changed, base_version=1))
    assert result["status"] == "applied"
    got = _current(shop, payload["id"])
    assert got["phone"] == "+44 20 7946 0000" and got["version"] == 2


def test_a_change_on_a_stale_version_is_a_conflict_with_the_current_customer(shop: LiveShop) -> None:
    payload = _customer()
    push_ok(shop, mutation("customer.upsert", payload))
    assert shop.admin_patch(f"customers/{payload['id']}", {"name": "Ada King"}).status_code == 200
    current = _current(shop, payload["id"])
    counts, top = row_counts(shop), head(shop)

    m = mutation("customer.upsert", {**payload, "email": "countess@example.org"}, base_version=1)
    [result] = push_ok(shop, m)

    assert result["status"] == "conflict" and result["current"] == current and result["seq"] is None
    assert row_counts(shop) == counts and head(shop) == top
    # judged again when sent again (only applied results are stored)
    [again] = push_ok(shop, m)
    assert again["status"] == "conflict"


def test_a_change_to_a_customer_deleted_on_the_shop_is_rejected(shop: LiveShop) -> None:
    payload = _customer()
    push_ok(shop, mutation("customer.upsert", payload))
    assert shop.admin_delete(f"customers/{payload['id']}").status_code == 200
    counts = row_counts(shop)
    [result] = push_ok(shop, mutation("customer.upsert", payload, base_version=1))
    assert result["status"] == "rejected" and "was deleted on the shop" in result["reason"]
    assert row_counts(shop) == counts


def test_a_customer_without_a_name_is_rejected_naming_the_field(shop: LiveShop) -> None:
    counts = row_counts(shop)
    [result] = push_ok(shop, mutation("customer.upsert", _customer(name="")))
    assert result["status"] == "rejected"
    assert result["reason"].startswith("invalid customer.upsert payload: name:")
    assert row_counts(shop) == counts


def test_a_customer_with_a_nul_is_rejected_alone_on_every_backend(shop: LiveShop) -> None:
    good, bad = _customer(), _customer(name="Ada\x00Lovelace")
    counts = row_counts(shop)

    results = push_ok(shop, mutation("customer.upsert", bad), mutation("customer.upsert", good))

    assert [r["status"] for r in results] == ["rejected", "applied"]
    assert "name holds a NUL character" in results[0]["reason"]
    assert shop.admin_get(f"customers/{bad['id']}").status_code == 404
    assert _current(shop, good["id"])["name"] == good["name"]
    assert row_counts(shop)["customer"] == counts["customer"] + 1
