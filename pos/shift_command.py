"""`countertop shift open|x|close` and the headless sign-in that `sell` and `shift` share.

    COUNTERTOP_STAFF_PIN=1111 countertop shift open --staff "Sam Cashier" --count 2000x5 --count 100x20
    countertop shift x --staff "Sam Cashier"              # PIN from stdin when the variable is unset
    countertop shift close --staff "Sam Cashier" --count 5000x3 --count 200x4 --card 123.40

Staff are named as the shop lists them (or by id) and sign in with their PIN, checked offline like
at the screen (same wrong-PIN limit). `--count VALUExPIECES` counts notes and coins, the value in
the currency's units (20, 0.50). A close above the variance limit needs a manager:
`--manager NAME` with the manager's PIN in COUNTERTOP_MANAGER_PIN. Bad input exits 2, nothing changed.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Engine

from pos.app import EXIT_OK, CommandError, open_replica_file
from pos.domain.cash import XReport, ZReport
from pos.domain.errors import DomainError
from pos.domain.money import Money
from pos.domain.permissions import Permission, PermissionDenied
from pos.services.audit import Actor
from pos.services.cash_sessions import CashSessions
from pos.services.staff import StaffService
from pos.settings import Settings

PIN_ENV = "COUNTERTOP_STAFF_PIN"
MANAGER_PIN_ENV = "COUNTERTOP_MANAGER_PIN"


def open_till(settings: Settings) -> Engine:
    connection = settings.connection
    if connection is None:
        raise CommandError("This till is not connected to a shop yet: run `countertop connect --shop URL`.")
    path = settings.replica_path(connection)
    if not path.exists():
        raise CommandError("This till has no copy of the shop yet: run `countertop sync --once` first.")
    return open_replica_file(path)


def sign_in(engine: Engine, who: str | None, env: str = PIN_ENV) -> Actor:
    """The staff member named `who` (name or id), signed in with the PIN from `env` or stdin."""
    if not who:
        raise CommandError("say who is at the till: --staff NAME (with the PIN in $" + env + " or on stdin)")
    staff = StaffService(engine)
    try:
        return staff.sign_in(_member_id(staff, who), _pin(env))
    except DomainError as exc:
        raise CommandError(f"{who}: {exc}") from None


def _member_id(staff: StaffService, who: str) -> str:
    """The id of the one staff member called `who` (name or id, any case)."""
    members = staff.members()
    wanted = who.strip().casefold()
    matches = [m for m in members if wanted in (m.id.casefold(), m.name.casefold())]
    if len(matches) != 1:
        names = ", ".join(m.name for m in members) or "none yet: sync with the shop"
        problem = "several staff members are" if matches else "nobody is"
        raise CommandError(f"{problem} called {who!r} on this till's staff list ({names})")
    return matches[0].id


def _pin(env: str) -> str:
    if os.environ.get(env):
        return os.environ[env]
    if sys.stdin is None:
        raise CommandError(f"no PIN: set ${env} or pipe the PIN on stdin")
    if sys.stdin.isatty():
        return getpass.getpass("PIN: ")
    return sys.stdin.readline().strip()


def exact_amount(text: str, currency: str, what: str) -> Money:
    """`text` as an exact amount of `currency` (Money.exact, as on the sell screen), refused with a
    DomainError that names `what`, the option it came from."""
    try:
        return Money.exact(text, currency)
    except DomainError as exc:
        raise DomainError(f"{what} {text}: {exc}") from None


def parse_counts(specs: Sequence[str], currency: str) -> dict[int, object]:
    """`20x3` -> {2000: 3}: a note or coin in the currency's units, then x and the pieces."""
    counts: dict[int, object] = {}
    for spec in specs:
        value, sep, pieces = spec.strip().lower().partition("x")
        if not sep:
            raise DomainError(f"--count {spec}: write VALUExPIECES, e.g. 20x3 for three 20 notes")
        minor = exact_amount(value, currency, f"--count {spec}:").minor
        if minor in counts:
            raise DomainError(f"--count {spec}: {value} is counted twice")
        counts[minor] = pieces
    return counts


def shift_command(settings: Settings, action: str, args: Any) -> int:
    engine = open_till(settings)
    try:
        actor = sign_in(engine, args.staff)
        cash = CashSessions(engine)
        run: dict[str, Callable[[], str]] = {
            "open": lambda: _opened(cash, actor, args.count),
            "x": lambda: x_report_text(cash.x_report(actor)),
            "close": lambda: _closed(engine, cash, actor, args),
        }
        try:
            print(run[action](), flush=True)
        except DomainError as exc:
            raise CommandError(f"{exc}. Nothing was changed.") from None
        return EXIT_OK
    finally:
        engine.dispose()


def _opened(cash: CashSessions, actor: Actor, specs: Sequence[str]) -> str:
    session = cash.open(actor, parse_counts(specs, cash.currency()))
    return f"Shift opened by {actor.name} with a float of {session.float_count.total}."


def _closed(engine: Engine, cash: CashSessions, actor: Actor, args: Any) -> str:
    current = cash.current()
    currency = current.currency if current else cash.currency()
    counts = parse_counts(args.count, currency)
    if len(args.card) > 1:
        raise DomainError("give the card terminal's total once: --card AMOUNT")
    others = {"card": exact_amount(args.card[0], currency, "--card")} if args.card else {}
    try:
        z = cash.close(actor, counts, others)
    except PermissionDenied as exc:
        if not exc.decision.needs_approval or not args.manager:
            raise DomainError(f"{exc}: add --manager NAME with the PIN in ${MANAGER_PIN_ENV}") from None
        # The manager approves with one PIN check; they do not sign in at this till.
        staff = StaffService(engine)
        manager_id = _member_id(staff, args.manager)
        approval = staff.approve(
            Permission.CASH_CLOSE, manager_id, _pin(MANAGER_PIN_ENV), requested_by=actor.id
        )
        z = cash.close(actor, counts, others, approval)
        return z_report_text(z, approved_by=approval.manager_name)
    return z_report_text(z)


def x_report_text(x: XReport) -> str:
    lines = [f"X report at {x.at:%Y-%m-%d %H:%M} UTC (shift opened {x.opened_at:%H:%M})",
             f"  float {x.opening_float}", f"  {x.sale_count} sales {x.sales_total}",
             f"  {x.refund_count} refunds {x.refunds_total}",
             f"  pay-ins {x.pay_ins}  pay-outs {x.pay_outs}  drops {x.drops}"]  # fmt: skip
    lines += [f"  {t.method}: taken {t.taken}, refunded {t.refunded}, expected {t.expected}"
              for t in x.tenders]  # fmt: skip
    return "\n".join(lines)


def z_report_text(z: ZReport, *, approved_by: str | None = None) -> str:
    """The Z report as text; `approved_by`: the approving manager's name (the report holds the id)."""
    lines = [f"Z report: shift closed at {z.closed_at:%Y-%m-%d %H:%M} UTC",
             x_report_text(z.figures).split("\n", 1)[1]]  # fmt: skip
    lines += [f"  {t.method}: expected {t.expected}, counted {t.counted}, variance {t.variance}"
              for t in z.figures.tenders]  # fmt: skip
    if z.approved_by:
        lines.append(f"  variance approved by {approved_by or z.approved_by}")
    return "\n".join(lines)
