"""Root fixtures. Qt must be told it has no display before it loads (PLATFORM.md)."""

from __future__ import annotations

import os
import threading

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

pytest_plugins = ["tests.fixtures.shop_server"]


class MemoryKeyring(KeyringBackend):
    """A real keyring backend that keeps secrets in memory: the OS keyring is hardware-like here."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring() -> None:
    """A machine without any usable keyring (keyring's own "fail" backend)."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


class GatedKeyring(MemoryKeyring):
    """An OS keyring that is slow to answer, as one waiting on an unlock prompt over D-Bus is.

    Every call waits until `gate` is set (at most `timeout` seconds) and records which thread asked.
    """

    def __init__(self, timeout: float = 5.0) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.timeout = timeout
        self.calls: list[tuple[str, bool]] = []  # (operation, asked on the main thread)

    def _wait(self, operation: str) -> None:
        self.calls.append((operation, threading.current_thread() is threading.main_thread()))
        self.gate.wait(self.timeout)

    def get_password(self, service: str, username: str) -> str | None:
        self._wait("get")
        return super().get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self._wait("set")
        super().set_password(service, username, password)


@pytest.fixture
def gated_keyring() -> GatedKeyring:
    previous = keyring.get_keyring()
    backend = GatedKeyring()
    keyring.set_keyring(backend)
    yield backend
    backend.gate.set()
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def _printers_heard_afresh() -> None:
    """Each test's fake printers start as never asked: what the backend remembers of printers that
    did not answer status queries is per app run, and ports are reused between tests."""
    import sys

    backends = sys.modules.get("pos.printing.backends")
    if backends is not None:
        backends.forget_printers()
