"""Fixtures shared by the sync tests that talk to a crafted shop (a real HTTP server in a thread)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sync.crafted_shop import CraftedShop, ScriptedShop


@pytest.fixture
def shop() -> Iterator[ScriptedShop]:
    server = CraftedShop().start()
    yield ScriptedShop(server)
    server.stop()
