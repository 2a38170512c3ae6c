"""A replica holding the small shop of tests.services.checkout_shop, for the selling services' tests
(modules that need another replica define their own `engine`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.services import checkout_shop as shop
from tests.services.staff_shop import Clock


@pytest.fixture
def engine(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A module with `OPEN_SHIFT = False` gets it without an open shift (it opens its own)."""
    engine = shop.open_shop(tmp_path / "replica.sqlite3", shift=getattr(request.module, "OPEN_SHIFT", True))
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()
