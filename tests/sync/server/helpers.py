"""Small helpers for the server tests: read the whole change log, parse a snapshot, build products."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from alembic import command
from alembic.config import Config

from sync.server import db
from sync.server.barcodes import ean13
from tests.fixtures.shop_server import LiveShop


def all_changes(shop: LiveShop, since: int = 0, limit: int = 5000) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while True:
        page = shop.sync_get("changes", params={"since": since, "limit": limit})
        assert page.status_code == 200, page.text
        body = page.json()
        out.extend(body["changes"])
        since = body["next"]
        if not body["has_more"]:
            return out


def head(shop: LiveShop) -> int:
    return shop.sync_get("shop").json()["head"]


def snapshot(shop: LiveShop, entity: str, **kwargs: Any) -> tuple[dict, list[dict], dict]:
    resp = shop.sync_get("snapshot", params={"entity": entity}, **kwargs)
    assert resp.status_code == 200, resp.text
    lines = [orjson.loads(line) for line in resp.content.splitlines()]
    return lines[0], lines[1:-1], lines[-1]


def unique_sku(prefix: str = "T") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def new_barcode() -> str:
    return ean13(uuid.uuid4().int % 10**10, prefix="41")


def product_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Test Espresso Beans",
        "category": "Grocery",
        "variants": [
            {"sku": unique_sku(), "barcode": new_barcode(), "title": "250 g", "price": 899},
            {"sku": unique_sku(), "barcode": new_barcode(), "title": "1 kg", "price": 2999},
        ],
    }
    body.update(overrides)
    return body


def movements(
    shop: LiveShop, source: str | None = None, variant_ids: list[str] | None = None
) -> list[tuple[str, str, int, str]]:
    """(variant_id, location_id, delta, reason) of stock ledger rows, read from the shop's database."""
    from sqlalchemy import select

    from sync.server import db
    from sync.server.tables import stock_movement as m

    query = select(m.c.variant_id, m.c.location_id, m.c.delta, m.c.reason).order_by(m.c.id)
    if source is not None:
        query = query.where(m.c.source == source)
    if variant_ids is not None:
        query = query.where(m.c.variant_id.in_(variant_ids))
    engine = db.make_engine(shop.database_url)
    try:
        with db.read(engine) as conn:
            return [(r[0], r[1], int(r[2]), r[3]) for r in conn.execute(query)]
    finally:
        engine.dispose()


def level(shop: LiveShop, variant_id: str, location_id: str) -> int:
    levels = shop.admin_get(f"stock/levels?variant_id={variant_id}").json()
    return next((lv["quantity"] for lv in levels if lv["location_id"] == location_id), 0)


def migrate(engine: Any, revision: str, *, down: bool = False) -> None:
    """Upgrade (or downgrade) a shop database to `revision` with the shop's own migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(db.MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


def database_url(backend: str, request: Any, tmp_path: Any) -> str:
    """A fresh database of `backend`: a PostgreSQL one from the test cluster, or a SQLite file."""
    if backend == "postgres":
        return str(request.getfixturevalue("pg_database_url"))
    return f"sqlite:///{tmp_path}/shop.db"
