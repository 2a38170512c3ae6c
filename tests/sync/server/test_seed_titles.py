"""The demo catalog reads like a real shop's: product titles hardly ever repeat."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

from sync.server.seed_titles import BRANDS
from tests.fixtures.shop_server import shop_cli


def test_a_2000_product_seed_has_at_least_90_percent_distinct_titles(tmp_path: Path) -> None:
    path = tmp_path / "shop.sqlite3"
    result = shop_cli(f"sqlite:///{path}", "seed", "--products", "2000", "--seed", "7")
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(path) as conn:
        titles = [title for (title,) in conn.execute("SELECT title FROM product")]
    assert len(titles) == 2000
    assert len(set(titles)) >= 0.9 * len(titles)
    assert Counter(titles).most_common(1)[0][1] <= 3  # no title seven times over
    brands = {brand for names in BRANDS.values() for brand in names}
    branded = [t for t in titles if any(t.startswith(f"{b} ") for b in brands)]
    assert len({t.split(" ")[0] for t in branded}) >= 40  # many makers, not one
