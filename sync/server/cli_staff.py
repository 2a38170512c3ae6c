"""`countertop-shop staff add|list|revoke|pin`: staff accounts from the command line.

A PIN is never an argument (other users of the machine could read it in `ps`): it is typed at a
hidden prompt when standard input is a terminal, else read as the first line of standard input
(`echo 4829 | countertop-shop staff add Pat --role cashier`; `--pin-stdin` insists on the latter).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from sqlalchemy import Engine

# staff.ROLES, repeated so that building the parser (every command, `--help` too) does not import
# SQLAlchemy; a test holds the two equal.
ROLES = ("cashier", "warehouse", "manager")


class PinInputError(Exception):
    """No usable PIN on standard input; printed like any other command-line error."""


def add_parser(sub: argparse._SubParsersAction, add_db: Callable[[argparse.ArgumentParser], None]) -> None:
    staff = sub.add_parser("staff", help="add, list and revoke staff; set their PINs")
    ssub = staff.add_subparsers(dest="action", required=True)
    add = ssub.add_parser("add", help="add a staff member; the PIN is read from standard input")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--pin-stdin", action="store_true", help="read the PIN as a line of standard input")
    add_db(add)
    add_db(ssub.add_parser("list", help="list staff (PINs are never shown)"))
    revoke = ssub.add_parser("revoke", help="make a staff member inactive: tills refuse their sign-in")
    revoke.add_argument("name", help="name or id")
    add_db(revoke)
    pin = ssub.add_parser("pin", help="set a new PIN, read from standard input")
    pin.add_argument("name", help="name or id")
    pin.add_argument("--pin-stdin", action="store_true", help="read the PIN as a line of standard input")
    add_db(pin)


def read_pin(stream: TextIO | None = None, *, from_stdin: bool = False) -> str:
    """The PIN typed at a hidden prompt (twice) or the first line of `stream`."""
    stream = stream or sys.stdin
    if stream.isatty() and not from_stdin:
        try:
            first = getpass.getpass("PIN (4-8 digits): ")
            again = getpass.getpass("Same PIN again: ")
        except (EOFError, KeyboardInterrupt):
            raise PinInputError("no PIN was typed; nothing was changed") from None
        if again != first:
            raise PinInputError("the two PINs differ; nothing was changed")
        return first.strip()
    line = stream.readline()
    if not line.strip():
        raise PinInputError(
            "no PIN on standard input: pipe it in, e.g. `echo 4829 | countertop-shop staff ...`"
        )
    return line.strip()  # `echo` and Windows consoles add line ends and stray spaces


def run(args: argparse.Namespace, engine: Engine) -> int:
    """Carry out `staff ACTION`; a refusal raises ShopError or PinInputError with nothing changed."""
    from sync.server import db
    from sync.server import staff as staff_accounts

    if args.action == "list":
        with db.read(engine) as conn:
            members = staff_accounts.list_all(conn)
        for m in members:
            state = "active" if m.active else "revoked"
            pin = "PIN set" if m.has_pin else "no PIN"
            print(f"{m.id}  {m.name}  {m.role}  {state}  {pin}")
        return 0
    pin = read_pin(from_stdin=args.pin_stdin) if args.action in ("add", "pin") else ""
    with db.write(engine) as conn:
        if args.action == "add":
            m = staff_accounts.add(conn, args.name, args.role, pin)
            print(f"added {m.role} {m.name!r} (id {m.id}); tills can sign them in after their next sync")
        elif args.action == "pin":
            m = staff_accounts.set_pin(conn, args.name, pin)
            print(f"new PIN for {m.name!r} (id {m.id}); the old one stops working after the tills' next sync")
        else:
            m = staff_accounts.revoke(conn, args.name)
            print(f"revoked {m.name!r} (id {m.id}); tills refuse their sign-in after their next sync")
    return 0
