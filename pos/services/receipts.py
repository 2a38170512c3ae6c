"""Receipts as printable documents: a sale's or a return's, from what this till wrote. No Qt.

    receipts = ReceiptSource(engine, lambda: settings.printing.look)
    doc = receipts.for_sale(completed.payload)       # right after checkout
    doc = receipts.find("t1-42")                     # a reprint: sale or return number, marked copy
    number = receipts.last_number()                  # the latest sale or return on this till

Figures come from the stored sale.create / return.create payloads (pos.printing.build); this module
only adds the names a receipt shows: the shop (replica `shop`), the cashier (`staff`) and the customer.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import Engine

from pos.printing.build import return_receipt, sale_receipt
from pos.printing.config import ReceiptLook
from pos.printing.document import PrintDocument, ShopHeader
from pos.services.returns import normalise_number, number_candidates
from pos.store import returns as stored_returns
from pos.store import sales
from pos.store.database import read_transaction

log = logging.getLogger(__name__)

Doc = dict[str, Any]


class ReceiptNotFound(LookupError):
    """No sale or return on this till has that number; the message says so for a person."""


class ReceiptSource:
    def __init__(self, engine: Engine, look: Callable[[], ReceiptLook] = ReceiptLook) -> None:
        self._engine = engine
        self._look = look

    def for_sale(self, payload: Doc, *, copy: bool = False) -> PrintDocument:
        with read_transaction(self._engine) as con:
            return self._sale(con, payload, copy)

    def for_return(self, payload: Doc, *, copy: bool = False) -> PrintDocument:
        with read_transaction(self._engine) as con:
            return self._return(con, payload, copy)

    def find(self, number: str, *, copy: bool = True) -> PrintDocument:
        """The receipt of the sale or return with this number (typed or scanned), marked as a copy
        unless `copy` is False (a held receipt printing for the first time)."""
        candidates = number_candidates(number)
        if not candidates:
            shown = normalise_number(number)[:40] or "nothing"
            raise ReceiptNotFound(f"{shown} is not a receipt number: type or scan one such as T1-000042.")
        with read_transaction(self._engine) as con:
            for candidate in candidates:
                sale = sales.sale_by_number(con, candidate)
                if sale is not None:
                    return self._sale(con, sale, copy)
                row = con.execute("SELECT doc FROM sale_return WHERE number = ?", (candidate,)).fetchone()
                if row is not None:
                    return self._return(con, orjson.loads(row[0]), copy)
        raise ReceiptNotFound(f"No sale or return made on this till has number {candidates[-1]}.")

    def last_number(self) -> str | None:
        """The number of this till's latest sale or return; None before the first."""
        with read_transaction(self._engine) as con:
            rows = [
                con.execute(f"SELECT created_at, number FROM {table} ORDER BY rowid DESC LIMIT 1").fetchone()
                for table in ("sale", "sale_return")
            ]
        found = [row for row in rows if row is not None]
        return max(found)[1] if found else None

    def header_now(self) -> ShopHeader:
        with read_transaction(self._engine) as con:
            return self.header(con)

    # --- helpers ---------------------------------------------------------------------------------

    def header(self, con: sqlite3.Connection) -> ShopHeader:
        look = self._look()
        row = con.execute("SELECT name FROM shop WHERE id = 1").fetchone()
        return ShopHeader(
            name=row[0] if row else "",
            address=tuple(line.strip() for line in look.address.splitlines() if line.strip()),
            tax_id=look.tax_id, logo_path=look.logo,
            footer=tuple(line.strip() for line in look.footer.splitlines() if line.strip()),
        )  # fmt: skip

    def _sale(self, con: sqlite3.Connection, payload: Doc, copy: bool) -> PrintDocument:
        return sale_receipt(
            payload, self.header(con), cashier=_name(con, "staff", payload.get("staff_id")),
            customer=_name(con, "customer", payload.get("customer_id")), copy=copy,
        )  # fmt: skip

    def _return(self, con: sqlite3.Connection, payload: Doc, copy: bool) -> PrintDocument:
        sale = stored_returns.load_sale(con, payload["order_id"])
        if sale is None:  # the sale left the replica; the return still prints, without titles
            log.warning("return %s: sale %s not found; printing without line titles",
                        payload["number"], payload["order_id"])
        currency = sale.currency if sale else _shop_currency(con)
        return return_receipt(
            payload, sale.lines if sale else [], self.header(con), currency=currency,
            sale_number=sale.number if sale else "?",
            cashier=_name(con, "staff", payload.get("staff_id")),
            customer=_name(con, "customer", sale.customer_id if sale else None), copy=copy,
        )  # fmt: skip


def _name(con: sqlite3.Connection, table: str, record_id: str | None) -> str | None:
    if not record_id:
        return None
    try:
        row = con.execute(f"SELECT name FROM {table} WHERE id = ?", (record_id,)).fetchone()
    except sqlite3.OperationalError:  # a replica without that table yet
        return None
    return row[0] if row else None


def _shop_currency(con: sqlite3.Connection) -> str:
    row = con.execute("SELECT currency FROM shop WHERE id = 1").fetchone()
    return row[0] if row else "EUR"
