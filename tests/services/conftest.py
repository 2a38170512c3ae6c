"""A replica holding the small shop of tests.services.checkout_shop, for the selling services' tests
(modules that need another replica define their own `engine`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.services import checkout_shop as shop


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = shop.open_shop(tmp_path / "replica.sqlite3")
    yield engine
    engine.dispose()
