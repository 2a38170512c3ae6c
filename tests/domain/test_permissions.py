"""The permission matrix, table-driven: every role against every action, and the approval limits."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from pos.domain.errors import DomainError
from pos.domain.money import Money
from pos.domain.permissions import (
    LABELS,
    Approval,
    Limits,
    Outcome,
    Permission,
    PermissionDenied,
    Role,
    Size,
    can_approve,
    decide,
    refused_outright,
    require,
)

A, M, R = "allowed", "needs_approval", "refused"
# The shop's policy as the issue states it, written out independently of the module:
# (cashier, warehouse, manager) for every action that exists.
EXPECTED = {
    "sell": (A, R, A),
    "discount.line": (A, R, A),
    "discount.cart": (A, R, A),
    "price.override": (M, R, A),
    "return.receipt": (A, R, A),
    "refund.no_receipt": (M, R, A),
    "void.line": (M, R, A),
    "void.sale": (M, R, A),
    "cart.park": (A, R, A),
    "cart.resume": (A, R, A),
    "drawer.open": (M, R, A),
    "customer.create": (A, R, A),
    "customer.edit": (A, R, A),
    "sync.send_again": (A, A, A),
    "sync.discard": (M, M, A),
    "stock.adjust": (R, A, A),
    "order.fulfil": (R, A, A),
    "cash.open": (A, R, A),
    "cash.close": (A, R, A),
    "cash.pay_in": (A, R, A),
    "cash.pay_out": (A, R, A),
    "cash.drop": (A, R, A),
    "report.x": (A, R, A),
    "report.z": (R, R, A),
    "audit.view": (R, R, A),
    "settings.manage": (R, R, A),
}
ROLES = ("cashier", "warehouse", "manager")
# A small size for the actions that take one, so the base matrix is what is tested here.
SMALL = {
    "discount.line": Size(percent=Decimal(5)),
    "discount.cart": Size(amount=Money(100, "EUR")),
    "stock.adjust": Size(units=3),
}
CASES = [(p, role, EXPECTED[p][i]) for p in EXPECTED for i, role in enumerate(ROLES)]
AT = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def test_the_matrix_covers_every_action_and_nothing_else() -> None:
    assert {p.value for p in Permission} == set(EXPECTED)
    assert set(LABELS) == set(Permission)


@pytest.mark.parametrize(("permission", "role", "expected"), CASES, ids=[f"{p}-{r}" for p, r, _ in CASES])
def test_every_role_and_action(permission: str, role: str, expected: str) -> None:
    decision = decide(role, permission, SMALL.get(permission))
    assert decision.outcome == expected
    label = LABELS[Permission(permission)]
    assert label in decision.reason and role in decision.reason
    if expected == R:
        with pytest.raises(PermissionDenied, match=f"may not {label}"):
            require(decision)
        # a manager's approval does not open what a role may never do
        with pytest.raises(PermissionDenied):
            require(decision, _approval(permission), actor_id="c1")
    elif expected == M:
        with pytest.raises(PermissionDenied, match="needs a manager's approval"):
            require(decision)
        assert require(decision, _approval(permission), actor_id="c1") == _approval(permission)
        with pytest.raises(DomainError, match="someone else's action"):
            require(decision, _approval(permission), actor_id="c2")
    else:
        assert require(decision) is None


def _approval(permission: str) -> Approval:
    return Approval("m1", "Alex Manager", Permission(permission), "customer is a regular", AT, "c1")


def test_an_approval_for_another_action_does_not_count() -> None:
    decision = decide("cashier", "void.sale")
    with pytest.raises(DomainError, match="approved “void a line”, not “void a sale”"):
        require(decision, _approval("void.line"), actor_id="c1")


@pytest.mark.parametrize(
    ("permission", "size", "expected", "words"),
    [
        ("discount.line", Size(percent=Decimal(10)), A, None),
        ("discount.line", Size(percent=Decimal("10.01")), M, "of 10.01 % (more than the 10 % limit)"),
        ("discount.cart", Size(amount=Money(1000, "EUR")), A, None),
        ("discount.cart", Size(amount=Money(1001, "EUR")), M, "of 10.01 EUR (more than the 10.00 EUR limit)"),
        ("discount.line", Size(percent=Decimal(5), amount=Money(5000, "EUR")), M, "of 50.00 EUR"),
        ("cash.close", Size(amount=Money(-500, "EUR")), A, None),
        ("cash.close", Size(amount=Money(-501, "EUR")), M, "a variance of -5.01 EUR (more than 5.00 EUR)"),
        ("cash.close", Size(amount=Money(600, "EUR")), M, "with a variance of 6.00 EUR"),
        ("cash.close", None, A, None),
    ],
)
def test_cashier_limits(permission: str, size: Size | None, expected: str, words: str | None) -> None:
    decision = decide("cashier", permission, size)
    assert decision.outcome == expected
    if words:
        assert words in decision.reason and "needs a manager's approval" in decision.reason
    # a manager is never limited
    assert decide("manager", permission, size).outcome == A


@pytest.mark.parametrize(("units", "expected"), [(20, A), (-20, A), (21, M), (-21, M), (0, A)])
def test_warehouse_stock_adjustment_limit(units: int, expected: str) -> None:
    decision = decide("warehouse", "stock.adjust", Size(units=units))
    assert decision.outcome == expected
    if expected == M:
        assert f"by {units:+d} units (more than 20)" in decision.reason


def test_limits_are_the_shops_settings() -> None:
    strict = Limits(discount_percent=Decimal(0), discount_amount=0, stock_adjust_units=0, cash_variance=0)
    assert decide("cashier", "discount.line", Size(percent=Decimal(1)), strict).outcome == M
    assert decide("warehouse", "stock.adjust", Size(units=1), strict).outcome == M
    assert decide("cashier", "cash.close", Size(amount=Money(0, "EUR")), strict).outcome == A
    assert decide("cashier", "cash.close", Size(amount=Money(1, "EUR")), strict).outcome == M


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"discount_percent": Decimal(101)}, "percentage from 0 to 100"),
        ({"discount_amount": -1}, "discount_amount must be a whole number"),
        ({"stock_adjust_units": 1.5}, "stock_adjust_units must be a whole number"),
    ],
)
def test_bad_limits_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(DomainError, match=message):
        Limits(**kwargs)


@pytest.mark.parametrize(
    ("role", "permission", "size", "message"),
    [
        ("boss", "sell", None, "'boss' is not a role"),
        ("cashier", "teleport", None, "'teleport' is not a known action"),
        ("cashier", "discount.line", None, "a discount's size"),
        ("warehouse", "stock.adjust", Size(units=None), "whole number of units"),
        ("warehouse", "stock.adjust", Size(units=True), "whole number of units"),
        ("cashier", "discount.line", Size(percent=Decimal("NaN")), "finite Decimal"),
    ],
)
def test_bad_questions_get_clear_answers(role: str, permission: str, size: Size | None, message: str) -> None:
    with pytest.raises(DomainError, match=message):
        decide(role, permission, size)


@pytest.mark.parametrize("permission", list(Permission))
def test_only_managers_approve(permission: Permission) -> None:
    assert can_approve(Role.MANAGER, permission)
    assert not can_approve("cashier", permission) and not can_approve("warehouse", permission)


def test_outcomes_compare_as_text() -> None:
    assert Outcome.NEEDS_APPROVAL == "needs_approval" and Permission.VOID_SALE == "void.sale"


@pytest.mark.parametrize("role", list(Role))
def test_only_what_a_role_may_never_do_is_refused_outright(role: Role) -> None:
    column = [Role.CASHIER, Role.WAREHOUSE, Role.MANAGER].index(role)
    for action, outcomes in EXPECTED.items():
        # A limited discount or a manager's approval leaves the key open: it asks when used.
        assert refused_outright(role, action) is (outcomes[column] == R), (role, action)
    with pytest.raises(DomainError):
        refused_outright("owner", "sell")
