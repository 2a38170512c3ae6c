"""`POST /sync/push` with `sale.create`: a till sale becomes a paid "pos" order, stock moves through the
ledger, tills see it all in /sync/changes; a resent sale writes nothing; bad sales are rejected with
a reason and leave the shop as it was. On SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
from typing import Any

import orjson
import pytest

from sync.protocol import DOC_VALIDATORS, PROBLEM_MEDIA_TYPE
from tests.fixtures.shop_server import LiveShop
from tests.sync.server.helpers import all_changes, head, movements, product_body
from tests.sync.server.push_helpers import (
    ShopCatalog,
    levels,
    make_sale,
    mutation,
    order,
    push,
    push_ok,
    row_counts,
)


@pytest.fixture(scope="module")
def catalog(shop: LiveShop) -> ShopCatalog:
    return ShopCatalog.read(shop)


def test_a_sale_becomes_a_paid_pos_order_with_stock_moved_and_logged(
    shop: LiveShop, catalog: ShopCatalog
) -> None:
    v1, v2 = catalog.variants[0], catalog.variants[1]
    location_id = catalog.location_ids[1]
    before = levels(shop, [v1["id"], v2["id"]], location_id)
    since = head(shop)
    sale = make_sale(catalog, [(v1, 2), (v2, 1), (v1, 1)], location_id=location_id, card=500)

    [result] = push_ok(shop, mutation("sale.create", sale))

    assert result["status"] == "applied" and result["reason"] is None
    got = order(shop, sale["id"]).json()
    assert (got["source"], got["status"], got["number"]) == ("pos", "paid", sale["number"])
    assert got["lines"] == sale["lines"] and got["payments"] == sale["payments"]
    assert (got["total"], got["tax"], got["subtotal"]) == (
        sale["total"],
        sale["tax"],
        sale["total"] - sale["tax"],
    )
    assert got["location_id"] == location_id and got["returns"] == [] and got["fulfilments"] == []
    assert got["created_at"] == sale["created_at"]
    DOC_VALIDATORS["order"].validate_python(got)
    after = levels(shop, [v1["id"], v2["id"]], location_id)
    assert after[v1["id"]] == (before[v1["id"]] or 0) - 3 and after[v2["id"]] == (before[v2["id"]] or 0) - 1
    assert sorted(movements(shop, f"order:{sale['number']}")) == sorted(
        [(v1["id"], location_id, -3, "sale"), (v2["id"], location_id, -1, "sale")]
    )
    changes = all_changes(shop, since)
    assert result["seq"] == changes[-1]["seq"] == head(shop)
    assert [(c["entity"], c["id"]) for c in changes][-1] == ("order", sale["id"])
    logged_levels = {
        c["data"]["variant_id"]: c["data"]["quantity"] for c in changes if c["entity"] == "inventory_level"
    }
    assert logged_levels == after


def test_a_resent_sale_answers_duplicate_with_the_stored_seq_and_writes_nothing(
    shop: LiveShop, catalog: ShopCatalog
) -> None:
    sale = make_sale(catalog, [(catalog.variants[2], 1)])
    m = mutation("sale.create", sale)
    [first] = push_ok(shop, m)
    counts, top = row_counts(shop), head(shop)

    [again] = push_ok(shop, m)

    assert again == {**first, "status": "duplicate"}
    assert row_counts(shop) == counts and head(shop) == top


def test_a_gzipped_push_is_accepted(shop: LiveShop, catalog: ShopCatalog) -> None:
    sale = make_sale(catalog, [(catalog.variants[3], 1)])
    body = gzip.compress(
        orjson.dumps({"device_id": shop.device_id, "mutations": [mutation("sale.create", sale)]})
    )
    response = shop.sync_post(
        "push", data=body, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["status"] == "applied"
    assert order(shop, sale["id"]).status_code == 200


def test_a_push_body_that_is_not_good_gzip_is_refused_with_the_designed_problem(
    shop: LiveShop, catalog: ShopCatalog
) -> None:
    plain = orjson.dumps(
        {
            "device_id": shop.device_id,
            "mutations": [mutation("sale.create", make_sale(catalog, [(catalog.variants[3], 1)]))],
        }
    )
    packed = gzip.compress(plain)
    cases = [
        (plain, "gzip", 400, "not valid gzip data"),
        (packed[:-12], "gzip", 400, "it ends before the gzip stream does"),
        (packed + b"trailing", "gzip", 400, "8 bytes after the end of its gzip data"),
        (packed, "br", 415, "Content-Encoding 'br' is not supported"),
        (gzip.compress(b" " * (65 * 1024 * 1024)), "gzip", 413, "over 64 MB once decompressed"),
        (b" " * (65 * 1024 * 1024), "identity", 413, "the request body is over 64 MB"),
        # Thousands of empty members: each copied the rest of the body, seconds of the event loop.
        (gzip.compress(b"") * 100_000, "gzip", 400, "more than 8 gzip members"),
    ]
    counts = row_counts(shop)
    for body, encoding, status, detail in cases:
        headers = {"Content-Encoding": encoding, "Content-Type": "application/json"}
        response = shop.sync_post("push", data=body, headers=headers)
        assert response.status_code == status, (encoding, response.text)
        assert response.headers["Content-Type"] == PROBLEM_MEDIA_TYPE
        assert detail in response.json()["detail"]
    assert row_counts(shop) == counts
    # A stream of two gzip members is one body (RFC 1952)
    half = len(plain) // 2
    two = gzip.compress(plain[:half]) + gzip.compress(plain[half:])
    response = shop.sync_post(
        "push", data=two, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
    )
    assert response.status_code == 200 and response.json()["results"][0]["status"] == "applied"
    # A GET's body is never read, so never decoded: no work for a request that needs none.
    bomb = gzip.compress(b"") * 100_000
    response = shop.sync_get("changes", params={"since": 0}, data=bomb, headers={"Content-Encoding": "gzip"})
    assert response.status_code == 200, response.text


def test_a_json_number_python_will_not_read_is_a_422_problem(shop: LiveShop) -> None:
    body = b'{"device_id": "x", "mutations": [], "n": ' + b"9" * 5000 + b"}"
    headers = {"Content-Type": "application/json"}
    for response in (
        shop.sync_post("push", data=body, headers=headers),
        shop.admin_post("customers", data=body, headers=headers),
    ):
        assert response.status_code == 422, response.text
        assert response.headers["Content-Type"] == PROBLEM_MEDIA_TYPE


def test_selling_below_zero_and_where_there_is_no_level_yet_is_allowed(
    shop: LiveShop, catalog: ShopCatalog
) -> None:
    created = shop.admin_post("products", product_body(title="Unstocked Tea")).json()
    new_variant = {**created["variants"][0], "tax_rate": None, "product_title": created["title"]}
    location_id = catalog.location_ids[0]
    assert levels(shop, [new_variant["id"]], location_id) == {new_variant["id"]: None}

    [result] = push_ok(shop, mutation("sale.create", make_sale(catalog, [(new_variant, 4)])))

    assert result["status"] == "applied"
    assert levels(shop, [new_variant["id"]], location_id) == {new_variant["id"]: -4}


def test_one_bad_mutation_never_blocks_the_others_and_results_keep_the_order_sent(
    shop: LiveShop, catalog: ShopCatalog
) -> None:
    good1 = make_sale(catalog, [(catalog.variants[4], 1)])
    bad = make_sale(catalog, [(catalog.variants[5], 1)])
    bad["total"] += 1
    good2 = make_sale(catalog, [(catalog.variants[6], 1)])
    sent = [mutation("sale.create", s) for s in (good1, bad, good2)]

    results = push_ok(shop, *sent)

    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
    assert results[0]["seq"] < results[2]["seq"]
    assert order(shop, good2["id"]).status_code == 200 and order(shop, bad["id"]).status_code == 404


def test_a_sale_holding_a_nul_is_rejected_alone_and_the_others_are_applied(
    shop: LiveShop, catalog: ShopCatalog
) -> None:
    good = make_sale(catalog, [(catalog.variants[4], 1)])
    bad_id = {**make_sale(catalog, [(catalog.variants[5], 1)]), "id": "sale\x00id"}
    bad_title = make_sale(catalog, [(catalog.variants[5], 1)])
    bad_title["lines"][0]["title"] = "Oat\x00milk"
    sent = [mutation("sale.create", s) for s in (bad_id, good, bad_title)]

    results = push_ok(shop, *sent)

    assert [r["status"] for r in results] == ["rejected", "applied", "rejected"]
    assert "id holds a NUL character" in results[0]["reason"]
    assert "lines.0.title holds a NUL character" in results[2]["reason"]
    assert order(shop, good["id"]).status_code == 200 and order(shop, bad_title["id"]).status_code == 404


def _sale_with(catalog: ShopCatalog, **kw: Any) -> dict[str, Any]:
    return make_sale(catalog, [(catalog.variants[7], 2), (catalog.variants[8], 1)], **kw)


def _set(path: str, value: Any):  # type: ignore[no-untyped-def]
    def edit(sale: dict[str, Any], _catalog: ShopCatalog) -> None:
        *parents, last = path.split(".")
        target: Any = sale
        for p in parents:
            target = target[int(p)] if p.isdigit() else target[p]
        target[int(last) if last.isdigit() else last] = value

    return edit


def _unknown_variant(sale: dict[str, Any], _catalog: ShopCatalog) -> None:
    sale["lines"][1]["variant_id"] = "no-such-variant"


def _card_with_change(sale: dict[str, Any], _catalog: ShopCatalog) -> None:
    total = sale["total"]
    sale["payments"] = [
        {"id": "p-card", "method": "card", "amount": total, "tendered": total + 500, "reference": None}
    ]
    sale["change"] = 500


def _change_without_cash(sale: dict[str, Any], _catalog: ShopCatalog) -> None:
    _card_with_change(sale, _catalog)
    sale["payments"][0]["tendered"] = sale["total"]


def _tendered_short(sale: dict[str, Any], _catalog: ShopCatalog) -> None:
    sale["change"] += 100


def _payments_short(sale: dict[str, Any], _catalog: ShopCatalog) -> None:
    sale["payments"][-1]["amount"] -= 1


def _line_total(sale: dict[str, Any], _catalog: ShopCatalog) -> None:
    sale["lines"][0]["total"] += 1
    sale["total"] += 1


def _lines_vs_total(sale: dict[str, Any], _catalog: ShopCatalog) -> None:
    sale["total"] += 10


def _wrong_currency(sale: dict[str, Any], _catalog: ShopCatalog) -> None:
    sale["currency"] = "JPY"


ARABIC_2026 = "\u0662\u0660\u0662\u0666"  # digits a regex's \d takes

REJECTIONS = [
    (_set("lines.0.quantity", 0), "invalid sale.create payload: lines.0.quantity"),
    (_set("number", "not a receipt"), "invalid sale.create payload: number"),
    (_set("lines", []), "invalid sale.create payload: lines"),
    (_set("total", "12.50"), "invalid sale.create payload: total"),
    (_unknown_variant, "unknown variant 'no-such-variant'"),
    (_set("location_id", "no-such-location"), "unknown location 'no-such-location'"),
    (_set("customer_id", "no-such-customer"), "unknown customer 'no-such-customer'"),
    (_line_total, "line 1 ("),
    (_lines_vs_total, "the lines add up to a total of"),
    (_payments_short, "the payments add up to"),
    (_tendered_short, "minus change"),
    (_card_with_change, "change is only given from cash"),
    (_change_without_cash, "change of 500 given without a cash payment"),
    (_wrong_currency, "the sale is in JPY but the shop sells in"),
    (_set("created_at", "2026-13-45T99:99:99Z"), "created_at '2026-13-45T99:99:99Z' is not a date and time"),
    (_set("created_at", f"{ARABIC_2026}-01-01T10:00:00Z"), "invalid sale.create payload: created_at"),
    (_set("lines.0.tax_rate", "\u0662\u0660"), "invalid sale.create payload: lines.0.tax_rate"),
]


@pytest.mark.parametrize(("breaker", "reason"), REJECTIONS, ids=[r for _, r in REJECTIONS])
def test_a_broken_sale_is_rejected_with_a_reason_and_changes_nothing(
    shop: LiveShop, catalog: ShopCatalog, breaker: Any, reason: str
) -> None:
    sale = _sale_with(catalog)
    breaker(sale, catalog)
    counts, top = row_counts(shop), head(shop)
    before = levels(shop, [catalog.variants[7]["id"], catalog.variants[8]["id"]], catalog.location_ids[0])

    [result] = push_ok(shop, mutation("sale.create", sale))

    assert result["status"] == "rejected" and reason in result["reason"], result
    assert result["seq"] is None
    assert row_counts(shop) == counts and head(shop) == top
    assert (
        levels(shop, [catalog.variants[7]["id"], catalog.variants[8]["id"]], catalog.location_ids[0])
        == before
    )


def test_a_sale_time_without_a_fraction_is_stored_in_the_fixed_width_form(
    shop: LiveShop, catalog: ShopCatalog
) -> None:
    sale = {**make_sale(catalog, [(catalog.variants[3], 1)]), "created_at": "2026-11-25T10:11:12Z"}
    [result] = push_ok(shop, mutation("sale.create", sale))
    assert result["status"] == "applied"
    assert order(shop, sale["id"]).json()["created_at"] == "2026-11-25T10:11:12.000000Z"


def _one_line_sale(catalog: ShopCatalog, rate: str | None, tax: int) -> dict[str, Any]:
    """A sale of one line of 9.99 at `rate` carrying `tax`, every other figure made to agree, paid by card."""
    sale = make_sale(catalog, [(catalog.variants[12], 1)])
    total = 999 if catalog.inclusive else 999 + tax
    sale["lines"][0].update(unit_price=999, quantity=1, discount=0, tax_rate=rate, tax=tax, total=total)
    sale.update(subtotal=999, discount=0, tax=tax, total=total, change=0)
    card = {"id": "p-1", "method": "card", "amount": total, "tendered": total, "reference": None}
    sale["payments"] = [card]
    return sale


def test_a_line_tax_is_bounded_by_the_tax_rule_but_not_by_its_rounding(
    shop: LiveShop, catalog: ShopCatalog
) -> None:
    # 20 % of 9.99: 166.5 inside the gross (inclusive), 199.8 on the net (exclusive)
    low, high = (166, 167) if catalog.inclusive else (199, 200)
    kind = "gross" if catalog.inclusive else "net"
    over_gross = "more than the line's gross 999" if catalog.inclusive else "is not 20 % of the net 999"
    bad = [
        (_one_line_sale(catalog, "20", 10_000), over_gross),
        (_one_line_sale(catalog, "20", high + 1), f"tax {high + 1} is not 20 % of the {kind} 999"),
        (_one_line_sale(catalog, "20", low - 1), f"tax {low - 1} is not 20 % of the {kind} 999"),
        (_one_line_sale(catalog, "0", 1), "tax 1 on a line taxed at 0 %"),
        (_one_line_sale(catalog, None, 1), "tax 1 on a line taxed at 0 % (or not taxed)"),
    ]
    good = [_one_line_sale(catalog, "20", low), _one_line_sale(catalog, "20", high)]
    counts = row_counts(shop)

    results = push_ok(shop, *(mutation("sale.create", sale) for sale, _ in bad))

    for result, (_, reason) in zip(results, bad, strict=True):
        assert result["status"] == "rejected" and reason in result["reason"], result
    assert row_counts(shop) == counts
    # Either minor unit next to the exact tax is the rule's figure rounded some way: accepted
    accepted = push_ok(shop, *(mutation("sale.create", sale) for sale in good))
    assert [r["status"] for r in accepted] == ["applied", "applied"]


def test_a_rejected_sale_sent_again_is_judged_again(shop: LiveShop, catalog: ShopCatalog) -> None:
    sale = make_sale(catalog, [(catalog.variants[9], 1)], customer_id="0190-later-customer")
    m = mutation("sale.create", sale)
    [first] = push_ok(shop, m)
    assert first["status"] == "rejected"
    customer = {
        "id": "0190-later-customer",
        "name": "Late Lee",
        "email": None,
        "phone": None,
        "loyalty_code": None,
    }
    push_ok(shop, mutation("customer.upsert", customer))

    [second] = push_ok(shop, m)

    assert second["status"] == "applied"
    assert order(shop, sale["id"]).json()["customer_id"] == "0190-later-customer"


def test_a_receipt_number_is_taken_once_and_a_sale_id_is_recorded_once(
    shop: LiveShop, catalog: ShopCatalog
) -> None:
    first = make_sale(catalog, [(catalog.variants[10], 1)])
    push_ok(shop, mutation("sale.create", first))
    same_number = make_sale(catalog, [(catalog.variants[11], 1)], number=first["number"])
    same_id = {**make_sale(catalog, [(catalog.variants[11], 1)]), "id": first["id"]}
    counts = row_counts(shop)

    results = push_ok(shop, mutation("sale.create", same_number), mutation("sale.create", same_id))

    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert f"receipt number {first['number']} is already used by another sale" in results[0]["reason"]
    assert f"already recorded as order {first['number']}" in results[1]["reason"]
    assert row_counts(shop) == counts


def test_unsupported_mutation_types_are_rejected_not_refused(shop: LiveShop) -> None:
    counts = row_counts(shop)
    [result] = push_ok(shop, mutation("stock.adjust", {"variant_id": "x", "delta": 1}))
    assert result["status"] == "rejected" and "does not accept 'stock.adjust'" in result["reason"]
    assert row_counts(shop) == counts


MALFORMED = [
    ({"device_id": "x"}, "mutations"),
    ({"mutations": []}, "device_id"),
    ({"device_id": "DEVICE", "mutations": []}, "mutations"),
    ({"device_id": "DEVICE", "mutations": [{"id": "m", "type": "sale.create"}]}, "payload"),
    ({"device_id": "DEVICE", "mutations": [{"id": "m", "type": "sale.delete", "payload": {}}]}, "type"),
    ({"device_id": "DEVICE", "mutations": [{"id": "m", "type": "sale.create", "payload": {}, "x": 1}]}, "x"),
    (
        {
            "device_id": "DEVICE",
            "mutations": [{"id": f"m{i}", "type": "sale.create", "payload": {}} for i in range(101)],
        },
        "mutations",
    ),
    ("not json at all", "JSON"),
]


@pytest.mark.parametrize(("body", "field"), MALFORMED)
def test_a_malformed_envelope_is_a_422_problem_and_changes_nothing(
    shop: LiveShop, body: Any, field: str
) -> None:
    counts = row_counts(shop)
    if isinstance(body, dict):
        payload = orjson.dumps(body).replace(b"DEVICE", shop.device_id.encode())
    else:
        payload = body.encode()
    response = shop.sync_post("push", data=payload, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field.lower() in response.json()["detail"].lower()
    assert row_counts(shop) == counts


def test_push_needs_the_tokens_own_device(shop: LiveShop, catalog: ShopCatalog) -> None:
    sale = make_sale(catalog, [(catalog.variants[12], 1)])
    counts = row_counts(shop)
    other = shop.admin_post("devices", {"name": f"other-{sale['id'][-8:]}"}).json()

    missing = shop.session.post(
        f"{shop.url}/api/v1/sync/push", json={"device_id": shop.device_id, "mutations": []}
    )
    wrong = push(shop, mutation("sale.create", sale), token="not-a-token")
    foreign = push(shop, mutation("sale.create", sale), device_id=other["id"])
    shop.admin_delete(f"devices/{other['id']}")
    revoked = push(shop, mutation("sale.create", sale), token=other["token"], device_id=other["id"])

    assert [r.status_code for r in (missing, wrong, foreign, revoked)] == [401, 401, 403, 401]
    assert all(
        r.headers["content-type"] == "application/problem+json" for r in (missing, wrong, foreign, revoked)
    )
    assert "is not the device of this token" in foreign.json()["detail"]
    assert row_counts(shop) == counts


def test_web_orders_carry_location_and_returns_and_validate(shop: LiveShop, catalog: ShopCatalog) -> None:
    placed = shop.admin_post(
        "orders", {"lines": [{"variant_id": catalog.variants[13]["id"], "quantity": 1}]}
    ).json()
    assert placed["location_id"] == catalog.location_ids[0] and placed["returns"] == []
    for change in all_changes(shop):
        if change["entity"] == "order" and change["data"] is not None:
            DOC_VALIDATORS["order"].validate_python(change["data"])
