"""`customer.upsert`: create a till-made customer, or change one.

With `base_version` the change is only applied to that version: a stale one raises Stale with the
current document (the till shows both to a person). The customer row is read FOR UPDATE first, so
on PostgreSQL a concurrent change (another till, the admin API) cannot slip in between the version
check and the write. Without `base_version` the payload is written as is (a create, or a create sent
again under a new mutation id).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select, update

from sync.server import changelog
from sync.server.docs import customer_doc
from sync.server.errors import Rejected, Stale
from sync.server.ids import utc_now
from sync.server.tables import customer

Doc = dict[str, Any]
FIELDS = ("name", "email", "phone", "loyalty_code")


def apply_customer(conn: Connection, payload: Doc, base_version: int | None) -> int:
    """Write the customer; returns the seq logged."""
    customer_id = payload["id"]
    exists = (
        conn.execute(select(customer.c.id).where(customer.c.id == customer_id).with_for_update()).first()
        is not None
    )
    if base_version is not None:
        current = changelog.current_doc(conn, "customer", customer_id) if exists else None
        if current is None:
            raise Rejected(
                f"customer {payload['name']!r} ({customer_id}) was deleted on the shop;"
                " the change cannot be kept"
            )
        if current["version"] != base_version:
            raise Stale(current)
    values = {k: payload[k] for k in FIELDS} | {"updated_at": utc_now()}
    if exists:
        conn.execute(update(customer).where(customer.c.id == customer_id).values(values))
    else:
        conn.execute(insert(customer).values(id=customer_id, **values))
    row = conn.execute(select(customer).where(customer.c.id == customer_id)).one()
    return changelog.record(conn, [("customer", customer_id, customer_doc(row))])
