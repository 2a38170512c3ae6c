"""Who is signed in for tests that sell: a cashier and a manager, and a shift to sell in.

The selling services check the signed-in person (pos.services.signed_in) and checkout needs an
open shift (pos.services.cash_sessions); tests that are not about either use these.
"""

from __future__ import annotations

from sqlalchemy import Engine

from pos.domain.permissions import Role
from pos.services.audit import Actor
from pos.services.cash_sessions import CashSessions
from pos.services.signed_in import SignedIn

CASHIER = Actor("01936f2a-0000-7000-8000-00000000c001", "Cara Cashier", Role.CASHIER)
MANAGER = Actor("01936f2a-0000-7000-8000-00000000a001", "Mo Manager", Role.MANAGER)
FLOAT = {5000: 2, 2000: 5, 1000: 5, 500: 10, 200: 25, 100: 50, 50: 40, 20: 50, 10: 50}  # 500.00


def as_cashier() -> SignedIn:
    return SignedIn(CASHIER)


def as_manager() -> SignedIn:
    return SignedIn(MANAGER)


def open_shift(engine: Engine) -> None:
    """Open a shift with a 500.00 float unless one is open (the till needs its shop and till row)."""
    cash = CashSessions(engine)
    if cash.current() is None:
        cash.open(CASHIER, FLOAT)
