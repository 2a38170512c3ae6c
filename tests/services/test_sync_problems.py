"""SyncProblems on a real replica file: what a person sees for each parked mutation, and that send
again / discard act on parked mutations only (anything else: a clear error, nothing changed)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from pos.services.sync_problems import SyncProblemError, SyncProblems, summary
from pos.store.database import driver_connection, open_replica
from pos.store.outbox import SqliteOutbox, enqueue
from pos.store.replica import SqliteReplica
from pos.store.till_file import till_engine
from sync.ports import OutboxCounts
from sync.protocol import MUTATION_PAYLOADS, MutationResult, ShopInfo
from tests.fixtures.sales import VariantRow, sale_payload
from tests.staffing import as_manager

SHIRT = VariantRow("variant-shirt", "TS-M-BLU", "T-shirt / M / Blue", 1250, "20")
MUG = VariantRow("variant-mug", "MUG-1", "Mug", 799, "20")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    db = open_replica(tmp_path / "till.sqlite3")
    SqliteReplica(db).record_shop(
        ShopInfo(
            shop_name="Corner",
            currency="GBP",
            prices_include_tax=True,
            device_id="d1",
            device_name="t",
            head=0,
        )
    )
    yield db
    db.dispose()


def park(engine: Engine, mutation_id: str, type: str, payload: dict[str, Any], **answer: Any) -> None:
    with driver_connection(till_engine(engine)) as con:
        con.execute("BEGIN IMMEDIATE")
        enqueue(con, mutation_id=mutation_id, type=type, payload=payload, stock=[("v", "l", -1)])
        con.execute("COMMIT")
    answer.setdefault("status", "rejected")
    SqliteOutbox(engine).settle([MutationResult(id=mutation_id, **answer)])


def a_return(number: str = "T1-R000003") -> dict[str, Any]:
    payload = {
        "id": "r1",
        "number": number,
        "order_id": "o1",
        "location_id": "l1",
        "staff_id": None,
        "reason": "too small",
        "lines": [
            {"id": "rl1", "line_id": "ln1", "quantity": 2, "amount": 2500, "tax": 417, "restock": True},
            {"id": "rl2", "line_id": "ln2", "quantity": 1, "amount": 799, "tax": 133, "restock": False},
        ],
        "refunds": [{"id": "rf1", "method": "cash", "amount": 3299, "reference": None}],
        "total": 3299,
        "created_at": "2026-11-25T10:11:12.123456Z",
    }
    return MUTATION_PAYLOADS["return.create"].validate_python(payload)


def test_each_parked_mutation_reads_as_a_person_would_say_it(engine: Engine) -> None:
    sale = sale_payload([(SHIRT, 2), (MUG, 1)], number="T1-000042", location_id="l1", currency="GBP")
    park(
        engine, "m-sale", "sale.create", sale, reason="line 1 (TS-M-BLU, T-shirt / M / Blue): unknown variant"
    )
    park(engine, "m-return", "return.create", a_return())
    customer = {
        "id": "c1",
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "phone": None,
        "loyalty_code": None,
    }
    park(
        engine,
        "m-customer",
        "customer.upsert",
        customer,
        status="conflict",
        current={"id": "c1", "version": 3},
    )

    problems = SyncProblems(engine, who=as_manager()).list()

    assert [(p.id, p.type, p.status) for p in problems] == [
        ("m-sale", "sale.create", "rejected"),
        ("m-return", "return.create", "rejected"),
        ("m-customer", "customer.upsert", "conflict"),
    ]
    assert [p.summary for p in problems] == [
        "Sale T1-000042, 3 items, 32.99 GBP",
        "Return T1-R000003, 3 items, refund 32.99 GBP",
        "Customer Ada Lovelace (ada@example.com)",
    ]
    assert problems[0].reason.endswith("unknown variant")
    assert problems[1].reason == "The shop answered rejected without a reason."
    assert problems[2].current == {"id": "c1", "version": 3}
    assert all(p.parked_at.endswith("Z") and p.created_at.endswith("Z") for p in problems)
    assert SyncProblems(engine, who=as_manager()).counts() == OutboxCounts(waiting=0, parked=3)


@pytest.mark.parametrize(
    ("kind", "payload", "expected"),
    [
        ("sale.create", {"id": "s1", "number": "T1-000001"}, "Sale create s1"),  # no lines: not a sale
        ("sale.create", {"number": "T1-1", "lines": [{"quantity": "x"}]}, "Sale create"),
        ("sale.create", {"number": "T1-1", "lines": [], "total": 5, "currency": "??"}, "Sale create"),
        ("stock.adjust", {"id": "adj-7", "delta": -2}, "Stock adjust adj-7"),
        ("customer.upsert", {"id": "c9", "name": "Bo", "email": None, "phone": "0123"}, "Customer Bo (0123)"),
        (
            "return.create",
            {"number": "T1-R1", "lines": [{"quantity": 1}], "total": 100},
            "Return T1-R1, 1 item",
        ),
    ],
)
def test_a_summary_never_fails_on_an_odd_payload(kind: str, payload: dict[str, Any], expected: str) -> None:
    assert summary(kind, payload) == expected


def test_send_again_and_discard_act_once_and_say_so_otherwise(engine: Engine) -> None:
    sale = sale_payload([(SHIRT, 1)], number="T1-000001", location_id="l1", currency="GBP")
    park(engine, "m1", "sale.create", sale)
    problems = SyncProblems(engine, who=as_manager())

    problems.send_again("m1")
    with pytest.raises(SyncProblemError, match=r"No sync problem with id 'm1'.*Nothing was changed"):
        problems.send_again("m1")
    with pytest.raises(SyncProblemError):
        problems.discard("m1")  # waiting again: not the person's to discard now
    assert problems.counts() == OutboxCounts(waiting=2, parked=0)  # m1 and the audit entry of "send again"

    SqliteOutbox(engine).settle([MutationResult(id="m1", status="rejected", reason="still bad")])
    problems.discard("m1")
    assert problems.list() == [] and problems.counts() == OutboxCounts(2, 0)  # two audit entries
    with driver_connection(till_engine(engine)) as con:
        audited = con.execute("SELECT action, subject, before FROM audit_log ORDER BY at").fetchall()
    assert audited == [("sync.send_again", "m1", '{"type":"sale.create"}'),
                       ("sync.discard", "m1", '{"type":"sale.create"}')]  # fmt: skip
    with driver_connection(till_engine(engine)) as con:
        assert con.execute("SELECT count(*) FROM pending_stock").fetchone() == (0,)
