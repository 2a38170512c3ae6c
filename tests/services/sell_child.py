"""A till process that sells in a loop: `python -m tests.services.sell_child REPLICA [COUNT]`.

Prints `SOLD <receipt number> <sale id>` after each checkout returns (after COMMIT), flushed, so a
parent that kills it knows exactly which sales the cashier saw as paid. COUNT 0 sells until killed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pos.domain.money import Money
from pos.domain.tender import Tender
from pos.services.checkout import CheckoutService
from pos.store.database import open_replica
from tests.staffing import as_cashier

CODES = ("4006381333931", "SPN-1", "4006381333931", "96385074")


def main(path: str, count: int) -> None:
    engine = open_replica(Path(path))
    service = CheckoutService(engine, who=as_cashier())
    sold = 0
    while count == 0 or sold < count:
        cart = service.new_cart()
        for code in CODES[: 1 + sold % len(CODES)]:
            service.scan(cart, code)
        total = cart.totals().total
        tenders = [
            Tender("card", Money(1, total.currency)),
            Tender("cash", total + Money(500, total.currency)),
        ]
        sale = service.checkout(cart, tenders)
        print(f"SOLD {sale.number} {sale.sale_id}", flush=True)
        sold += 1
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0)
