"""Changes: paging, ETag/304, tombstones, 410 below the pruned floor."""

from __future__ import annotations

from sync.protocol import CHANGES_PAGE, PROBLEM_MEDIA_TYPE
from tests.fixtures.shop_server import LiveShop
from tests.sync.server.helpers import all_changes, head, product_body


def test_pages_walk_the_whole_log_in_order_without_gaps(shop: LiveShop) -> None:
    top = head(shop)
    seen: list[int] = []
    since = 0
    while True:
        body = shop.sync_get("changes", params={"since": since, "limit": 7}).json()
        CHANGES_PAGE.validate_python(body)
        assert len(body["changes"]) <= 7
        seen.extend(c["seq"] for c in body["changes"])
        assert body["next"] == (body["changes"][-1]["seq"] if body["changes"] else since)
        assert body["has_more"] == (body["next"] < body["head"])
        since = body["next"]
        if not body["has_more"]:
            break
    assert seen[:top] == list(range(1, top + 1))


def test_etag_is_the_quoted_head_and_if_none_match_answers_304_without_body(shop: LiveShop) -> None:
    top = head(shop)
    first = shop.sync_get("changes", params={"since": top})
    assert first.status_code == 200 and first.json() == {
        "changes": [],
        "next": top,
        "head": top,
        "has_more": False,
    }
    assert first.headers["ETag"] == f'"{top}"'
    idle = shop.sync_get("changes", params={"since": top}, headers={"If-None-Match": f'"{top}"'})
    assert idle.status_code == 304 and idle.content == b""
    assert idle.headers["ETag"] == f'"{top}"'
    shop.admin_post("customers", json={"name": "Etag Tester"}).raise_for_status()
    stale = shop.sync_get("changes", params={"since": top}, headers={"If-None-Match": f'"{top}"'})
    assert stale.status_code == 200
    assert [c["entity"] for c in stale.json()["changes"]] == ["customer"]
    assert stale.headers["ETag"] == f'"{top + 1}"'


def test_deleting_a_product_logs_tombstones_for_it_and_its_stock_levels(shop: LiveShop) -> None:
    product = shop.admin_post("products", json=product_body()).json()
    locations = shop.admin_get("locations").json()
    for variant in product["variants"]:
        for loc in locations:
            body = {"variant_id": variant["id"], "location_id": loc["id"], "delta": 3, "reason": "received"}
            shop.admin_post("stock/adjust", json=body).raise_for_status()
    levels = {
        lv["id"]
        for v in product["variants"]
        for lv in shop.admin_get(f"stock/levels?variant_id={v['id']}").json()
    }
    assert len(levels) == 4
    before = head(shop)
    assert shop.admin_delete(f"products/{product['id']}").status_code == 200
    tail = all_changes(shop, since=before)
    assert all(c["op"] == "delete" and c["data"] is None for c in tail)
    assert {c["id"] for c in tail if c["entity"] == "inventory_level"} == levels
    assert [c["id"] for c in tail if c["entity"] == "product"] == [product["id"]]
    tomb = next(c for c in tail if c["entity"] == "product")
    assert tomb["version"] == product["version"] + 1
    assert shop.admin_get(f"products/{product['id']}").status_code == 404


def test_limit_is_capped_at_the_protocol_maximum(shop_factory) -> None:
    big = shop_factory(products=1500)  # ~6,000 changes
    body = big.sync_get("changes", params={"since": 0, "limit": 10**9}).json()
    assert len(body["changes"]) == 5000 and body["has_more"] is True


def test_since_below_the_pruned_floor_is_410_and_above_it_still_works(fresh_shop: LiveShop) -> None:
    top = head(fresh_shop)
    pruned = fresh_shop.cli("changes", "prune", "--older-than", "0")
    assert pruned.returncode == 0, pruned.stderr
    gone = fresh_shop.sync_get("changes", params={"since": 0})
    assert gone.status_code == 410
    assert gone.headers["Content-Type"] == PROBLEM_MEDIA_TYPE
    assert "snapshot" in gone.json()["detail"] and gone.json()["title"] == "Cursor out of range"
    # If-None-Match does not hide the 410 from a till that is behind.
    assert (
        fresh_shop.sync_get("changes", params={"since": 0}, headers={"If-None-Match": f'"{top}"'}).status_code
        == 410
    )
    assert fresh_shop.sync_get("changes", params={"since": top}).json()["changes"] == []
    # since == floor is served, not 410: the log still holds every seq after it. An idle till
    # polling there is told "nothing new", then gets the next change.
    idle = fresh_shop.sync_get("changes", params={"since": top}, headers={"If-None-Match": f'"{top}"'})
    assert idle.status_code == 304
    fresh_shop.admin_post("customers", json={"name": "After The Prune"}).raise_for_status()
    after = fresh_shop.sync_get("changes", params={"since": top}, headers={"If-None-Match": f'"{top}"'})
    assert after.status_code == 200 and [c["seq"] for c in after.json()["changes"]] == [top + 1]


def test_since_ahead_of_the_head_is_410_and_negative_since_is_422(shop: LiveShop) -> None:
    assert shop.sync_get("changes", params={"since": head(shop) + 1000}).status_code == 410
    # If-None-Match does not hide it either: the head's own tag, or any tag
    top = head(shop)
    for tag in (f'"{top}"', "*"):
        ahead = shop.sync_get("changes", params={"since": top + 5}, headers={"If-None-Match": tag})
        assert ahead.status_code == 410 and ahead.headers["Content-Type"] == PROBLEM_MEDIA_TYPE
        # the title fits both causes: the detail says the shop was replaced, not that changes were pruned
        assert ahead.json()["title"] == "Cursor out of range" and "replaced" in ahead.json()["detail"]
    bad = shop.sync_get("changes", params={"since": -1})
    assert bad.status_code == 422 and bad.headers["Content-Type"] == PROBLEM_MEDIA_TYPE
    assert shop.sync_get("changes", params={"since": "abc"}).status_code == 422
    assert shop.sync_get("changes", params={"limit": 0}).status_code == 422
