"""A PATCH that changes nothing (`{}`, or fields set to the values they have) answers the current
document and logs nothing: no new version, no change every till would download again."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.fixtures.shop_server import LiveShop
from tests.sync.server.helpers import all_changes, head, product_body


def _tag() -> str:
    return uuid.uuid4().hex[:8].upper()


NEW: dict[str, Any] = {
    "products": lambda: product_body(),
    "locations": lambda: {"code": f"L{_tag()}", "name": "Pop-up"},
    "tax-rates": lambda: {"name": f"Rate {_tag()}", "rate": "7.5"},
    "customers": lambda: {"name": f"Ann {_tag()}", "email": "ann@example.com"},
    "staff": lambda: {"name": f"Sam {_tag()}", "role": "cashier", "pin": "4829"},
}
SAME: dict[str, Any] = {  # fields set to what they are
    "products": lambda doc: {"title": doc["title"], "variants": [{"id": v["id"]} for v in doc["variants"]]},
    "locations": lambda doc: {"code": doc["code"], "name": doc["name"]},
    "tax-rates": lambda doc: {"rate": doc["rate"]},
    "customers": lambda doc: {"name": doc["name"], "email": doc["email"], "phone": None},
    "staff": lambda doc: {"role": doc["role"], "active": True},
}
CHANGE: dict[str, Any] = {
    "products": {"title": "Renamed"},
    "locations": {"name": "Renamed"},
    "tax-rates": {"name": f"Renamed {_tag()}"},
    "customers": {"name": "Renamed"},
    "staff": {"name": f"Renamed {_tag()}"},
}


@pytest.mark.parametrize("path", list(NEW))
def test_a_patch_that_changes_nothing_logs_nothing_and_answers_the_current_document(
    shop: LiveShop, path: str
) -> None:
    created = shop.admin_post(path, json=NEW[path]())
    assert created.status_code == 201, created.text
    doc = created.json()
    before = head(shop)
    for body in ({}, SAME[path](doc)):
        resp = shop.admin_patch(f"{path}/{doc['id']}", json=body)
        assert resp.status_code == 200, resp.text
        assert resp.json() == doc == shop.admin_get(f"{path}/{doc['id']}").json()
    assert head(shop) == before
    changed = shop.admin_patch(f"{path}/{doc['id']}", json=CHANGE[path])
    assert changed.status_code == 200 and changed.json()["version"] == doc["version"] + 1
    [change] = all_changes(shop, since=before)
    assert change["data"] == changed.json()
    if "updated_at" in doc:
        assert changed.json()["updated_at"] > doc["updated_at"]
