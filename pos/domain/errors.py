"""Errors the domain raises: every one is a ValueError with a message a person can read."""

from __future__ import annotations


class DomainError(ValueError):
    """Bad input to a domain rule. `field` names the offending field when there is one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class CurrencyMismatchError(DomainError):
    """Two amounts in different currencies met in one calculation."""
