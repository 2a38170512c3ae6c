"""Admin API for staff: the same PIN rule as the command line, wrong bodies are 422 problem+json
(never a 500), and every change reaches the tills as a `staff` change. SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from sync.pin_hash import verify_pin
from sync.protocol import PROBLEM_MEDIA_TYPE
from tests.fixtures.shop_server import LiveShop
from tests.sync.server.helpers import all_changes, head


def _name() -> str:
    return f"Staff {uuid.uuid4().hex[:8]}"


def _add(shop: LiveShop, **fields: Any) -> dict[str, Any]:
    response = shop.admin_post("staff", json={"name": _name(), "role": "cashier", "pin": "4829", **fields})
    assert response.status_code == 201, response.text
    return response.json()


def _problem(response: Any, status: int = 422) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    return response.json()["detail"]


def test_a_member_added_revoked_and_given_a_new_pin_reaches_the_tills_each_time(shop: LiveShop) -> None:
    since = head(shop)
    made = _add(shop, role="manager")
    assert made["active"] is True and verify_pin("4829", made["pin_hash"])
    revoked = shop.admin_patch(f"staff/{made['id']}", json={"active": False})
    assert revoked.status_code == 200, revoked.text
    new_pin = shop.admin_patch(f"staff/{made['id']}", json={"pin": "5830"}).json()
    assert verify_pin("5830", new_pin["pin_hash"]) and not verify_pin("4829", new_pin["pin_hash"])
    changes = [c for c in all_changes(shop, since) if c["id"] == made["id"]]
    assert [(c["data"]["active"], c["data"]["version"]) for c in changes] == [
        (True, made["version"]),
        (False, made["version"] + 1),
        (False, made["version"] + 2),
    ]
    assert changes[-1]["data"] == new_pin


@pytest.mark.parametrize(
    ("pin", "words"),
    [
        ("1234", "consecutive digits"),
        ("0000", "one digit repeated"),
        ("3737", "repeats a pair of digits"),
        ("123456789", "4 to 8 digits"),
        ("12", "4 to 8 digits"),
        ("48a9", "digits only"),
        ("", "the PIN is empty"),
    ],
)
def test_a_guessable_or_malformed_pin_is_a_422_that_never_repeats_it(
    shop: LiveShop, pin: str, words: str
) -> None:
    top = head(shop)
    detail = _problem(shop.admin_post("staff", json={"name": _name(), "role": "cashier", "pin": pin}))
    assert "pin" in detail and words in detail
    if pin:
        assert pin not in detail
    member = _add(shop)
    assert words in _problem(shop.admin_patch(f"staff/{member['id']}", json={"pin": pin}))
    assert head(shop) == top + 1  # only the good member was logged


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Kim", "role": "boss"},
        {"name": "Kim"},
        {"role": "cashier"},
        {"name": "", "role": "cashier"},
        {"name": "Kim", "role": "cashier", "pin": 4829},
        {"name": "Kim", "role": "cashier", "pin_hash": "scrypt$1$1$1$00$00"},  # never taken from outside
        {"name": "Kim", "role": "cashier", "active": "maybe"},
        {"name": ["Kim"], "role": "cashier"},
        ["Kim", "cashier"],
        "Kim",
        None,
    ],
)
def test_a_wrong_body_is_a_422_problem_and_adds_nobody(shop: LiveShop, body: Any) -> None:
    top = head(shop)
    _problem(shop.admin_post("staff", json=body))
    assert head(shop) == top


def test_wrong_patches_and_unknown_members(shop: LiveShop) -> None:
    member = _add(shop)
    top = head(shop)
    for body in ({"role": "owner"}, {"pin": None}, {"active": None}, {"name": None}, {"id": "x"}, [1]):
        _problem(shop.admin_patch(f"staff/{member['id']}", json=body))
    _problem(shop.admin_patch("staff/no-such-member", json={"active": False}), 404)
    _problem(shop.admin_get("staff/no-such-member"), 404)
    not_json = shop.admin_post("staff", data=b"{name", headers={"Content-Type": "application/json"})
    _problem(not_json)
    assert head(shop) == top
    assert shop.admin_get(f"staff/{member['id']}").json() == member
