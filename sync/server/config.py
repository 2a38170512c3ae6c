"""Where the shop's database is: `--database-url`, else the environment, else the user data folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DATABASE_URL_ENV = "COUNTERTOP_SHOP_DATABASE_URL"
APP_NAME = "countertop-shop"


@dataclass(frozen=True)
class DatabaseChoice:
    url: str
    is_default: bool  # the platformdirs file nobody asked for: seeded as a demo shop when empty


def default_database_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME)) / "shop.sqlite3"


def choose_database(flag: str | None) -> DatabaseChoice:
    if flag:
        return DatabaseChoice(flag, False)
    env = os.environ.get(DATABASE_URL_ENV)
    if env:
        return DatabaseChoice(env, False)
    path = default_database_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    return DatabaseChoice(f"sqlite:///{path}", True)
