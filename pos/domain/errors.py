"""Errors the domain raises: every one is a ValueError with a message a person can read."""

from __future__ import annotations


class DomainError(ValueError):
    """Bad input to a domain rule. `field` names the offending field when there is one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class CurrencyMismatchError(DomainError):
    """Two amounts in different currencies met in one calculation."""


def sentence(message: str) -> str:
    """A domain message on its own: domain messages start lower-case so that they read inside
    another sentence ("Receipt T1-7 was not printed: {message}"); alone they start with a capital."""
    return message[:1].upper() + message[1:]
