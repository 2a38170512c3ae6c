"""What the selling screens are given by the composition root (pos.app): services and a nudge."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


def _nothing() -> None:
    return None


@dataclass
class Selling:
    """The services behind the sell, customers and sync-problems screens (each may be None in tests).

    `nudge` asks the sync engine to push now (after a sale, a return, "send again"); it must be
    cheap and thread-safe, since it is called on the UI thread.
    """

    checkout: Any  # pos.services.checkout.CheckoutService
    returns: Any = None  # pos.services.returns.ReturnsService
    customers: Any = None  # pos.services.customers.CustomerService
    parked: Any = None  # pos.services.parked.ParkedCarts
    problems: Any = None  # pos.services.sync_problems.SyncProblems
    printing: Any = None  # pos.services.printing.PrintService: receipts after sales and returns
    who: Any = None  # pos.services.signed_in.SignedIn: the person at the till (the services' too)
    staff: Any = None  # pos.services.staff.StaffService: a manager's PIN for an approval
    nudge: Callable[[], None] = _nothing
