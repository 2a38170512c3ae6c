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
from sync.server.tables import inventory_level, nocase, nocase_key, product, tax_rate, variant

Doc = dict[str, Any]
_NOT_NULL = ("title", "description", "category", "status", "sku", "title", "price", "position")


def create_product(conn: Connection, body: ProductIn) -> Doc:
    if body.tax_rate_id is not None:
        require(conn, tax_rate, body.tax_rate_id, "tax rate")
    _check_skus(conn, None, {}, body.variants)
    now = utc_now()
    pid = uuid7()
    fields = body.model_dump(exclude={"variants"})
    conn.execute(insert(product).values(id=pid, created_at=now, updated_at=now, **fields))
    for pos, v in enumerate(body.variants):
        conn.execute(insert(variant).values(_new_variant(pid, v, pos)))
    return _log_product(conn, pid, [], load_product_doc(conn, pid))


def change_product(conn: Connection, product_id: str, patch: ProductPatch) -> Doc:
    require(conn, product, product_id, "product")
    fields = patch.model_dump(exclude_unset=True, exclude={"variants"})
    _refuse_nulls(fields)
    if fields.get("tax_rate_id") is not None:
        require(conn, tax_rate, fields["tax_rate_id"], "tax rate")
    if fields:
        conn.execute(update(product).where(product.c.id == product_id).values(**fields))
    tombstones: list[str] = []
    if patch.variants is not None:
        tombstones = _replace_variants(conn, product_id, patch.variants)
    doc = load_product_doc(conn, product_id)
    assert doc is not None  # required above, in this transaction
    if (stored := changelog.unchanged(conn, "product", product_id, doc)) is not None:
        return stored  # nothing changed (a dropped variant would show): no new version for the tills
    changelog.stamp_updated(conn, product, product_id, doc)
    return _log_product(conn, product_id, tombstones, doc)


def delete_product(conn: Connection, product_id: str) -> int:
    require(conn, product, product_id, "product")
    variant_ids = list(conn.execute(select(variant.c.id).where(variant.c.product_id == product_id)).scalars())
    tombstones = _delete_variants(conn, variant_ids)
    conn.execute(delete(product).where(product.c.id == product_id))
    items: list[changelog.Item] = [("inventory_level", lid, None) for lid in tombstones]
    return changelog.record(conn, [*items, ("product", product_id, None)])


def _log_product(conn: Connection, product_id: str, level_tombstones: list[str], doc: Doc | None) -> Doc:
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
    _check_skus(conn, product_id, current, wanted)
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


def _check_skus(
    conn: Connection, product_id: str | None, current: dict[str, str], wanted: list[VariantIn]
) -> None:
    """Refuse a variant list whose SKUs would clash: a SKU sent twice, one a kept variant keeps while
    another asks for it, or a new or changed SKU equal to any other SKU ignoring letter case (tills
    find SKUs ignoring case, so they could sell neither by SKU). `current`: the product's variants
    now, id -> SKU (empty for a new product). SKUs left as they are are not checked again.
    """
    seen: set[str] = set()
    for sku in (v.sku for v in wanted if v.sku is not None):
        if sku in seen:
            raise Conflict(f"SKU {sku!r} appears twice in the request")
        seen.add(sku)
    # (final SKU, who holds it, whether it is new or changed); a new variant without a SKU is
    # refused later, with its own message.
    final: list[tuple[str, str, bool]] = []
    for v in wanted:
        if v.id is None or v.id not in current:  # new (a new product's variants ignore their ids)
            if v.sku is not None:
                final.append((v.sku, "(new)", True))
        elif v.sku is None or v.sku == current[v.id]:
            final.append((current[v.id], v.id, False))
        else:
            final.append((v.sku, v.id, True))
    holders: dict[str, tuple[str, str, bool]] = {}
    for sku, who, changed in final:
        if (first := holders.get(nocase_key(sku))) is None:
            holders[nocase_key(sku)] = (sku, who, changed)
        elif first[0] == sku:  # one keeps it (a SKU sent twice was refused above)
            keeper = who if first[2] else first[1]
            raise Conflict(
                f"SKU {sku!r} would be used twice: variant {keeper!r} keeps it while another"
                " variant in the list asks for it; give the first a new SKU in the same request"
            )
        elif changed or first[2]:
            raise Conflict(
                f"SKUs {first[0]!r} and {sku!r} in the list differ only in letter case: tills find SKUs"
                " ignoring case, so they could not tell the two variants apart"
            )
    _check_other_products(conn, product_id, [sku for sku, _, changed in final if changed])


def _check_other_products(conn: Connection, product_id: str | None, skus: list[str]) -> None:
    """Refuse a SKU another product's variant has, or has in another letter case."""
    if not skus:
        return
    wanted = {nocase_key(sku): sku for sku in skus}
    query = (
        select(variant.c.sku, variant.c.id, product.c.id, product.c.title)
        .join(product, product.c.id == variant.c.product_id)
        .where(nocase(variant.c.sku).in_(sorted(wanted)))
        .order_by(variant.c.sku)
        .limit(1)
    )
    if product_id is not None:
        query = query.where(variant.c.product_id != product_id)
    row = conn.execute(query).first()
    if row is None:
        return
    held, variant_id, owner, title = row
    sku = wanted[nocase_key(held)]
    where = f"variant {variant_id!r} of product {owner!r} ({title!r})"
    if held == sku:
        raise Conflict(f"SKU {sku!r} is already used by {where}")
    raise Conflict(
        f"SKU {sku!r} differs only in letter case from SKU {held!r} of {where}: tills find SKUs"
        " ignoring case, so they could not tell the two apart"
    )
