"""`audit.entry`: the tills' audit log is appended to once per entry and read back through the admin
API, filtered by person, action, till and date. SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import pytest

from sync.protocol import PROBLEM_MEDIA_TYPE
from tests.fixtures.shop_server import LiveShop
from tests.sync.server.books_helpers import as_till, audit_entry, count_rows
from tests.sync.server.helpers import head
from tests.sync.server.push_helpers import mutation, push_ok, row_counts

Doc = dict[str, Any]


@pytest.fixture(scope="module")
def shop(shop: LiveShop) -> LiveShop:
    """The module's shop as seen from till T9, the code the books built here are filed under."""
    return as_till(shop, "T9")


def _audit(shop: LiveShop, **params: Any) -> list[Doc]:
    response = shop.admin_get("audit", params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    return response.json()


def test_an_entry_is_recorded_with_who_when_where_why_and_read_back_as_sent(shop: LiveShop) -> None:
    entry = audit_entry(staff_id=f"s-{uuid.uuid4().hex[:8]}")
    top = head(shop)
    [result] = push_ok(shop, mutation("audit.entry", entry))
    assert result["status"] == "applied" and result["seq"] == top  # tills do not pull the log
    [got] = _audit(shop, staff_id=entry["staff_id"])
    assert {k: got[k] for k in entry} == entry
    assert got["device_id"] == shop.device_id and got["received_at"].endswith("Z")


def test_a_resent_entry_is_a_duplicate_and_the_log_gets_no_second_line(shop: LiveShop) -> None:
    m = mutation("audit.entry", audit_entry())
    [first] = push_ok(shop, m)
    counts = row_counts(shop)
    [again] = push_ok(shop, m)
    assert again["status"] == "duplicate" and again["seq"] == first["seq"]
    assert row_counts(shop) == counts
    assert count_rows(shop, "audit_entry", id=m["payload"]["id"]) == 1
    # the same entry under another mutation id is never written over what was recorded
    [other] = push_ok(shop, mutation("audit.entry", {**m["payload"], "reason": "rewritten"}))
    assert other["status"] == "rejected" and "is already recorded" in other["reason"]
    assert count_rows(shop, "audit_entry", id=m["payload"]["id"], reason="rewritten") == 0


def test_the_log_filters_by_person_action_till_and_date_newest_first(shop: LiveShop) -> None:
    pat, sam = f"pat-{uuid.uuid4().hex[:8]}", f"sam-{uuid.uuid4().hex[:8]}"
    entries = [
        audit_entry("void.line", staff_id=pat, at="2026-11-24T09:00:00Z"),
        audit_entry("drawer.open", staff_id=pat, at="2026-11-25T09:00:00Z", till_code="T8"),
        audit_entry("void.line", staff_id=pat, at="2026-11-25T18:00:00.5Z"),
        audit_entry("price.override", staff_id=sam, at="2026-11-26T10:00:00Z", before=None, after=None),
    ]
    on_t9 = [entries[0], *entries[2:]]
    assert {r["status"] for r in push_ok(shop, *(mutation("audit.entry", e) for e in on_t9))} == {"applied"}
    assert push_ok(as_till(shop, "T8"), mutation("audit.entry", entries[1]))[0]["status"] == "applied"

    def ids(**params: Any) -> list[str]:
        return [e["id"] for e in _audit(shop, **params)]

    e = [x["id"] for x in entries]
    assert ids(staff_id=pat) == [e[2], e[1], e[0]]  # newest first
    assert ids(staff_id=pat, action="void.line") == [e[2], e[0]]
    assert ids(staff_id=pat, till_code="T8") == [e[1]]
    assert ids(staff_id=pat, since="2026-11-25") == [e[2], e[1]]  # a date is midnight UTC
    assert ids(staff_id=pat, since="2026-11-25", until="2026-11-25T18:00:00.5Z") == [e[1]]  # until excluded
    assert ids(staff_id=pat, until="2026-11-25T12:00:00+02:00") == [e[1], e[0]]  # 10:00 UTC
    assert ids(staff_id=sam) == [e[3]]
    assert ids(staff_id=pat, limit=1, offset=1) == [e[1]]
    assert ids(staff_id="nobody") == []


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-13-01"}, "until"),
        ({"since": "2026-11-25T25:00:00Z"}, "since"),
        ({"since": "2026-11-26", "until": "2026-11-25"}, "until (2026-11-25T00:00:00.000000Z) must be later"),
        ({"since": "2026-11-26", "until": "2026-11-26"}, "must be later than since"),
        ({"since": "0001-01-01T00:00:00+01:00"}, "since 0001-01-01T00:00:00+01:00 is out of range"),
        ({"since": "2026-11-25T00:00:00+05:00", "until": "2026-11-26"}, None),  # zone and none mixed: fine
        ({"limit": "0"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"action": "x" * 65}, "action"),
    ],
)
def test_bad_filters_are_422_problems(shop: LiveShop, params: dict[str, str], words: str | None) -> None:
    for path in ("audit", "cash-sessions"):
        if path == "cash-sessions" and "action" in params:
            continue
        response = shop.admin_get(path, params=params)
        if words is None:
            assert response.status_code == 200, response.text
            continue
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
        assert words in response.json()["detail"]


def test_the_books_are_for_admin_devices_only(shop: LiveShop) -> None:
    for path in ("audit", "cash-sessions", "cash-sessions/anything"):
        response = shop.session.get(f"{shop.url}/api/v1/admin/{path}", headers=shop.headers(), timeout=30)
        assert response.status_code == 403, response.text
        assert shop.session.get(f"{shop.url}/api/v1/admin/{path}", timeout=30).status_code == 401
    missing = shop.admin_get("cash-sessions/no-such-session")
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM_MEDIA_TYPE


BAD_ENTRIES: list[tuple[str, Doc, str]] = [
    ("an action that is not a dotted name", {"action": "Void Line"}, "invalid audit.entry payload: action:"),
    ("an action too long", {"action": "a" * 65}, "invalid audit.entry payload: action:"),
    ("a time without a zone", {"at": "2026-11-25T10:15:00"}, "invalid audit.entry payload: at:"),
    ("an impossible time", {"at": "2026-11-25T24:15:00Z"}, "at '2026-11-25T24:15:00Z' is not a date"),
    ("before that is not an object", {"before": [1, 2]}, "invalid audit.entry payload: before:"),
    (
        "after too big",
        {"after": {"blob": "x" * 20_000}},
        "after is 20,011 bytes of JSON; an audit entry takes",
    ),
    ("a number JSON can parse but not store", {"after": {"n": 2**70}}, "after.n cannot be stored"),
    ("a reason UTF-8 cannot carry", {"reason": "\udc80"}, "invalid audit.entry payload: reason:"),
    ("a detail UTF-8 cannot carry", {"before": {"note": "\udc80"}}, "before.note cannot be stored"),
    ("a NUL in the subject", {"subject": "T9-\x00"}, "subject holds a NUL character"),
    ("another till's code", {"till_code": "T7"}, "an audit entry of till T7 cannot come from till T9"),
]


@pytest.mark.parametrize(("what", "change", "reason"), BAD_ENTRIES, ids=[b[0] for b in BAD_ENTRIES])
def test_a_bad_entry_is_rejected_with_a_reason_and_writes_nothing(
    shop: LiveShop, what: str, change: Doc, reason: str
) -> None:
    entry = audit_entry(**change)
    counts = row_counts(shop)
    [result] = push_ok(shop, mutation("audit.entry", entry))
    assert result["status"] == "rejected", what
    assert reason in result["reason"], result["reason"]
    assert row_counts(shop) == counts
    assert count_rows(shop, "audit_entry", id=entry["id"]) == 0


def test_entries_and_sales_in_one_batch_are_each_judged_on_their_own(shop: LiveShop) -> None:
    good, bad = audit_entry("drawer.open", reason="no sale"), audit_entry(at="not a time")
    results = push_ok(
        shop,
        mutation("audit.entry", good),
        mutation("audit.entry", bad),
        mutation("sale.create", {"id": "not-a-sale"}),
    )
    assert [r["status"] for r in results] == ["applied", "rejected", "rejected"]
    assert count_rows(shop, "audit_entry", id=good["id"]) == 1


def test_a_device_without_a_code_files_under_the_code_its_till_derives(shop: LiveShop) -> None:
    # An admin device has no till code; a till on it uses "T" + the last 6 hex digits of its id
    admin = dataclasses.replace(shop, device_token=shop.admin_token)
    info = admin.sync_get("shop").json()
    assert info["till_code"] is None
    admin = dataclasses.replace(admin, device_id=info["device_id"])
    derived = "T" + info["device_id"].replace("-", "")[-6:].upper()

    results = push_ok(admin, *(mutation("audit.entry", audit_entry(till_code=c)) for c in (derived, "T9")))

    assert [r["status"] for r in results] == ["applied", "rejected"]
    assert f"cannot come from till {derived}" in results[1]["reason"]
