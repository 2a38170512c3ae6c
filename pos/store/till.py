"""This till: its code, its selling location and its receipt sequences (table `till`, one row).

Receipt numbers are `<till code>-<sequence>`: sales `T1-000042`, returns `T1-R000003`. A number is
taken by `take_sale_number` / `take_return_number` inside the transaction that writes the sale or
return (BEGIN IMMEDIATE holds SQLite's write lock), so a rolled-back sale gives its number back and
two sales, even from two processes on one replica, never share one.

`record_till` runs in the transaction of SqliteReplica.record_shop, each time the till hears from
the shop: the shop assigns the code (ShopInfo.till_code); a shop that does not gets a code made
from the device id.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import dataclass

from sync.protocol import fallback_till_code

log = logging.getLogger(__name__)

TILL_CODE = re.compile(r"^[A-Z0-9]{1,12}$")
SEQUENCE_DIGITS = 6


class TillNotReady(RuntimeError):
    """The replica has no till row yet: the till has never heard from its shop."""


@dataclass(frozen=True)
class TillInfo:
    till_code: str
    device_id: str
    location_id: str | None  # the chosen location; None: the default (lowest code)
    next_sale: int
    next_return: int


def usable_code(till_code: str | None, device_id: str) -> str:
    code = (till_code or "").strip().upper()
    if code and TILL_CODE.match(code):
        return code
    if code:
        log.warning("the shop's till code %r cannot go on a receipt; using the device id's", till_code)
    return fallback_till_code(device_id)


def record_till(con: sqlite3.Connection, device_id: str, till_code: str | None) -> None:
    """Create or update the till row inside the caller's transaction; sequences are kept."""
    if not con.in_transaction:
        raise RuntimeError("record_till must run inside the caller's transaction")
    code = usable_code(till_code, device_id)
    con.execute(
        "INSERT INTO till (id, till_code, device_id) VALUES (1, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET till_code = excluded.till_code, device_id = excluded.device_id",
        (code, device_id),
    )


def ensure_till(con: sqlite3.Connection, device_id: str) -> None:
    """Create the till row with a code made from the device id if the till has none yet."""
    if not con.in_transaction:
        raise RuntimeError("ensure_till must run inside the caller's transaction")
    con.execute(
        "INSERT INTO till (id, till_code, device_id) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING",
        (fallback_till_code(device_id), device_id),
    )


def read_till(con: sqlite3.Connection) -> TillInfo | None:
    row = con.execute(
        "SELECT till_code, device_id, location_id, next_sale, next_return FROM till WHERE id = 1"
    ).fetchone()
    return TillInfo(*row) if row else None


def till_code(con: sqlite3.Connection) -> str:
    """This till's code (receipts, Z reports, audit entries); TillNotReady before its first sync."""
    info = read_till(con)
    if info is None:
        raise TillNotReady("this till has no till code yet: connect it to the shop and sync once")
    return info.till_code


def selling_location(con: sqlite3.Connection) -> str | None:
    """The till's chosen location, else the shop's location with the lowest code, else None."""
    row = con.execute("SELECT location_id FROM till WHERE id = 1").fetchone()
    if row and row[0]:
        return str(row[0])
    row = con.execute("SELECT id FROM location ORDER BY code, id LIMIT 1").fetchone()
    return str(row[0]) if row else None


def set_location(con: sqlite3.Connection, location_id: str | None) -> None:
    if not con.in_transaction:
        raise RuntimeError("set_location must run inside the caller's transaction")
    if con.execute("UPDATE till SET location_id = ? WHERE id = 1", (location_id,)).rowcount != 1:
        raise TillNotReady("this till has not heard from its shop yet: sync first")


def _take(con: sqlite3.Connection, column: str) -> tuple[str, int]:
    if not con.in_transaction:
        raise RuntimeError("a receipt number is taken inside the transaction that writes the receipt")
    row = con.execute(
        f"UPDATE till SET {column} = {column} + 1 WHERE id = 1 RETURNING till_code, {column} - 1"
    ).fetchone()
    if row is None:
        raise TillNotReady("this till has no till code yet: connect it to the shop and sync once")
    return str(row[0]), int(row[1])


def take_sale_number(con: sqlite3.Connection) -> str:
    code, sequence = _take(con, "next_sale")
    return f"{code}-{sequence:0{SEQUENCE_DIGITS}d}"


def take_return_number(con: sqlite3.Connection) -> str:
    code, sequence = _take(con, "next_return")
    return f"{code}-R{sequence:0{SEQUENCE_DIGITS}d}"
