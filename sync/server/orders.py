"""Web orders placed through the admin API: priced from the catalog, tax per line, stock taken.

Status changes (and the stock a cancellation puts back) are in `order_status.py`.

Tax rule (the same as the till's, DESIGN.md): tax is computed per line on the line amount and rounded
half-up to the minor unit. With tax-inclusive prices the line total is the gross and
tax = total * r / (100 + r); with tax-exclusive prices tax = net * r / 100 and total = net + tax.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import orjson
from sqlalchemy import Connection, insert, select

from sync.protocol import MAX_MINOR, fit_text
from sync.server import changelog, db
from sync.server.docs import order_doc
from sync.server.errors import Invalid, NotFound
from sync.server.ids import utc_now, uuid7
from sync.server.records import require
from sync.server.schemas import OrderIn
from sync.server.shop import load_settings
from sync.server.stock import apply_movements, first_location_id
from sync.server.tables import customer, location, order, order_number, product, tax_rate, variant

Doc = dict[str, Any]


def line_tax(amount: int, rate: Decimal, prices_include_tax: bool) -> int:
    """Tax in minor units on a line amount, rounded half-up."""
    if prices_include_tax:
        exact = Decimal(amount) * rate / (Decimal(100) + rate)
    else:
        exact = Decimal(amount) * rate / Decimal(100)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def place_order(conn: Connection, body: OrderIn, source: str = "web") -> Doc:
    settings = load_settings(conn)
    if body.customer_id is not None:
        require(conn, customer, body.customer_id, "customer")
    location_id = body.location_id or first_location_id(conn)
    require(conn, location, location_id, "location")
    lines = [_price_line(conn, ln.variant_id, ln.quantity, settings.prices_include_tax) for ln in body.lines]
    tax = sum(ln["tax"] for ln in lines)
    total = sum(ln["total"] for ln in lines)
    # The tills refuse a changes page holding an amount over the protocol's cap, so an order over it
    # would stop every till's pull; the lines are within it whenever the total is.
    if total > MAX_MINOR:
        raise Invalid(
            f"the order comes to {total} in minor units, more than the {MAX_MINOR} an order can carry;"
            " split it into smaller orders"
        )
    now = utc_now()
    order_id = uuid7()
    number = next_number(conn, "W" if source == "web" else "P")
    conn.execute(
        insert(order).values(
            id=order_id,
            number=number,
            source=source,
            status="pending",
            customer_id=body.customer_id,
            currency=settings.currency,
            subtotal=total - tax,
            tax=tax,
            total=total,
            lines=orjson.dumps(lines).decode(),
            payments="[]",
            fulfilments="[]",
            created_at=now,
            updated_at=now,
            location_id=location_id,
            returns="[]",
        )
    )
    moves = [(ln["variant_id"], location_id, -ln["quantity"]) for ln in lines]
    levels = apply_movements(conn, moves, "sale", order_source(number))
    items: list[changelog.Item] = [("inventory_level", lvl["id"], lvl) for lvl in levels]
    doc = load(conn, order_id)
    changelog.record(conn, [*items, ("order", order_id, doc)])
    return doc


def next_number(conn: Connection, prefix: str) -> str:
    """The prefix's next order number, e.g. "W-000042".

    The counter row is bumped with INSERT ... ON CONFLICT DO UPDATE in the order's transaction: it
    stays locked until commit, so two orders never share a number, and a rolled-back order gives its
    number back (no gaps).
    """
    stmt = db.upsert(conn, order_number).values(prefix=prefix, value=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[order_number.c.prefix], set_={"value": order_number.c.value + 1}
    ).returning(order_number.c.value)
    return f"{prefix}-{conn.execute(stmt).scalar_one():06d}"


def order_source(number: str) -> str:
    """The `source` of the stock movements an order makes: how its ledger rows are found again."""
    return f"order:{number}"


def load(conn: Connection, order_id: str) -> Doc:
    return order_doc(conn.execute(select(order).where(order.c.id == order_id)).one())


def line_title(product_title: str, variant_title: str) -> str:
    """The line's "Product - variant" title, cut to the protocol's text cap (sync.protocol.fit_text):
    a product title of 500 and a variant title of 2000 characters together are over it, and the
    tills refuse a page holding such an order."""
    return fit_text(f"{product_title} - {variant_title}" if variant_title else product_title)


def _price_line(conn: Connection, variant_id: str, quantity: int, inclusive: bool) -> Doc:
    row = conn.execute(
        select(
            variant.c.sku,
            variant.c.title,
            variant.c.price,
            product.c.title.label("product_title"),
            tax_rate.c.rate,
        )
        .join(product, product.c.id == variant.c.product_id)
        .outerjoin(tax_rate, tax_rate.c.id == product.c.tax_rate_id)
        .where(variant.c.id == variant_id)
    ).first()
    if row is None:
        raise NotFound(f"no variant with id {variant_id!r}")
    amount = int(row.price) * quantity
    rate = Decimal(row.rate) if row.rate is not None else Decimal(0)
    tax = line_tax(amount, rate, inclusive)
    return {
        "id": uuid7(),
        "variant_id": variant_id,
        "sku": row.sku,
        "title": line_title(row.product_title, row.title),
        "quantity": quantity,
        "unit_price": int(row.price),
        "discount": 0,
        "tax_rate": row.rate,
        "tax": tax,
        "total": amount if inclusive else amount + tax,
    }
