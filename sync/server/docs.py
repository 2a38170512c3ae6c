"""Wire documents (sync.protocol's TypedDicts) built from table rows.

`version` is a placeholder here: `changelog.record` sets it. Key order follows sync.protocol.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection, select

from sync.server.tables import product, variant

Doc = dict[str, Any]


def location_doc(r: Any) -> Doc:
    return {"id": r.id, "version": 0, "code": r.code, "name": r.name}


def tax_rate_doc(r: Any) -> Doc:
    return {"id": r.id, "version": 0, "name": r.name, "rate": r.rate}


def staff_doc(r: Any) -> Doc:
    return {
        "id": r.id,
        "version": 0,
        "name": r.name,
        "role": r.role,
        "active": bool(r.active),
        "pin_hash": r.pin_hash,
    }


def customer_doc(r: Any) -> Doc:
    return {
        "id": r.id,
        "version": 0,
        "name": r.name,
        "email": r.email,
        "phone": r.phone,
        "loyalty_code": r.loyalty_code,
        "updated_at": r.updated_at,
    }


def inventory_doc(r: Any) -> Doc:
    return {
        "id": r.id,
        "version": 0,
        "variant_id": r.variant_id,
        "location_id": r.location_id,
        "quantity": int(r.quantity),
    }


def variant_doc(r: Any) -> Doc:
    return {
        "id": r.id,
        "sku": r.sku,
        "barcode": r.barcode,
        "title": r.title,
        "price": int(r.price),
        "position": int(r.position),
    }


def product_doc(p: Any, variants: list[Doc]) -> Doc:
    return {
        "id": p.id,
        "version": 0,
        "title": p.title,
        "description": p.description,
        "category": p.category,
        "status": p.status,
        "tax_rate_id": p.tax_rate_id,
        "variants": variants,
        "updated_at": p.updated_at,
    }


def load_product_doc(conn: Connection, product_id: str) -> Doc | None:
    p = conn.execute(select(product).where(product.c.id == product_id)).first()
    if p is None:
        return None
    rows = conn.execute(
        select(variant).where(variant.c.product_id == product_id).order_by(variant.c.position, variant.c.sku)
    )
    return product_doc(p, [variant_doc(v) for v in rows])


def order_doc(r: Any) -> Doc:
    return {
        "id": r.id,
        "version": 0,
        "number": r.number,
        "source": r.source,
        "status": r.status,
        "customer_id": r.customer_id,
        "currency": r.currency,
        "subtotal": int(r.subtotal),
        "tax": int(r.tax),
        "total": int(r.total),
        "lines": orjson.loads(r.lines),
        "payments": orjson.loads(r.payments),
        "fulfilments": orjson.loads(r.fulfilments),
        "created_at": r.created_at,
        "updated_at": r.updated_at,
        "returns": orjson.loads(r.returns),
        "location_id": r.location_id,
    }
