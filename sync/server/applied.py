"""The table of applied mutation ids: how a resent mutation is recognised and never applied twice.

`claim` inserts the id before the mutation's effect, in the same transaction, with ON CONFLICT DO
NOTHING: on PostgreSQL a second transaction claiming the same id waits for the first and then finds
its row (or, if the first rolled back, claims it itself); SQLite serialises writers anyway. Only
applied mutations stay claimed: a rejected one rolls back with its claim and is judged again if sent
again (sync.protocol.MutationResult).
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection

from sync.server.fastsql import Sql, rows_in, run, run_many
from sync.server.ids import utc_now

Result = dict[str, Any]

# SQLite and PostgreSQL spell ON CONFLICT and RETURNING the same way.
_CLAIM = Sql(
    "INSERT INTO applied_mutation (id, device_id, type, result, created_at)"
    " VALUES (:id, :device_id, :type, '{}', :created_at) ON CONFLICT (id) DO NOTHING RETURNING id"
)
_STORED = Sql("SELECT device_id, result FROM applied_mutation WHERE id = :id")
_STORE = Sql("UPDATE applied_mutation SET result = :result WHERE id = :id")
_INSERT_DONE = Sql(
    "INSERT INTO applied_mutation (id, device_id, type, result, created_at)"
    " VALUES (:id, :device_id, :type, :result, :created_at)"
)


def result(mutation_id: str, status: str, **fields: Any) -> Result:
    """One entry of a push response (sync.protocol.MutationResult) as a plain dict."""
    return {"id": mutation_id, "status": status, "seq": None, "reason": None, "current": None, **fields}


def claim(conn: Connection, mutation_id: str, device_id: str, mutation_type: str) -> Result | None:
    """None when the id is new and now ours; else the stored row as {"device_id", "result"}."""
    params = {"id": mutation_id, "device_id": device_id, "type": mutation_type, "created_at": utc_now()}
    if run(conn, _CLAIM, params).fetchone() is not None:
        return None
    device_id, stored = run(conn, _STORED, {"id": mutation_id}).fetchone()
    return {"device_id": device_id, "result": orjson.loads(stored)}


def store(conn: Connection, mutation_id: str, result: Result) -> None:
    """Keep the result of the mutation claimed in this transaction."""
    run(conn, _STORE, {"id": mutation_id, "result": orjson.dumps(result).decode()})


def stored_many(conn: Connection, mutation_ids: list[str]) -> dict[str, Result]:
    """The stored rows ({"device_id", "result"}) of those of the ids already applied."""
    rows = rows_in(conn, "SELECT id, device_id, result FROM applied_mutation WHERE id IN ", mutation_ids)
    return {mutation_id: {"device_id": device_id, "result": orjson.loads(stored)}
            for mutation_id, device_id, stored in rows}  # fmt: skip


def record_many(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Claim ids already judged new, with their results, in one statement (the caller holds the
    write lock, so no other transaction can be claiming them: see sales_batch.py)."""
    run_many(conn, _INSERT_DONE, rows)
