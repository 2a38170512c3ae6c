"""`countertop-shop` never prints a database password, whatever goes wrong with the URL.

Users put `postgresql://user:password@host/db` on the command line or in the environment; error
messages still name the URL (so the user sees which one), with the password as ***.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.fixtures.shop_server import REPO_ROOT, free_port, shop_cli

SECRET = "S3cretPw0rd"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            f"mysql://root:{SECRET}@db.example/shop",
            "unsupported database URL 'mysql://root:***@db.example/shop'",
        ),
        (
            f"postgresql://till:{SECRET}@127.0.0.1:notaport/shop",
            "not a database URL: 'postgresql://till:***@127.0.0.1:notaport/shop'",
        ),
        (f"postgresql://till:{SECRET}@127.0.0.1:{free_port()}/shop", "cannot use the database"),
    ],
    ids=["unsupported", "unparseable", "unreachable"],
)
@pytest.mark.parametrize("command", [("seed", "--products", "1"), ("device", "add", "till")])
def test_a_url_with_a_password_never_appears_in_the_output(
    url: str, shown: str, command: tuple[str, ...]
) -> None:
    result = shop_cli(url, *command, timeout=60)
    assert result.returncode == 2, result.stderr
    assert shown in result.stderr
    assert SECRET not in result.stdout + result.stderr


def test_a_url_from_the_environment_is_masked_too() -> None:
    env = {**os.environ, "COUNTERTOP_SHOP_DATABASE_URL": f"oracle://shop:{SECRET}@db.example/shop"}
    result = subprocess.run(
        [sys.executable, "-m", "sync.server", "serve", "--port", str(free_port())],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "oracle://shop:***@db.example/shop" in result.stderr
    assert SECRET not in result.stdout + result.stderr
