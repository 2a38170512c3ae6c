"""`cash.session`: a till's closed session (its Z report) goes into the shop's cash books.

The figures must add up to the cent or the mutation is rejected with the first figure that does
not; nothing is logged for tills to pull (the books are the shop's, read through the admin API).
A session id is recorded once: the same session under another mutation id is rejected, naming it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select

from sync.server import changelog
from sync.server.devices import Device, check_till
from sync.server.errors import Rejected
from sync.server.ids import utc_now
from sync.server.push_checks import json_text, wire_time
from sync.server.tables import cash_session, settings

Doc = dict[str, Any]
CASH = "cash"


def apply_cash_session(conn: Connection, payload: Doc, pusher: Device) -> int:
    """Record the closed session; returns the head seq (nothing is logged)."""
    check_cash_session(payload)
    check_till(payload, pusher, "a cash session")
    currency = conn.execute(select(settings.c.currency)).scalar()
    if currency is not None and payload["currency"] != currency:
        raise Rejected(f"the session is in {payload['currency']} but the shop sells in {currency}")
    found = conn.execute(select(cash_session.c.till_code).where(cash_session.c.id == payload["id"])).first()
    if found is not None:
        raise Rejected(f"cash session {payload['id']} of till {found.till_code} is already recorded")
    variance = sum(t["variance"] for t in payload["tenders"])
    values = {k: payload[k] for k in _COLUMNS} | {
        "device_id": pusher.id,
        "opened_at": wire_time(payload, "opened_at"),
        "closed_at": wire_time(payload, "closed_at"),
        "variance": variance,
        "tenders": json_text(payload["tenders"]),
        "cash_count": json_text(payload["cash_count"]),
        "received_at": utc_now(),
    }
    conn.execute(insert(cash_session).values(values))
    return changelog.head(conn)[0]


_COLUMNS = (
    "id", "till_code", "opened_by", "closed_by", "approved_by", "currency", "float", "sale_count",
    "sales_total", "refund_count", "refunds_total", "pay_ins", "pay_outs", "drops",
)  # fmt: skip


def check_cash_session(p: Doc) -> None:
    """The arithmetic of sync.protocol.CashSessionClose; raises Rejected with the first figure wrong."""
    if wire_time(p, "closed_at") < wire_time(p, "opened_at"):
        raise Rejected(f"the session closed ({p['closed_at']}) before it opened ({p['opened_at']})")
    methods = [t["method"] for t in p["tenders"]]
    if len(set(methods)) != len(methods):
        raise Rejected(f"a tender appears twice in {methods}")
    if CASH not in methods:
        raise Rejected("the session has no cash line: every session counts its drawer")
    for t in p["tenders"]:
        _check_tender(p, t)
    for field, part in (("sales_total", "taken"), ("refunds_total", "refunded")):
        parts = sum(t[part] for t in p["tenders"])
        if parts != p[field]:
            raise Rejected(f"the tenders' {part} add up to {parts} but {field} is {p[field]}")
    for count, total in (("sale_count", "sales_total"), ("refund_count", "refunds_total")):
        if p[count] == 0 and p[total] != 0:
            raise Rejected(f"{total} is {p[total]} but {count} is 0")
    _check_cash_count(p)


def _check_cash_count(p: Doc) -> None:
    values = [c["value"] for c in p["cash_count"]]
    if len(set(values)) != len(values):
        raise Rejected("a note or coin appears twice in the cash count")
    counted_cash = next(t["counted"] for t in p["tenders"] if t["method"] == CASH)
    pieces = sum(c["value"] * c["count"] for c in p["cash_count"])
    if pieces != counted_cash:
        raise Rejected(f"the cash count adds up to {pieces} but the cash counted is {counted_cash}")


def _check_tender(p: Doc, t: Doc) -> None:
    method = t["method"]
    if t["taken"] < 0 or t["refunded"] < 0:
        raise Rejected(f"{method}: taken and refunded cannot be negative")
    expected = t["taken"] - t["refunded"]
    formula = "taken - refunded"
    if method == CASH:
        expected += p["float"] + p["pay_ins"] - p["pay_outs"] - p["drops"]
        formula = "float + taken - refunded + pay-ins - pay-outs - drops"
        if t["counted"] < 0:
            raise Rejected(f"cash counted cannot be negative ({t['counted']})")
    if t["expected"] != expected:
        raise Rejected(f"{method}: expected {t['expected']} is not {formula} = {expected}")
    if t["variance"] != t["counted"] - t["expected"]:
        raise Rejected(
            f"{method}: variance {t['variance']} is not counted - expected = {t['counted'] - t['expected']}"
        )
