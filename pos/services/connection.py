"""Connecting a till to a shop: test the URL and token, keep the token in the OS keyring.

The token never touches a file written by Countertop. Where the machine has no usable keyring we
say so plainly (`KeyringUnavailable`); the caller offers `COUNTERTOP_DEVICE_TOKEN` or keeping the
token for this session only.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import keyring
import keyring.errors
from keyring.backends import chainer, fail

from pos.settings import TOKEN_ENV, SettingsError, normalise_shop_url
from sync.connectors.countertop import CountertopConnector
from sync.ports import AuthError, Connector, ProtocolError, SyncError, TransientError
from sync.protocol import ShopInfo

log = logging.getLogger(__name__)

KEYRING_SERVICE = "countertop"

NO_KEYRING_MESSAGE = (
    "This computer has no usable keyring (no password store such as GNOME Keyring, KWallet, macOS "
    "Keychain or Windows Credential Manager is available), so Countertop cannot store the device "
    "token safely. Countertop never writes the token to a file. Either set the environment variable "
    f"{TOKEN_ENV} to the token before starting Countertop, or keep the token for this session only "
    "(you will be asked for it again next time)."
)


class ConnectionFailed(Exception):
    """Testing a shop connection failed; `str(exc)` is the message for a person. `transient`: the
    shop or the network could not be reached, so the same input may work later."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


class KeyringUnavailable(Exception):
    """No usable OS keyring; the message explains the choices."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(NO_KEYRING_MESSAGE + (f" ({detail})" if detail else ""))


ConnectorFactory = Callable[[str, str], Connector]


def test_connection(url: str, token: str, connector_factory: ConnectorFactory | None = None) -> ShopInfo:
    """Ask the shop who it is and who we are. Raises ConnectionFailed with a clear message."""
    try:
        shop_url = normalise_shop_url(url)
    except SettingsError as exc:
        raise ConnectionFailed(str(exc)) from None
    token = (token or "").strip()
    if not token:
        raise ConnectionFailed("The device token is empty. A manager prints one with "
                               "`countertop-shop device add NAME`.")
    factory = connector_factory or CountertopConnector
    try:
        connector = factory(shop_url, token)
    except SyncError as exc:
        raise ConnectionFailed(f"Cannot use {shop_url}: {exc}") from None
    # The connector's messages already name the shop and what went wrong; each is said once,
    # with what to do about it.
    try:
        return connector.shop_info()
    except AuthError as exc:
        log.info("the shop refused the device token: %s", exc)
        raise ConnectionFailed(
            f"The shop at {shop_url} refused this device token (wrong or revoked). Ask a manager for "
            "a new token for this till's device: `countertop-shop device rotate NAME` (a new device, "
            "`device add NAME`, would be another till, and the shop would not take this till's "
            "unsent records)."
        ) from None
    except TransientError as exc:
        raise ConnectionFailed(
            f"{_sentence(exc)}. Check the address, and that the shop is running.", transient=True
        ) from None
    except ProtocolError as exc:
        raise ConnectionFailed(f"{_sentence(exc)}.{_address_hint(shop_url)}") from None
    except SyncError as exc:
        raise ConnectionFailed(f"Connecting to {shop_url} failed: {exc}") from None
    finally:
        connector.close()


def _sentence(exc: BaseException) -> str:
    text = str(exc).rstrip(".")
    return text if text.startswith(("http://", "https://")) else text[:1].upper() + text[1:]


def _address_hint(shop_url: str) -> str:
    """A shop answers at its root; a path such as /api/v1 copied from an API address is the usual slip."""
    path = urlsplit(shop_url).path
    if not path.strip("/") or not shop_url.endswith(path):
        return ""
    return f" Enter the shop's own address, without {path}: {shop_url[: -len(path)]}"


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test despite its name


def keyring_problem() -> str | None:
    """Why the OS keyring cannot hold secrets here, or None when it can."""
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        return "no keyring backend is installed or running"
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return "no keyring backend is installed or running"
    return None


@dataclass
class TokenStore:
    """Where the device token comes from: the environment, the session, or the OS keyring.

    `COUNTERTOP_DEVICE_TOKEN` wins so that scripts work on machines without a keyring. Session
    tokens live only in this object (the demo shop's token, or a person's choice without a keyring).
    """

    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    _session: dict[str, str] = field(default_factory=dict)

    def env_token(self) -> str | None:
        value = self.environ.get(TOKEN_ENV, "").strip()
        return value or None

    def get(self, shop_url: str) -> str | None:
        env = self.env_token()
        if env:
            return env
        if shop_url in self._session:
            return self._session[shop_url]
        if keyring_problem():
            return None
        try:
            return keyring.get_password(KEYRING_SERVICE, shop_url)
        except keyring.errors.KeyringError as exc:
            log.warning("reading the keyring failed: %s", exc)
            return None

    def save(self, shop_url: str, token: str) -> None:
        """Store in the OS keyring, or raise KeyringUnavailable. Never a clear-text fallback."""
        problem = keyring_problem()
        if problem:
            raise KeyringUnavailable(problem)
        try:
            keyring.set_password(KEYRING_SERVICE, shop_url, token)
        except keyring.errors.NoKeyringError as exc:
            raise KeyringUnavailable(str(exc)) from None
        except keyring.errors.KeyringError as exc:
            raise KeyringUnavailable(f"the keyring refused the token: {exc}") from None
        self._session.pop(shop_url, None)

    def keep_for_session(self, shop_url: str, token: str) -> None:
        self._session[shop_url] = token

    def forget(self, shop_url: str) -> None:
        self._session.pop(shop_url, None)
        if keyring_problem():
            return
        try:
            keyring.delete_password(KEYRING_SERVICE, shop_url)
        except keyring.errors.KeyringError:
            pass  # nothing stored: nothing to forget
