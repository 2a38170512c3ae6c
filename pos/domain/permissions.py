"""Who may do what at the till: the permission matrix and the manager-approval rules, in one place.

Every service asks `decide(role, permission, ...)` before it changes anything; a screen may ask too,
to grey out a button, but hiding a button is never the check. The answer is one of

- ALLOWED: go ahead;
- NEEDS_APPROVAL: a manager must enter a PIN on the spot (pos.services.approval) first;
- REFUSED: this role may not do it at all, approval or not;

with a reason a person can read. Some permissions are allowed up to a limit (`Limits`): a cashier's
discount up to 10 %, a warehouse adjustment up to 20 units, a close whose cash is out by up to 5.00;
above the limit the same action needs a manager. A manager is never limited: managers are the ones
who approve.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pos.domain.errors import DomainError
from pos.domain.money import Money


class Role(StrEnum):
    CASHIER = "cashier"
    WAREHOUSE = "warehouse"
    MANAGER = "manager"


class Permission(StrEnum):
    """One protected action. The value is what the audit log records as the action."""

    SELL = "sell"
    DISCOUNT_LINE = "discount.line"
    DISCOUNT_CART = "discount.cart"
    PRICE_OVERRIDE = "price.override"
    RETURN_WITH_RECEIPT = "return.receipt"
    REFUND_WITHOUT_RECEIPT = "refund.no_receipt"
    VOID_LINE = "void.line"
    VOID_SALE = "void.sale"
    PARK_CART = "cart.park"
    RESUME_CART = "cart.resume"
    OPEN_DRAWER = "drawer.open"
    CUSTOMER_CREATE = "customer.create"
    CUSTOMER_EDIT = "customer.edit"
    SYNC_SEND_AGAIN = "sync.send_again"
    SYNC_DISCARD = "sync.discard"
    STOCK_ADJUST = "stock.adjust"
    FULFIL_ORDERS = "order.fulfil"
    CASH_OPEN = "cash.open"
    CASH_CLOSE = "cash.close"
    CASH_PAY_IN = "cash.pay_in"
    CASH_PAY_OUT = "cash.pay_out"
    CASH_DROP = "cash.drop"
    X_REPORT = "report.x"
    Z_REPORT = "report.z"
    VIEW_AUDIT_LOG = "audit.view"
    MANAGE_SETTINGS = "settings.manage"


class Outcome(StrEnum):
    ALLOWED = "allowed"
    NEEDS_APPROVAL = "needs_approval"
    REFUSED = "refused"


# What a person reads: "give a discount above the limit needs a manager".
LABELS: dict[Permission, str] = {
    Permission.SELL: "sell",
    Permission.DISCOUNT_LINE: "give a line discount",
    Permission.DISCOUNT_CART: "give a cart discount",
    Permission.PRICE_OVERRIDE: "override a price",
    Permission.RETURN_WITH_RECEIPT: "take a return with a receipt",
    Permission.REFUND_WITHOUT_RECEIPT: "refund without a receipt",
    Permission.VOID_LINE: "void a line",
    Permission.VOID_SALE: "void a sale",
    Permission.PARK_CART: "park a cart",
    Permission.RESUME_CART: "resume a parked cart",
    Permission.OPEN_DRAWER: "open the drawer without a sale",
    Permission.CUSTOMER_CREATE: "add a customer",
    Permission.CUSTOMER_EDIT: "change a customer",
    Permission.SYNC_SEND_AGAIN: "send a sync problem again",
    Permission.SYNC_DISCARD: "discard a sync problem",
    Permission.STOCK_ADJUST: "adjust stock",
    Permission.FULFIL_ORDERS: "fulfil orders",
    Permission.CASH_OPEN: "open a cash session",
    Permission.CASH_CLOSE: "close a cash session",
    Permission.CASH_PAY_IN: "pay cash in",
    Permission.CASH_PAY_OUT: "pay cash out",
    Permission.CASH_DROP: "drop cash to the safe",
    Permission.X_REPORT: "print an X report",
    Permission.Z_REPORT: "see or reprint a Z report",
    Permission.VIEW_AUDIT_LOG: "view the audit log",
    Permission.MANAGE_SETTINGS: "manage printers and settings",
}

_A, _M, _R = Outcome.ALLOWED, Outcome.NEEDS_APPROVAL, Outcome.REFUSED
# (cashier, warehouse, manager). A manager may do everything; "limited" permissions below are
# ALLOWED here and become NEEDS_APPROVAL above the limit.
_TABLE: dict[Permission, tuple[Outcome, Outcome, Outcome]] = {
    Permission.SELL: (_A, _R, _A),
    Permission.DISCOUNT_LINE: (_A, _R, _A),
    Permission.DISCOUNT_CART: (_A, _R, _A),
    Permission.PRICE_OVERRIDE: (_M, _R, _A),
    Permission.RETURN_WITH_RECEIPT: (_A, _R, _A),
    Permission.REFUND_WITHOUT_RECEIPT: (_M, _R, _A),
    Permission.VOID_LINE: (_M, _R, _A),
    Permission.VOID_SALE: (_M, _R, _A),
    Permission.PARK_CART: (_A, _R, _A),
    Permission.RESUME_CART: (_A, _R, _A),
    Permission.OPEN_DRAWER: (_M, _R, _A),
    Permission.CUSTOMER_CREATE: (_A, _R, _A),
    Permission.CUSTOMER_EDIT: (_A, _R, _A),
    Permission.SYNC_SEND_AGAIN: (_A, _A, _A),
    # Discarding loses what the till did (a sale, a count): a manager decides.
    Permission.SYNC_DISCARD: (_M, _M, _A),
    Permission.STOCK_ADJUST: (_R, _A, _A),
    Permission.FULFIL_ORDERS: (_R, _A, _A),
    Permission.CASH_OPEN: (_A, _R, _A),
    Permission.CASH_CLOSE: (_A, _R, _A),
    Permission.CASH_PAY_IN: (_A, _R, _A),
    Permission.CASH_PAY_OUT: (_A, _R, _A),
    Permission.CASH_DROP: (_A, _R, _A),
    Permission.X_REPORT: (_A, _R, _A),
    Permission.Z_REPORT: (_R, _R, _A),
    Permission.VIEW_AUDIT_LOG: (_R, _R, _A),
    Permission.MANAGE_SETTINGS: (_R, _R, _A),
}
MATRIX: dict[Role, dict[Permission, Outcome]] = {
    role: {permission: row[column] for permission, row in _TABLE.items()}
    for column, role in enumerate((Role.CASHIER, Role.WAREHOUSE, Role.MANAGER))
}
DISCOUNTS = frozenset({Permission.DISCOUNT_LINE, Permission.DISCOUNT_CART})


@dataclass(frozen=True, slots=True)
class Limits:
    """Where an allowed action starts to need a manager (the shop's settings; these are defaults).

    Amounts are minor units of the shop's currency. A limit is inclusive: exactly 10 % is fine.
    """

    discount_percent: Decimal = Decimal(10)
    discount_amount: int = 1000
    stock_adjust_units: int = 20
    cash_variance: int = 500

    def __post_init__(self) -> None:
        if isinstance(self.discount_percent, float):
            raise TypeError("discount_percent must be a Decimal, not a float")
        if not Decimal(0) <= self.discount_percent <= Decimal(100):
            raise DomainError("the discount limit is a percentage from 0 to 100", field="discount_percent")
        for name in ("discount_amount", "stock_adjust_units", "cash_variance"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise DomainError(f"the limit {name} must be a whole number of 0 or more", field=name)


@dataclass(frozen=True, slots=True)
class Size:
    """How big the action is, where size matters: a discount's percentage and/or amount, the units
    of a stock adjustment (either sign), a cash variance (either sign)."""

    percent: Decimal | None = None
    amount: Money | None = None
    units: int | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    permission: Permission
    reason: str

    @property
    def allowed(self) -> bool:
        return self.outcome is Outcome.ALLOWED

    @property
    def needs_approval(self) -> bool:
        return self.outcome is Outcome.NEEDS_APPROVAL


@dataclass(frozen=True, slots=True)
class Approval:
    """A manager's yes, given on the spot with their PIN (pos.services.approval makes these)."""

    manager_id: str
    manager_name: str
    permission: Permission
    reason: str
    at: datetime
    requested_by: str | None = None  # staff id of the person whose action it approves


class PermissionDenied(DomainError):
    """The signed-in person may not do this (or not without a manager); `decision` says which."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.reason, field="permission")
        self.decision = decision


@dataclass(frozen=True, slots=True)
class _Asked:
    role: Role
    permission: Permission
    size: Size = field(default_factory=Size)


def decide(
    role: Role | str, permission: Permission | str, size: Size | None = None, limits: Limits | None = None
) -> Decision:
    """Allowed, needs a manager, or refused, for `role` doing `permission` of `size`."""
    asked = _Asked(_role(role), _permission(permission), size or Size())
    what = LABELS[asked.permission]
    base = MATRIX[asked.role][asked.permission]
    if base is Outcome.REFUSED:
        return Decision(base, asked.permission, f"a {asked.role} may not {what}")
    if base is Outcome.NEEDS_APPROVAL:
        return Decision(base, asked.permission, f"to {what} a {asked.role} needs a manager's approval")
    over = None if asked.role is Role.MANAGER else _over_limit(asked, limits or Limits())
    if over:
        reason = f"to {what} {over} a {asked.role} needs a manager's approval"
        return Decision(Outcome.NEEDS_APPROVAL, asked.permission, reason)
    return Decision(Outcome.ALLOWED, asked.permission, f"a {asked.role} may {what}")


def require(
    decision: Decision, approval: Approval | None = None, *, actor_id: str | None = None
) -> Approval | None:
    """Raise PermissionDenied unless `decision` allows the action or `approval` covers it.

    An approval covers only the action it was given for, and only for the person who asked
    (`actor_id`; an approval that names nobody covers whoever asks). Returns the approval that
    was used (None when none was needed), for the audit entry.
    """
    if decision.allowed:
        return None
    if decision.needs_approval and approval is not None:
        if approval.permission is not decision.permission:
            raise DomainError(
                f"the manager approved “{LABELS[approval.permission]}”, not “{LABELS[decision.permission]}”",
                field="approval",
            )
        if approval.requested_by not in (None, actor_id):
            raise DomainError("that approval was given for someone else's action", field="approval")
        return approval
    raise PermissionDenied(decision)


def refused_outright(role: Role | str, permission: Permission | str) -> bool:
    """Whether `role` may never do `permission`, whatever its size and with any approval: what a
    screen greys out (one that needs a manager, or is limited, stays open and asks)."""
    return MATRIX[_role(role)][_permission(permission)] is Outcome.REFUSED


def can_approve(role: Role | str, permission: Permission | str) -> bool:
    """Whether someone of `role` may approve `permission` for someone else: managers only, and only
    for what they may do themselves."""
    return _role(role) is Role.MANAGER and MATRIX[Role.MANAGER][_permission(permission)] is Outcome.ALLOWED


def _over_limit(asked: _Asked, limits: Limits) -> str | None:
    """How the action goes beyond the role's limit ("of 15 % (limit 10 %)"), or None."""
    size, permission = asked.size, asked.permission
    if permission in DISCOUNTS:
        if size.percent is not None and _percent(size.percent) > limits.discount_percent:
            return f"of {size.percent} % (more than the {limits.discount_percent} % limit)"
        if size.amount is not None and _magnitude(size.amount) > limits.discount_amount:
            cap = Money(limits.discount_amount, size.amount.currency)
            return f"of {size.amount} (more than the {cap} limit)"
        if size.percent is None and size.amount is None:
            raise DomainError("a discount's size (percent or amount) is needed to check it", field="size")
    elif permission is Permission.STOCK_ADJUST:
        units = _units(size.units)
        if abs(units) > limits.stock_adjust_units:
            return f"by {units:+d} units (more than {limits.stock_adjust_units})"
    elif (
        permission is Permission.CASH_CLOSE
        and size.amount is not None
        and _magnitude(size.amount) > limits.cash_variance
    ):
        cap = Money(limits.cash_variance, size.amount.currency)
        return f"with a variance of {size.amount} (more than {cap})"
    return None


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise DomainError(f"{role!r} is not a role: cashier, warehouse or manager", field="role") from None


def _permission(permission: Permission | str) -> Permission:
    try:
        return Permission(permission)
    except ValueError:
        raise DomainError(f"{permission!r} is not a known action", field="permission") from None


def _percent(value: Decimal) -> Decimal:
    if isinstance(value, float) or not isinstance(value, Decimal | int) or not Decimal(value).is_finite():
        raise DomainError(f"a discount percentage must be a finite Decimal, not {value!r}", field="size")
    return Decimal(value)


def _magnitude(amount: Money) -> int:
    if not isinstance(amount, Money):
        raise TypeError(f"an amount must be Money, not {type(amount).__name__}")
    return abs(amount.minor)


def _units(units: object) -> int:
    if isinstance(units, bool) or not isinstance(units, int):
        raise DomainError(f"a stock adjustment is a whole number of units, not {units!r}", field="size")
    return units
