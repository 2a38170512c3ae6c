"""The demo shop: seeded once in the data folder, served on a free port, this till registered."""

from __future__ import annotations

import pytest

from pos.services.connection import ConnectionFailed, test_connection
from pos.services.demo import DEMO_DEVICE, DemoShopError, shop_command, start_demo_shop


def test_demo_shop_starts_seeded_and_is_reused_with_a_fresh_token(tmp_path):
    messages: list[str] = []
    shop = start_demo_shop(tmp_path, products=30, report=messages.append)
    try:
        assert shop.url.startswith("http://127.0.0.1:")
        info = test_connection(shop.url, shop.token)
        assert info.device_name == DEMO_DEVICE
        assert shop.database_path == tmp_path / "demo-shop.sqlite3"
        assert any("30 products" in m for m in messages)
        first_token, first_device = shop.token, info.device_id
    finally:
        shop.stop()
    assert shop.process.poll() is not None  # stopped

    messages.clear()
    again = start_demo_shop(tmp_path, products=500, report=messages.append)
    try:
        assert not any("Creating" in m for m in messages)  # seeded once only
        assert any("applies only to a new one" in m for m in messages)
        info = test_connection(again.url, again.token)
        assert info.device_id == first_device  # rotated, not re-added: the replica stays valid
        assert again.token != first_token
        with pytest.raises(ConnectionFailed, match="refused"):
            test_connection(again.url, first_token)
        products = again.info.head
        assert products > 0
    finally:
        again.stop()


def test_data_folder_that_is_a_file_fails_clearly(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises((DemoShopError, OSError)):
        start_demo_shop(blocker, products=5)


def test_the_shop_command_runs_through_countertop():
    command = shop_command("serve")
    assert command[1:] == ["-m", "pos", "shop", "serve"]
