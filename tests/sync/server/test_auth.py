"""Bearer device tokens: missing, wrong, revoked -> 401; till token on the admin API -> 403."""

from __future__ import annotations

import pytest

from sync.protocol import PROBLEM_MEDIA_TYPE
from tests.fixtures.shop_server import LiveShop

SYNC_PATHS = ["shop", "changes?since=0", "snapshot?entity=product"]


@pytest.mark.parametrize("path", SYNC_PATHS)
def test_missing_or_wrong_token_is_401_problem(shop: LiveShop, path: str) -> None:
    import requests

    missing = requests.get(f"{shop.url}/api/v1/sync/{path}", timeout=10)
    wrong = shop.sync_get(path, token="not-a-token")
    for resp in (missing, wrong):
        assert resp.status_code == 401
        assert resp.headers["Content-Type"] == PROBLEM_MEDIA_TYPE
        assert resp.headers["WWW-Authenticate"] == "Bearer"
        assert resp.json()["status"] == 401


def test_idle_poll_with_wrong_token_is_401_not_304(shop: LiveShop) -> None:
    top = shop.sync_get("shop").json()["head"]
    resp = shop.sync_get(f"changes?since={top}", token="wrong", headers={"If-None-Match": f'"{top}"'})
    assert resp.status_code == 401


def test_till_token_cannot_use_the_admin_api(shop: LiveShop) -> None:
    resp = shop._admin("GET", "products", headers=shop.headers(shop.device_token))
    assert resp.status_code == 403
    assert resp.headers["Content-Type"] == PROBLEM_MEDIA_TYPE
    assert "admin" in resp.json()["detail"]


def test_rotation_gives_a_new_token_for_the_same_device_and_brings_a_revoked_one_back_saying_so(
    fresh_shop: LiveShop,
) -> None:
    name = fresh_shop.sync_get("shop").json()["device_name"]
    rotated = fresh_shop.cli("device", "rotate", name)
    assert rotated.returncode == 0
    token = rotated.stdout.strip().splitlines()[-1]
    info = fresh_shop.sync_get("shop", token=token).json()
    assert info["device_id"] == fresh_shop.device_id
    assert fresh_shop.sync_get("shop").status_code == 401  # the old token stays dead

    revoked = fresh_shop.cli("device", "revoke", name)
    assert revoked.returncode == 0 and revoked.stdout.startswith(f"revoked {name!r}")
    assert fresh_shop.sync_get("shop", token=token).status_code == 401
    top = 1
    headers = {"If-None-Match": f'"{top}"'}
    assert fresh_shop.sync_get(f"changes?since={top}", token=token, headers=headers).status_code == 401
    twice = fresh_shop.cli("device", "revoke", name)
    when = revoked.stdout.strip().rsplit(" at ", 1)[1]
    assert twice.returncode == 0 and twice.stdout.strip().endswith(f"was already revoked at {when}")
    # Rotating brings a till revoked by mistake back under its own id (its unsent sales need it),
    # and says so: the revocation is not undone without a word.
    back = fresh_shop.cli("device", "rotate", name)
    assert back.returncode == 0 and f"was revoked at {when}: it is active again" in back.stdout
    new_token = back.stdout.strip().splitlines()[-1]
    assert fresh_shop.sync_get("shop", token=new_token).json()["device_id"] == fresh_shop.device_id
    assert fresh_shop.sync_get("shop", token=token).status_code == 401  # the token before stays dead


def test_devices_added_and_revoked_through_the_admin_api(fresh_shop: LiveShop) -> None:
    added = fresh_shop.admin_post("devices", json={"name": "Till 7"})
    assert added.status_code == 201
    token = added.json()["token"]
    assert fresh_shop.sync_get("shop", token=token).json()["device_name"] == "Till 7"
    listed = fresh_shop.admin_get("devices").json()
    assert "token" not in str(listed).lower().replace("token_hash", "")
    assert fresh_shop.admin_delete(f"devices/{added.json()['id']}").json()["revoked_at"]
    assert fresh_shop.sync_get("shop", token=token).status_code == 401
    assert fresh_shop.admin_post("devices", json={"name": "Till 7"}).status_code == 409
