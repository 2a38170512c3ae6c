"""Fixtures for replica tests: a real SQLite file in tmp_path, opened the way the app opens it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from pos.store.database import open_replica
from pos.store.replica import SqliteReplica


@pytest.fixture
def replica_path(tmp_path: Path) -> Path:
    return tmp_path / "shops" / "demo" / "replica.sqlite3"


@pytest.fixture
def engine(replica_path: Path) -> Iterator[Engine]:
    engine = open_replica(replica_path)
    yield engine
    engine.dispose()


@pytest.fixture
def replica(engine: Engine) -> SqliteReplica:
    return SqliteReplica(engine)
