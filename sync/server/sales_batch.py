"""A run of pushed sales applied together: a few statements for the whole run instead of ~15 a sale.

`push.py` hands over consecutive `sale.create` mutations of a batch. The caller's transaction holds
the shop's write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: the change-log counter row, which every
writer locks first, see db.write_on), so nothing else can change the shop while the run is judged:
1. read, in a handful of queries, everything the run's sales refer to: applied mutation ids, orders
   with their ids or receipt numbers, locations, customers, variants, stock levels and the current
   version of every record they will touch, and the change-log head;
2. judge each sale in order against that, updated by the sales before it (a second sale with the
   same receipt number is rejected, stock levels and versions chain from sale to sale), with the
   same checks and reasons as the one-by-one path (sales.py). A rejected sale changes nothing;
3. write what the applied ones add: their claims with results, orders, ledger rows, the net change
   of each stock level, change-log entries and current documents, and move the counter.

Each applied sale's effect and its claim are written in the same transaction. The caller runs step 3
in a savepoint: if the database refuses any of it (which the checks should make impossible), the run
is rolled back and applied again one sale at a time, each in its own savepoint, so a sale that cannot
be written is rejected alone, as before. `LostWriteLock` says the counter moved under the run, i.e.
some writer did not queue for the lock; it is handled the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import orjson
from sqlalchemy import Connection

from sync.protocol import Mutation
from sync.server import applied, changelog, stock
from sync.server.docs import inventory_doc, order_doc
from sync.server.errors import Rejected
from sync.server.fastsql import Sql, rows_in, run, run_many
from sync.server.ids import utc_now, uuid7
from sync.server.orders import order_source
from sync.server.push_checks import check_sale, valid_payload
from sync.server.sales import INSERT_ORDER, SALE_REASON, References, judge_references, order_values
from sync.server.sales import sale_movements as movements_of

logger = logging.getLogger(__name__)

Doc = dict[str, Any]
Result = dict[str, Any]
Key = tuple[str, str]
SALE = "sale.create"
_LEVELS = "SELECT id, variant_id, location_id, quantity FROM inventory_level WHERE variant_id IN "


class LostWriteLock(Exception):
    """The change-log counter moved while the run was being judged: another writer got in."""


@dataclass
class _Shop:
    """What the shop holds that the run refers to, kept up to date as sales are judged."""

    head: int
    currency: str
    stored: dict[str, Result]  # applied mutation id -> {"device_id", "result"}
    orders: dict[str, str]  # order id -> number
    numbers: dict[str, str]  # receipt number -> order id
    locations: set[str]
    customers: set[str]
    variants: set[str]
    levels: dict[Key, list[Any]]  # (variant, location) -> [level id, quantity]
    versions: dict[Key, int]  # (entity, id) -> current version


@dataclass
class _Writes:
    claims: list[Doc] = field(default_factory=list)
    orders: list[Doc] = field(default_factory=list)
    ledger: list[Doc] = field(default_factory=list)
    levels: dict[Key, Doc] = field(default_factory=dict)  # (variant, location) -> {"id","v","loc","delta"}
    logs: list[Doc] = field(default_factory=list)
    docs: dict[Key, Doc] = field(default_factory=dict)  # newest document per record


def apply_sales(conn: Connection, device_id: str, mutations: Sequence[Mutation]) -> list[Result]:
    """One result per mutation, in order. Raises DBAPIError or LostWriteLock with nothing written
    by the caller's savepoint kept (see the module docstring)."""
    checked = [_validated(m) for m in mutations]
    shop = _read_shop(conn, [m.id for m in mutations], [sale for sale, _ in checked if sale is not None])
    writes = _Writes()
    results = [
        _judge(shop, writes, device_id, m, sale) if sale is not None else problem
        for m, (sale, problem) in zip(mutations, checked, strict=True)
    ]
    _write(conn, shop, writes)
    return results


def _validated(m: Mutation) -> tuple[Doc | None, Result]:
    """(the sale payload, {}), or (None, the rejected result) when it does not validate."""
    try:
        return valid_payload(SALE, m.payload), {}
    except Rejected as exc:
        return None, applied.result(m.id, "rejected", reason=exc.reason)


def _judge(shop: _Shop, writes: _Writes, device_id: str, m: Mutation, sale: Doc) -> Result:
    stored = shop.stored.get(m.id)
    if stored is not None:
        if stored["device_id"] != device_id:
            return applied.result(
                m.id, "rejected", reason=f"mutation id {m.id} was already used by another device"
            )
        return applied.result(m.id, "duplicate", seq=stored["result"].get("seq"))
    try:
        check_sale(sale)
        judge_references(sale, _references(shop, sale))
    except Rejected as exc:
        logger.info("mutation %s (%s) rejected: %s", m.id, SALE, exc.reason)
        return applied.result(m.id, "rejected", reason=exc.reason)
    seq = _plan(shop, writes, sale)
    done = {"status": "applied", "seq": seq}
    shop.stored[m.id] = {"device_id": device_id, "result": done}
    writes.claims.append(
        {
            "id": m.id,
            "device_id": device_id,
            "type": SALE,
            "result": orjson.dumps(done).decode(),
            "created_at": utc_now(),
        }
    )
    return applied.result(m.id, "applied", seq=seq)


def _references(shop: _Shop, sale: Doc) -> References:
    clashes = []
    if sale["id"] in shop.orders:
        clashes.append((sale["id"], shop.orders[sale["id"]]))
    if sale["number"] in shop.numbers:
        clashes.append((shop.numbers[sale["number"]], sale["number"]))
    return References(
        currency=shop.currency,
        clashes=clashes,
        has_location=sale["location_id"] in shop.locations,
        variants=shop.variants,
        has_customer=sale["customer_id"] in shop.customers,
    )


def _plan(shop: _Shop, writes: _Writes, sale: Doc) -> int:
    """Queue the writes of a sale judged fit (sales.apply_sale's, entry for entry); returns its seq."""
    values = order_values(sale)
    moves = movements_of(sale)
    writes.orders.append(values)
    writes.ledger.extend(stock.ledger_rows(moves, SALE_REASON, order_source(sale["number"])))
    shop.orders[sale["id"]] = sale["number"]
    shop.numbers[sale["number"]] = sale["id"]
    items: list[tuple[str, str, Doc]] = []
    for variant_id, location_id, delta in moves:
        level = shop.levels.setdefault((variant_id, location_id), [uuid7(), 0])
        level[1] += delta
        net = writes.levels.setdefault(
            (variant_id, location_id), {"id": level[0], "v": variant_id, "loc": location_id, "delta": 0}
        )
        net["delta"] += delta
        doc = inventory_doc(
            SimpleNamespace(id=level[0], variant_id=variant_id, location_id=location_id, quantity=level[1])
        )
        items.append(("inventory_level", level[0], doc))
    items.append(("order", sale["id"], order_doc(SimpleNamespace(**values))))
    now = utc_now()
    for entity, entity_id, doc in items:
        shop.head += 1
        version = shop.versions.get((entity, entity_id), 0) + 1
        shop.versions[(entity, entity_id)] = version
        doc["version"] = version
        data = orjson.dumps(doc).decode()
        key = {"entity": entity, "id": entity_id}
        writes.docs[(entity, entity_id)] = {**key, "version": version, "data": data}
        writes.logs.append(
            {**key, "seq": shop.head, "op": "upsert", "version": version, "data": data, "created_at": now}
        )
    return shop.head


def _write(conn: Connection, shop: _Shop, writes: _Writes) -> None:
    if not writes.claims:
        return
    if changelog.advance(conn, len(writes.logs)) != shop.head:
        raise LostWriteLock("the change-log counter moved while a batch of sales was judged")
    applied.record_many(conn, writes.claims)
    run_many(conn, INSERT_ORDER, writes.orders)
    stock.write_ledger(conn, writes.ledger)
    stock.add_to_levels(conn, [writes.levels[k] for k in sorted(writes.levels)])
    changelog.write_entries(conn, writes.logs, list(writes.docs.values()))


# --- reading what the run refers to ---------------------------------------------------------------


def _read_shop(conn: Connection, mutation_ids: list[str], sales: list[Doc]) -> _Shop:
    (currency,) = run(conn, Sql("SELECT currency FROM settings WHERE id = 1")).fetchone()
    head, _ = changelog.head(conn)
    orders: dict[str, str] = {}
    for column, wanted in (("id", [s["id"] for s in sales]), ("number", [s["number"] for s in sales])):
        for order_id, number in rows_in(conn, f'SELECT id, number FROM "order" WHERE {column} IN ', wanted):
            orders[order_id] = number
    variant_ids = sorted(
        {ln["variant_id"] for s in sales for ln in s["lines"] if ln["variant_id"] is not None}
    )
    levels = {
        (v, loc): [level_id, int(quantity)]
        for level_id, v, loc, quantity in rows_in(
            conn,
            "SELECT id, variant_id, location_id, quantity FROM inventory_level WHERE variant_id IN ",
            variant_ids,
        )
    }
    keys = [("inventory_level", lvl[0]) for lvl in levels.values()] + [("order", s["id"]) for s in sales]
    return _Shop(
        head=head,
        currency=str(currency),
        stored=applied.stored_many(conn, mutation_ids),
        orders=orders,
        numbers={number: order_id for order_id, number in orders.items()},
        locations=_ids_in(conn, "location", {s["location_id"] for s in sales}),
        customers=_ids_in(conn, "customer", {s["customer_id"] for s in sales} - {None}),
        variants=_ids_in(conn, "variant", set(variant_ids)),
        levels=levels,
        versions=changelog.versions_of(conn, keys),
    )


def _ids_in(conn: Connection, table: str, wanted: set[str]) -> set[str]:
    return {row[0] for row in rows_in(conn, f"SELECT id FROM {table} WHERE id IN ", sorted(wanted))}
