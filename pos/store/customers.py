"""Customers in the replica: prefix search, lookup by loyalty code, local writes, a customer's orders.

Search is by prefix and ignores letter case (SQLite's NOCASE: ASCII letters only, so "müller"
does not find "Müller"): of the whole name, of the name after its first space (the surname in
"Jane Smith"), of the email, of the phone with spaces, dashes and brackets removed on both sides,
and of the loyalty code. Each is a range over one index of migration 0007 (a fraction of a
millisecond at 100k customers, benchmarks/customer_search.py), not a LIKE scan (~20 ms). The
expressions below must stay identical to those indexes or SQLite falls back to a scan.

Results come in tiers, by name within each: an exact loyalty code (a scanned card), then name
prefixes, surname prefixes, email, phone and loyalty code prefixes.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from pos.store.tables import CUSTOMER_PHONE_DIGITS, CUSTOMER_SURNAME

# Above every character a person types: "abc" <= x < "abc" + TOP is "x starts with abc".
TOP = "\U0010ffff"
_COLUMNS = "id, version, name, email, phone, loyalty_code, updated_at"
_SEPARATORS = str.maketrans("", "", " -()")


@dataclass(frozen=True)
class CustomerRow:
    id: str
    version: int
    name: str
    email: str | None
    phone: str | None
    loyalty_code: str | None
    updated_at: str


def _range(expression: str, collate: bool = True) -> str:
    nocase = " COLLATE NOCASE" if collate else ""
    return f"({expression}){nocase} >= ? AND ({expression}){nocase} < ?"


def _branch(tier: int, where: str) -> str:
    return f"SELECT * FROM (SELECT {tier} AS tier, {_COLUMNS} FROM customer WHERE {where} LIMIT ?)"


_SEARCH = f"""
SELECT {_COLUMNS} FROM (
    {_branch(0, "loyalty_code = ? COLLATE NOCASE")}
    UNION ALL {_branch(1, _range("name"))}
    UNION ALL {_branch(2, _range(CUSTOMER_SURNAME))}
    UNION ALL {_branch(3, _range("email"))}
    UNION ALL {_branch(4, _range(CUSTOMER_PHONE_DIGITS, collate=False))}
    UNION ALL {_branch(5, _range("loyalty_code"))}
)
GROUP BY id
ORDER BY min(tier), name COLLATE NOCASE, id
LIMIT ?
"""
_FIRST_BY_NAME = f"SELECT {_COLUMNS} FROM customer ORDER BY name COLLATE NOCASE, id LIMIT ?"


def phone_digits(text: str) -> str:
    """A phone number as the index holds it: without spaces, dashes and brackets."""
    return text.translate(_SEPARATORS)


def search(con: sqlite3.Connection, text: str, limit: int) -> list[CustomerRow]:
    """Customers whose name, surname, email, phone or loyalty code starts with `text` (see module doc)."""
    text = text.strip()
    if not text:
        return [CustomerRow(*row) for row in con.execute(_FIRST_BY_NAME, (limit,))]
    digits = phone_digits(text)
    # A phone search needs a digit; "" would match every phone number.
    phone = (digits, digits + TOP) if any(ch.isdigit() for ch in digits) else (TOP, TOP)
    params = (
        text, limit,
        text, text + TOP, limit,
        text, text + TOP, limit,
        text, text + TOP, limit,
        *phone, limit,
        text, text + TOP, limit,
        limit,
    )  # fmt: skip
    # The GROUP BY keeps each customer once; min(tier) in ORDER BY picks its best tier.
    return [CustomerRow(*row) for row in con.execute(_SEARCH, params)]


def by_loyalty_code(con: sqlite3.Connection, code: str) -> CustomerRow | None:
    row = con.execute(
        f"SELECT {_COLUMNS} FROM customer WHERE loyalty_code = ? COLLATE NOCASE ORDER BY id LIMIT 1",
        (code.strip(),),
    ).fetchone()
    return CustomerRow(*row) if row else None


def get(con: sqlite3.Connection, customer_id: str) -> CustomerRow | None:
    row = con.execute(f"SELECT {_COLUMNS} FROM customer WHERE id = ?", (customer_id,)).fetchone()
    return CustomerRow(*row) if row else None


def loyalty_code_owner(con: sqlite3.Connection, code: str, other_than: str | None) -> str | None:
    """The name of another customer holding `code` (any letter case), or None."""
    row = con.execute(
        "SELECT name FROM customer WHERE loyalty_code = ? COLLATE NOCASE AND id IS NOT ? LIMIT 1",
        (code, other_than),
    ).fetchone()
    return str(row[0]) if row else None


def write(con: sqlite3.Connection, row: CustomerRow) -> None:
    """Insert or replace a customer inside the caller's transaction (a change made on this till)."""
    if not con.in_transaction:
        raise RuntimeError("a customer is written inside the transaction that enqueues its mutation")
    con.execute(
        f"INSERT INTO customer ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
        "version = excluded.version, name = excluded.name, email = excluded.email, phone = excluded.phone, "
        "loyalty_code = excluded.loyalty_code, updated_at = excluded.updated_at",
        (row.id, row.version, row.name, row.email, row.phone, row.loyalty_code, row.updated_at),
    )


def has_waiting_upsert(con: sqlite3.Connection, customer_id: str) -> bool:
    """Whether this till has a customer.upsert for the customer the shop has not acknowledged."""
    row = con.execute(
        "SELECT 1 FROM outbox WHERE type = 'customer.upsert' AND json_extract(payload, '$.id') = ? LIMIT 1",
        (customer_id,),
    ).fetchone()
    return row is not None


@dataclass(frozen=True)
class OrderRow:
    id: str
    number: str
    source: str
    status: str
    created_at: str
    currency: str
    total: int
    item_count: int
    synced: bool  # False: a sale of this till the shop's order list has not come back with yet


_ORDERS = """
SELECT id, number, source, status, created_at, currency, total,
       (SELECT coalesce(sum(json_extract(value, '$.quantity')), 0) FROM json_each(orders.doc, '$.lines')),
       1
FROM orders WHERE customer_id = ? ORDER BY created_at DESC LIMIT ?
"""
_UNPULLED_SALES = """
SELECT id, number, 'pos', 'paid', created_at, currency, total,
       (SELECT coalesce(sum(quantity), 0) FROM sale_line WHERE sale_line.sale_id = sale.id),
       0
FROM sale WHERE customer_id = ? AND NOT EXISTS (SELECT 1 FROM orders WHERE orders.id = sale.id)
ORDER BY created_at DESC LIMIT ?
"""


def orders_of(con: sqlite3.Connection, customer_id: str, limit: int) -> list[OrderRow]:
    """The customer's orders from every channel, newest first: synced orders (web and every till)
    and this till's sales the shop has not sent back yet (the same sale is never listed twice:
    a pulled till sale keeps its id)."""
    rows = [OrderRow(*r[:8], bool(r[8])) for r in con.execute(_ORDERS, (customer_id, limit))]
    rows += [OrderRow(*r[:8], bool(r[8])) for r in con.execute(_UNPULLED_SALES, (customer_id, limit))]
    rows.sort(key=lambda r: (r.created_at, r.number), reverse=True)
    return rows[:limit]
