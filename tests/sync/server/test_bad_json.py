"""A body that is not JSON is a 422 problem that says so in words, with where the JSON goes wrong."""

from __future__ import annotations

import json

from sync.protocol import PROBLEM_MEDIA_TYPE
from tests.fixtures.shop_server import LiveShop
from tests.sync.server.helpers import head

JSON = {"Content-Type": "application/json"}


def _detail(resp) -> str:  # type: ignore[no-untyped-def]
    assert resp.status_code == 422 and resp.headers["Content-Type"] == PROBLEM_MEDIA_TYPE, resp.text
    return resp.json()["detail"]


def test_a_body_that_is_not_json_is_said_in_words_with_its_position(shop: LiveShop) -> None:
    before = head(shop)
    body = b'{"title": 1,}'
    with_reason = f"the request body is not valid JSON (at character 12): {_reason(body)}"
    assert _detail(shop.admin_post("products", data=body, headers=JSON)) == with_reason
    assert _detail(shop.admin_patch("customers/any", data=body, headers=JSON)) == with_reason
    token = {"Authorization": f"Bearer {shop.device_token}", **JSON}
    push = shop.session.post(f"{shop.url}/api/v1/sync/push", data=body, headers=token, timeout=10)
    assert _detail(push) == with_reason
    assert head(shop) == before


def test_json_python_cannot_read_is_said_without_a_meaningless_position(shop: LiveShop) -> None:
    body = b'{"older_than_seconds": ' + b"9" * 5000 + b"}"
    detail = _detail(shop.admin_post("changes/prune", data=body, headers=JSON))
    assert detail.startswith("the request body is not valid JSON: the JSON cannot be read")
    assert "character" not in detail


def _reason(body: bytes) -> str:
    try:
        json.loads(body)
    except json.JSONDecodeError as exc:
        return exc.msg
    raise AssertionError("valid JSON")
