"""End-to-end selling across processes: tills as data dirs driven by real `countertop` commands and
by child "app" processes (tests/e2e_support_child.py) that sell through pos.services.checkout,
against the real reference shop over HTTP. Reads of a till's replica are plain sqlite3 (the parent
holds no engine on a file a child writes).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pos.settings import TOKEN_ENV, Settings
from pos.shift_command import PIN_ENV
from pos.store import outbox
from pos.store.till_file import connect_both
from tests.fixtures.shop_server import LiveShop
from tests.sync.push_support import server_stock
from tests.test_cli import countertop

Doc = dict[str, Any]
REPO = Path(__file__).resolve().parents[1]


# --- the shop side ---------------------------------------------------------------------------------


def add_till_device(shop: LiveShop, name: str) -> str:
    """Register another till device on the shop; its token."""
    result = shop.cli("device", "add", name)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def pos_orders(shop: LiveShop) -> list[Doc]:
    """Every order with source "pos" on the shop (all pages of the admin API)."""
    found: list[Doc] = []
    offset = 0
    while True:
        page = shop.admin_get("orders", params={"limit": 100, "offset": offset})
        assert page.status_code == 200, page.text
        docs = page.json()
        found += [doc for doc in docs if doc["source"] == "pos"]
        if len(docs) < 100:
            return found
        offset += len(docs)


def shop_levels(shop: LiveShop, variant_ids: Sequence[str], location_id: str) -> dict[str, int]:
    return {variant: server_stock(shop, variant, location_id) for variant in variant_ids}


# --- the till side ---------------------------------------------------------------------------------


SELLER, SELLER_PIN = "Sam Cashier", "1111"  # the demo shop's cashier (sync/server/seed_words.py)


def connect_till(data: Path, shop: LiveShop, token: str) -> Path:
    """`countertop connect` then `countertop sync --once` in child processes; the replica file."""
    connected = countertop("--data-dir", str(data), "connect", "--shop", shop.url, env={TOKEN_ENV: token})
    assert connected.returncode == 0, connected.stderr
    sync_once(data, token)
    opened = countertop("--data-dir", str(data), "shift", "open", "--staff", SELLER, "--count", "20x10",
                        env={PIN_ENV: SELLER_PIN})  # fmt: skip
    assert opened.returncode == 0, opened.stdout + opened.stderr
    return Settings.load(data).replica_path()


def sync_once(data: Path, token: str) -> subprocess.CompletedProcess[str]:
    result = countertop("--data-dir", str(data), "sync", "--once", env={TOKEN_ENV: token})
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def sell_command(data: Path, *args: str) -> str:
    """One real `countertop sell` process; the receipt number it printed."""
    result = countertop("--data-dir", str(data), "sell", "--staff", SELLER, *args, env={PIN_ENV: SELLER_PIN})
    assert result.returncode == 0, result.stdout + result.stderr
    return re.search(r"^Receipt: (\S+)$", result.stdout, re.M)[1]  # type: ignore[index]


def rows(replica: Path, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    """Rows of a query over the replica and its till file (pos.store.till_file)."""
    con = connect_both(replica)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def selling_location(replica: Path) -> str:
    """The default selling location: the shop's location with the lowest code."""
    return rows(replica, "SELECT id FROM location ORDER BY code LIMIT 1")[0][0]


def sellable(replica: Path, limit: int) -> list[tuple[str, str, str]]:
    """(variant id, barcode, sku) of active, priced variants that have a barcode, in SKU order."""
    return rows(
        replica,
        "SELECT v.id, v.barcode, v.sku FROM variant v JOIN product p ON p.id = v.product_id "
        "WHERE p.status = 'active' AND v.price > 0 AND v.barcode IS NOT NULL AND v.barcode != '' "
        "ORDER BY v.sku LIMIT ?",
        (limit,),
    )


def local_sales(replica: Path) -> list[Doc]:
    """The sale.create documents of every sale this till committed."""
    return [json.loads(doc) for (doc,) in rows(replica, "SELECT doc FROM sale ORDER BY number")]


def sold_quantities(sales: Sequence[Doc]) -> Counter[str]:
    sold: Counter[str] = Counter()
    for sale in sales:
        for line in sale["lines"]:
            if line["variant_id"] is not None:
                sold[line["variant_id"]] += line["quantity"]
    return sold


def shown_stock(replica: Path, variant_id: str, location_id: str) -> int:
    """What the till shows: the pulled level (0 when none) plus its deltas the level does not show yet."""
    con = connect_both(replica)
    try:
        return outbox.shown_stock(con, variant_id, location_id)
    finally:
        con.close()


def outbox_size(replica: Path) -> int:
    """Sales, returns and customers waiting (audit entries of sign-ins and shifts aside)."""
    return rows(replica, "SELECT count(*) FROM outbox WHERE type != 'audit.entry'")[0][0]


def spawn(mode: str, data: Path, *args: str, token: str | None = None, **popen: Any) -> subprocess.Popen[str]:
    """Start a child "app" process of this module."""
    env = {k: v for k, v in os.environ.items() if k != TOKEN_ENV}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    if token:
        env[TOKEN_ENV] = token
    return subprocess.Popen(
        [sys.executable, "-m", "tests.e2e_support_child", mode, str(data), *args],
        cwd=REPO, env=env, text=True, **popen,
    )  # fmt: skip


def sell_in_child(data: Path, count: int, seed: int, codes: Sequence[str]) -> list[Doc]:
    """An app process that sells `count` sales and exits; what it printed for each sale."""
    child = spawn(
        "sell", data, "--count", str(count), "--seed", str(seed), "--codes", ",".join(codes),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]
