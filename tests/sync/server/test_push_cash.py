"""`cash.session`: a till's closed shift goes into the shop's cash books once, checked to the cent;
the admin API reads it back as the Z report. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sync.server.ids import uuid7
from tests.fixtures.shop_server import LiveShop
from tests.sync.server.books_helpers import as_till, cash_session, count_rows, pieces_of
from tests.sync.server.helpers import head
from tests.sync.server.push_helpers import mutation, push_ok, row_counts

Doc = dict[str, Any]


@pytest.fixture(scope="module")
def shop(shop: LiveShop) -> LiveShop:
    """The module's shop as seen from till T9, the code the books built here are filed under."""
    return as_till(shop, "T9")


def _tender(session: Doc, method: str) -> Doc:
    return next(t for t in session["tenders"] if t["method"] == method)


def test_a_closed_session_is_recorded_once_and_read_back_as_sent(shop: LiveShop) -> None:
    session = cash_session(cash_short=-70, pay_ins=0)  # 0.70 over
    top = head(shop)
    [result] = push_ok(shop, mutation("cash.session", session))
    assert result["status"] == "applied" and result["seq"] == top  # nothing logged for tills
    got = shop.admin_get(f"cash-sessions/{session['id']}")
    assert got.status_code == 200, got.text
    body = got.json()
    assert {k: body[k] for k in session} == session
    assert body["variance"] == 70 and body["device_id"] == shop.device_id
    listed = shop.admin_get("cash-sessions", params={"till_code": "T9", "limit": 1000}).json()
    assert session["id"] in [s["id"] for s in listed]


def test_a_resent_session_is_a_duplicate_and_writes_no_second_row(shop: LiveShop) -> None:
    m = mutation("cash.session", cash_session())
    [first] = push_ok(shop, m)
    counts = row_counts(shop)
    [again] = push_ok(shop, m)
    assert again["status"] == "duplicate" and again["seq"] == first["seq"]
    assert row_counts(shop) == counts
    assert count_rows(shop, "cash_session", id=m["payload"]["id"]) == 1


def test_the_same_session_under_a_new_mutation_id_is_rejected_naming_it(shop: LiveShop) -> None:
    session = cash_session()
    push_ok(shop, mutation("cash.session", session))
    [result] = push_ok(shop, mutation("cash.session", session))
    assert result["status"] == "rejected"
    assert f"cash session {session['id']} of till T9 is already recorded" in result["reason"]
    assert count_rows(shop, "cash_session", id=session["id"]) == 1


def _set_cash(field: str, value: int) -> Callable[[Doc], None]:
    return lambda s: _tender(s, "cash").__setitem__(field, value)


BROKEN: list[tuple[str, Callable[[Doc], None], str]] = [
    (
        "expected cash off by a cent",
        lambda s: _tender(s, "cash").update(
            expected=_tender(s, "cash")["expected"] + 1, variance=_tender(s, "cash")["variance"] - 1
        ),
        "cash: expected 15611 is not float + taken - refunded + pay-ins - pay-outs - drops = 15610",
    ),
    ("a pay-out not taken off", lambda s: s.update(pay_outs=s["pay_outs"] + 100), "cash: expected"),
    ("variance is not counted - expected", _set_cash("variance", 5), "variance 5 is not counted - expected"),
    (
        "card expected is not taken - refunded",
        lambda s: _tender(s, "card").update(expected=1, variance=_tender(s, "card")["counted"] - 1),
        "card: expected 1 is not taken - refunded = 8400",
    ),
    (
        "sales total is not the tenders' takings",
        lambda s: s.update(sales_total=s["sales_total"] + 5),
        "the tenders' taken add up to 20750 but sales_total is 20755",
    ),
    (
        "refunds total is not the tenders' refunds",
        lambda s: s.update(refunds_total=0),
        "the tenders' refunded add up to 990 but refunds_total is 0",
    ),
    (
        "the drawer count does not add up to the cash counted",
        lambda s: s.update(cash_count=pieces_of(_tender(s, "cash")["counted"] + 200)),
        "the cash count adds up to 15810 but the cash counted is 15610",
    ),
    (
        "a note counted twice",
        lambda s: s.update(cash_count=[*s["cash_count"], {"value": 5000, "count": 0}]),
        "a note or coin appears twice",
    ),
    ("negative takings", lambda s: _tender(s, "card").update(taken=-1), "card: taken and refunded cannot"),
    ("no cash line", lambda s: s.update(tenders=[_tender(s, "card")]), "the session has no cash line"),
    ("a tender twice", lambda s: s.update(tenders=[*s["tenders"], _tender(s, "card")]), "a tender appears"),
    (
        "closed before it opened",
        lambda s: s.update(closed_at="2026-11-25T07:59:59Z"),
        "the session closed (2026-11-25T07:59:59Z) before it opened",
    ),
    ("an impossible date", lambda s: s.update(opened_at="2026-02-30T08:00:00Z"), "opened_at '2026-02-30"),
    (
        "sales without a sale",
        lambda s: s.update(sale_count=0),
        "sales_total is 20750 but sale_count is 0",
    ),
    (
        "another currency",
        lambda s: s.update(currency="USD"),
        "the session is in USD but the shop sells in EUR",
    ),
    (
        "a tender name UTF-8 cannot carry",
        lambda s: _tender(s, "card").update(method="\ud800"),
        "invalid cash.session payload: tenders.1.method:",
    ),
    ("a NUL in a staff id", lambda s: s.update(closed_by="x\x00y"), "holds a NUL character"),
    (
        "another till's code",
        lambda s: s.update(till_code="T7"),
        "a cash session of till T7 cannot come from till T9",
    ),
    # wrong schema: the payload validator names the field
    ("a negative float", lambda s: s.update(float=-1), "invalid cash.session payload: float:"),
    ("counts as text", lambda s: s.update(sale_count="seven"), "invalid cash.session payload: sale_count:"),
    (
        "a lower-case till code",
        lambda s: s.update(till_code="t9"),
        "invalid cash.session payload: till_code:",
    ),
    ("a field missing", lambda s: s.pop("drops"), "invalid cash.session payload: drops: Field required"),
    ("no tenders at all", lambda s: s.update(tenders=[]), "invalid cash.session payload: tenders:"),
    ("a zero-value coin", lambda s: s.update(cash_count=[{"value": 0, "count": 3}]), "cash_count.0.value"),
]


@pytest.mark.parametrize(("what", "breaks", "reason"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_session_that_does_not_add_up_is_rejected_with_the_figure_and_writes_nothing(
    shop: LiveShop, what: str, breaks: Callable[[Doc], None], reason: str
) -> None:
    session = cash_session()
    breaks(session)
    counts = row_counts(shop)
    [result] = push_ok(shop, mutation("cash.session", session))
    assert result["status"] == "rejected", what
    assert reason in result["reason"], result["reason"]
    assert row_counts(shop) == counts  # no applied_mutation claim kept either
    assert count_rows(shop, "cash_session", id=session["id"]) == 0


def test_a_bad_session_in_a_batch_does_not_block_the_others(shop: LiveShop) -> None:
    good, bad, also_good = cash_session(), cash_session(), cash_session(card=(0, 0))
    bad["float"] += 1
    results = push_ok(shop, *(mutation("cash.session", s) for s in (good, bad, also_good)))
    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
    assert [count_rows(shop, "cash_session", id=s["id"]) for s in (good, bad, also_good)] == [1, 0, 1]


def test_a_rejected_session_sent_again_after_the_fix_is_applied(shop: LiveShop) -> None:
    session = cash_session()
    m = mutation("cash.session", {**session, "sales_total": 1})
    assert push_ok(shop, m)[0]["status"] == "rejected"
    # "send again" after a fix on the till: only applied results are stored, so it is judged afresh
    fixed = {**m, "payload": session}
    assert push_ok(shop, fixed)[0]["status"] == "applied"


def test_a_session_built_by_the_till_domain_is_accepted_to_the_cent(shop: LiveShop) -> None:
    """The contract: pos.domain.cash's Z report payload is exactly what the shop checks."""
    from datetime import UTC, datetime

    from pos.domain.cash import Takings, count_cash, open_session
    from pos.domain.money import Money

    def eur(minor: int) -> Money:
        return Money(minor, "EUR")

    at = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    session = open_session(uuid7(), "till", "staff-a", count_cash("EUR", {2000: 5}), at)
    session = session.record_sale(Takings.of_payments([{"method": "cash", "amount": 1999}], "EUR"))
    split = [{"method": "cash", "amount": 501}, {"method": "card", "amount": 3000}]
    session = session.record_sale(Takings.of_payments(split, "EUR"))
    session = session.record_refund(Takings.of_payments([{"method": "cash", "amount": 499}], "EUR"))
    session = session.move("pay_out", eur(1200), "window cleaner", "staff-a", at)
    session = session.move("drop", eur(5000), "", "staff-a", at)
    # expected cash: 100.00 + 19.99 + 5.01 - 4.99 - 12.00 - 50.00 = 58.01; counted 58.00
    counted = count_cash("EUR", {5000: 1, 500: 1, 200: 1, 100: 1})
    closed = session.close(counted, {"card": eur(3000)}, closed_by="staff-b", at=at.replace(hour=17))
    assert closed.closed is not None
    payload = closed.closed.to_payload(opened_by="staff-a", till_code="T9")

    [result] = push_ok(shop, mutation("cash.session", payload))

    assert result["status"] == "applied", result["reason"]
    stored = shop.admin_get(f"cash-sessions/{payload['id']}").json()
    assert stored["variance"] == -1 and _tender(stored, "cash")["expected"] == 5801


def test_the_same_session_resent_at_the_same_moment_is_recorded_once(shop: LiveShop) -> None:
    """A till resending while its first attempt is still being applied: one applied, the rest
    duplicates, one row. The server runs the requests on its worker threads."""
    import threading

    import requests

    m = mutation("cash.session", cash_session())
    barrier, statuses = threading.Barrier(4), []

    def send() -> None:
        with requests.Session() as session:
            barrier.wait()
            response = session.post(
                f"{shop.url}/api/v1/sync/push",
                json={"device_id": shop.device_id, "mutations": [m]},
                headers=shop.headers(),
                timeout=60,
            )
            statuses.append(response.json()["results"][0]["status"])

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    assert sorted(statuses) == ["applied", "duplicate", "duplicate", "duplicate"]
    assert count_rows(shop, "cash_session", id=m["payload"]["id"]) == 1
    assert count_rows(shop, "applied_mutation", id=m["id"]) == 1
