"""Migration 0005 (snapshot order key) on a shop database at 0004, on SQLite and PostgreSQL: existing
products get their title order key, and it downgrades cleanly."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from sqlalchemy import inspect, text

from sync.protocol import title_order_key
from sync.server import db
from tests.sync.server.conftest import BACKENDS
from tests.sync.server.helpers import database_url, migrate

TITLES = {"p1": "Zebra Mug", "p2": "apple Crate", "p3": "Émile Jar", "p4": "APPLE crate"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_0005_gives_existing_products_their_title_order(backend: str, tmp_path: Path, request) -> None:  # type: ignore[no-untyped-def]
    engine = db.make_engine(database_url(backend, request, tmp_path))
    try:
        migrate(engine, "0004")
        with engine.begin() as conn:
            for pid, title in TITLES.items():
                doc = orjson.dumps({"id": pid, "title": title, "variants": []}).decode()
                conn.execute(
                    text("INSERT INTO current_doc (entity, id, version, doc) VALUES ('product', :i, 1, :d)"),
                    {"i": pid, "d": doc},
                )
            conn.execute(
                text("INSERT INTO current_doc (entity, id, version, doc) VALUES ('staff', 's1', 1, '{}')")
            )
        migrate(engine, "0005")
        with engine.connect() as conn:
            keys = dict(conn.execute(text("SELECT id, sort_key FROM current_doc")).fetchall())
            # The database orders the keys as tills do: by code point, whatever its locale.
            ordered = conn.execute(
                text("SELECT id FROM current_doc WHERE entity = 'product' ORDER BY sort_key, id")
            ).scalars().all()
        if backend == "postgres":
            # The test cluster's own locale is C: the column must compare by code point itself.
            with engine.connect() as conn:
                collation = conn.execute(
                    text(
                        "SELECT collation_name FROM information_schema.columns "
                        "WHERE table_name = 'current_doc' AND column_name = 'sort_key'"
                    )
                ).scalar_one()
            assert collation == "C"
        assert keys == {**{pid: title_order_key(title) for pid, title in TITLES.items()}, "s1": None}
        assert ordered == ["p2", "p4", "p1", "p3"]
        migrate(engine, "0004", down=True)
        with engine.connect() as conn:
            columns = {column["name"] for column in inspect(conn).get_columns("current_doc")}
        assert "sort_key" not in columns
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_0005_reaches_every_product_of_a_catalog_larger_than_its_batches(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    # The migration reads products a batch of 5,000 at a time by id: none may fall between two.
    engine = db.make_engine(database_url(backend, request, tmp_path))
    titles = {f"p{n:05d}": f"Product {n % 977} {'ABCDEFGHIJ'[n % 10]}" for n in range(10_003)}
    try:
        migrate(engine, "0004")
        with engine.begin() as conn:
            docs = [{"i": i, "d": orjson.dumps({"id": i, "title": t}).decode()} for i, t in titles.items()]
            conn.execute(
                text("INSERT INTO current_doc (entity, id, version, doc) VALUES ('product', :i, 1, :d)"), docs
            )
        db.upgrade(engine)
        with engine.connect() as conn:
            keys = dict(conn.execute(text("SELECT id, sort_key FROM current_doc")).fetchall())
        assert keys == {pid: title_order_key(title) for pid, title in titles.items()}
    finally:
        engine.dispose()
