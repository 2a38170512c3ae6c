"""The shop's settings row (name, currency, tax mode)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from sync.server.tables import settings


@dataclass(frozen=True)
class ShopSettings:
    name: str
    currency: str
    prices_include_tax: bool


def load_settings(conn: Connection) -> ShopSettings:
    row = conn.execute(select(settings).where(settings.c.id == 1)).one()
    return ShopSettings(row.shop_name, row.currency, bool(row.prices_include_tax))
