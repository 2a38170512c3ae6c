"""Products with their variants: create, change (a variants list replaces the set), delete.

Deleting a variant or a product deletes its inventory levels too, each with a tombstone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from sync.server import changelog
from sync.server.docs import load_product_doc
from sync.server.errors import Conflict, Invalid, NotFound
from sync.server.ids import utc_now, uuid7
from sync.server.records import require
from sync.server.schemas import ProductIn, ProductPatch, VariantIn
from sync.server.tables import inventory_level, product, tax_rate, variant

Doc = dict[str, Any]
_NOT_NULL = ("title", "description", "category", "status", "sku", "title", "price", "position")


def create_product(conn: Connection, body: ProductIn) -> Doc:
    if body.tax_rate_id is not None:
        require(conn, tax_rate, body.tax_rate_id, "tax rate")
    _check_skus(conn, body.variants, None)
    now = utc_now()
    pid = uuid7()
    fields = body.model_dump(exclude={"variants"})
    conn.execute(insert(product).values(id=pid, created_at=now, updated_at=now, **fields))
    for pos, v in enumerate(body.variants):
        conn.execute(insert(variant).values(_new_variant(pid, v, pos)))
    return _log_product(conn, pid, [])


def change_product(conn: Connection, product_id: str, patch: ProductPatch) -> Doc:
    require(conn, product, product_id, "product")
    fields = patch.model_dump(exclude_unset=True, exclude={"variants"})
    _refuse_nulls(fields)
    if fields.get("tax_rate_id") is not None:
        require(conn, tax_rate, fields["tax_rate_id"], "tax rate")
    conn.execute(update(product).where(product.c.id == product_id).values(updated_at=utc_now(), **fields))
    tombstones: list[str] = []
    if patch.variants is not None:
        tombstones = _replace_variants(conn, product_id, patch.variants)
    return _log_product(conn, product_id, tombstones)


def delete_product(conn: Connection, product_id: str) -> int:
    require(conn, product, product_id, "product")
    variant_ids = list(conn.execute(select(variant.c.id).where(variant.c.product_id == product_id)).scalars())
    tombstones = _delete_variants(conn, variant_ids)
    conn.execute(delete(product).where(product.c.id == product_id))
    items: list[changelog.Item] = [("inventory_level", lid, None) for lid in tombstones]
    return changelog.record(conn, [*items, ("product", product_id, None)])


def _log_product(conn: Connection, product_id: str, level_tombstones: list[str]) -> Doc:
    doc = load_product_doc(conn, product_id)
    assert doc is not None
    items: list[changelog.Item] = [("inventory_level", lid, None) for lid in level_tombstones]
    changelog.record(conn, [*items, ("product", product_id, doc)])
    return doc


def _refuse_nulls(fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        if value is None and name in _NOT_NULL:
            raise Invalid(f"{name} cannot be null")


def _new_variant(product_id: str, v: VariantIn, position: int) -> dict[str, Any]:
    if v.sku is None or v.price is None:
        raise Invalid("a new variant needs a sku and a price")
    return {
        "id": uuid7(),
        "product_id": product_id,
        "sku": v.sku,
        "barcode": v.barcode,
        "title": v.title or "",
        "price": v.price,
        "position": position if v.position is None else v.position,
    }


def _replace_variants(conn: Connection, product_id: str, wanted: list[VariantIn]) -> list[str]:
    rows = conn.execute(select(variant.c.id, variant.c.sku).where(variant.c.product_id == product_id))
    current: dict[str, str] = {vid: sku for vid, sku in rows}
    kept = [v.id for v in wanted if v.id is not None]
    for vid in kept:
        if vid not in current:
            raise NotFound(f"variant {vid!r} is not a variant of product {product_id!r}")
    if len(set(kept)) != len(kept):
        raise Invalid("a variant id appears twice in the list")
    _check_skus(conn, wanted, product_id)
    _check_final_skus(current, wanted)
    tombstones = _delete_variants(conn, sorted(set(current) - set(kept)))
    _park_moving_skus(conn, current, wanted)
    for pos, v in enumerate(wanted):
        if v.id is None:
            conn.execute(insert(variant).values(_new_variant(product_id, v, pos)))
            continue
        changes = v.model_dump(exclude_unset=True, exclude={"id"})
        _refuse_nulls({k: val for k, val in changes.items() if k != "barcode"})
        if changes:
            conn.execute(update(variant).where(variant.c.id == v.id).values(changes))
    return tombstones


def _check_final_skus(current: dict[str, str], wanted: list[VariantIn]) -> None:
    """Refuse a set where a kept variant keeps a SKU another variant of the list asks for."""
    holder: dict[str, str] = {}
    for v in wanted:
        sku = v.sku if v.sku is not None or v.id is None else current[v.id]
        if sku is None:
            continue  # a new variant without a SKU is refused later, with its own message
        if sku in holder:
            raise Conflict(
                f"SKU {sku!r} would be used twice: variant {holder[sku]!r} keeps it while another"
                " variant in the list asks for it; give the first a new SKU in the same request"
            )
        holder[sku] = v.id or "(new)"


def _park_moving_skus(conn: Connection, current: dict[str, str], wanted: list[VariantIn]) -> None:
    """Move changing SKUs out of the way first, so swaps and rotations cannot clash half-way.

    Both databases check the unique SKU row by row, so writing a swap directly fails on its first row.
    The placeholders never reach the change log: the final values are written in this transaction.
    """
    for v in wanted:
        if v.id is not None and v.sku is not None and v.sku != current[v.id]:
            conn.execute(update(variant).where(variant.c.id == v.id).values(sku=f"~moving~{uuid7()}"))


def _delete_variants(conn: Connection, variant_ids: list[str]) -> list[str]:
    if not variant_ids:
        return []
    level_ids = list(
        conn.execute(
            select(inventory_level.c.id).where(inventory_level.c.variant_id.in_(variant_ids))
        ).scalars()
    )
    conn.execute(delete(inventory_level).where(inventory_level.c.variant_id.in_(variant_ids)))
    conn.execute(delete(variant).where(variant.c.id.in_(variant_ids)))
    return level_ids


def _check_skus(conn: Connection, variants: list[VariantIn], product_id: str | None) -> None:
    skus = [v.sku for v in variants if v.sku is not None]
    seen: set[str] = set()
    for sku in skus:
        if sku in seen:
            raise Conflict(f"SKU {sku!r} appears twice in the request")
        seen.add(sku)
    if not skus:
        return
    rows = conn.execute(select(variant.c.sku, variant.c.product_id).where(variant.c.sku.in_(skus)))
    for sku, owner in rows:
        if owner != product_id:
            raise Conflict(f"SKU {sku!r} is already used by product {owner!r}")
