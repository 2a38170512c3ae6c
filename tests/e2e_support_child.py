"""Child "app" processes for the end-to-end selling tests (started by tests/e2e_support.py):

    python -m tests.e2e_support_child sell DATA_DIR --count N --seed S --codes C1,C2,...
        sell N sales through CheckoutService, print one JSON line per sale, exit
    python -m tests.e2e_support_child sell-and-push DATA_DIR --seed S --codes C1,C2,...
        sell and push until killed (device token from COUNTERTOP_DEVICE_TOKEN): prints `ready`,
        then `paid NUMBER` the moment checkout returned (what the cashier saw), `pushing` before
        each push and `pushed APPLIED DUPLICATE` after it

Sales are random but reproducible from the seed: 1-4 lines of the given codes (barcodes or SKUs, as
a scanner types them), quantities 1-3, paid in cash with change, by card with a reference, or split
card + cash. Kept apart from the parent's helpers so a child imports neither pytest nor the fixtures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from collections.abc import Sequence
from pathlib import Path

from pos.app import open_session
from pos.domain.money import Money
from pos.domain.tender import Tender
from pos.services.checkout import CheckoutService, CompletedSale
from pos.settings import TOKEN_ENV, Settings
from pos.store.database import open_replica
from sync.ports import SyncError
from tests.staffing import as_cashier, open_shift


def tenders(rng: random.Random, total: int, currency: str, index: int) -> list[Tender]:
    """Cash with change, card with a reference, or split card + cash, in turn."""
    kind = index % 3
    if kind == 0:  # the next 10.00 note up, sometimes one more: change is due
        return [Tender("cash", Money(-(-total // 1000) * 1000 + rng.choice((0, 1000)), currency))]
    if kind == 1:
        return [Tender("card", Money(total, currency), f"AUTH-{index}")]
    card = max(1, total // 2)
    rest = total - card
    return [
        Tender("card", Money(card, currency), f"SPLIT-{index}"),
        Tender("cash", Money(max(-(-rest // 500) * 500, 500), currency)),
    ]


def sell_one(
    checkout: CheckoutService, rng: random.Random, codes: Sequence[str], index: int
) -> CompletedSale:
    cart = checkout.new_cart()
    for code in rng.sample(list(codes), rng.randint(1, min(4, len(codes)))):
        scanned = checkout.scan(cart, code)
        if scanned.status != "added" or scanned.item is None:
            raise SystemExit(f"scan {code!r}: {scanned.status}: {scanned.message}")
        quantity = rng.randint(1, 3)
        if quantity > 1:
            cart.set_quantity(scanned.item.line_id, scanned.item.quantity + quantity - 1)
    return checkout.checkout(cart, tenders(rng, cart.totals().total.minor, cart.currency, index))


def sell(data: Path, count: int, seed: int, codes: Sequence[str]) -> int:
    settings = Settings.load(data)
    engine = open_replica(settings.replica_path())
    open_shift(engine)
    checkout = CheckoutService(engine, settings, who=as_cashier())
    rng = random.Random(seed)
    try:
        for index in range(count):
            sale = sell_one(checkout, rng, codes, index)
            p = sale.payload
            print(json.dumps({"number": sale.number, "total": p["total"], "change": p["change"]}), flush=True)
    finally:
        engine.dispose()
    return 0


def sell_and_push(data: Path, seed: int, codes: Sequence[str]) -> int:
    settings = Settings.load(data)
    assert settings.connection is not None
    # The app's own arrangement: the sell screen on one engine, the sync engine on another.
    session = open_session(settings, settings.connection, os.environ[TOKEN_ENV])
    open_shift(session.ui_db)
    checkout = CheckoutService(session.ui_db, settings, who=as_cashier())
    rng = random.Random(seed)
    print("ready", flush=True)
    index = 0
    while True:
        for _ in range(rng.randint(1, 3)):
            sale = sell_one(checkout, rng, codes, index)
            print(f"paid {sale.number}", flush=True)
            index += 1
        print("pushing", flush=True)
        try:
            report = session.sync.push_once()
            print(f"pushed {report.applied} {report.duplicate}", flush=True)
        except SyncError as exc:
            print(f"push failed {exc}", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.e2e_support_child")
    parser.add_argument("mode", choices=("sell", "sell-and-push"))
    parser.add_argument("data", type=Path)
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--codes", required=True)
    args = parser.parse_args(argv)
    codes = args.codes.split(",")
    if args.mode == "sell":
        return sell(args.data, args.count, args.seed, codes)
    return sell_and_push(args.data, args.seed, codes)


if __name__ == "__main__":
    sys.exit(main())
