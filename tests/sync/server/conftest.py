"""The server suite runs against SQLite and against a real PostgreSQL (started by the fixture).

`shop` is shared by the tests of one module (starting a shop takes ~2 s), so those tests only add
records and compare against what they read first. Tests that prune, revoke or count everything use
`fresh_shop`, a shop of their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest

from tests.fixtures.shop_server import LiveShop, make_live_shop

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _new_pg_database(postgres_url: str) -> tuple[str, Callable[[], None]]:
    name = f"m_{uuid.uuid4().hex[:16]}"
    conninfo = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return postgres_url.rsplit("/", 1)[0] + f"/{name}", drop


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def shop(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveShop]:
    """A seeded shop (20 products) shared by one module's tests, on each database backend."""
    drop = None
    url = None
    if backend == "postgres":
        url, drop = _new_pg_database(request.getfixturevalue("postgres_url"))
    live = make_live_shop(tmp_path_factory.mktemp("shop"), 20, url)
    yield live
    live.stop()
    if drop:
        drop()


@pytest.fixture
def fresh_shop(
    backend: str, request: pytest.FixtureRequest, shop_factory: Callable[..., LiveShop]
) -> LiveShop:
    """A shop of the test's own, on the module's backend."""
    if backend == "postgres":
        return shop_factory(products=20, database_url=request.getfixturevalue("pg_database_url"))
    return shop_factory(products=20)
