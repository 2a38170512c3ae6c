"""Connecting a till: testing URL and token against the real shop, and where the token is kept."""

from __future__ import annotations

import http.server
import threading

import keyring
import pytest
from keyring.backends import chainer

from pos.services.connection import (
    KEYRING_SERVICE,
    ConnectionFailed,
    KeyringUnavailable,
    TokenStore,
    keyring_problem,
    test_connection,
)
from pos.settings import TOKEN_ENV
from tests.fixtures.shop_server import free_port


@pytest.fixture
def not_a_shop():
    """A real HTTP server on 127.0.0.1 that is not a Countertop shop (404 for everything)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(404)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<h1>Not found</h1>")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_right_token_names_the_shop_and_the_device(live_shop):
    info = test_connection(live_shop.url + "/", live_shop.device_token)
    assert info.device_id == live_shop.device_id
    assert info.shop_name
    assert len(info.currency) == 3


def test_wrong_token_is_refused_clearly(live_shop):
    with pytest.raises(ConnectionFailed, match="refused this device token") as caught:
        test_connection(live_shop.url, "not-the-token")
    message = str(caught.value)
    assert "not-the-token" not in message  # a token never ends up in a message
    assert message.count("refused") == 1 and message.count(live_shop.url) == 1  # said once
    assert "countertop-shop device rotate NAME" in message  # the same till: a new device would not be


def test_revoked_token_is_refused(live_shop):
    assert live_shop.cli("device", "revoke", live_shop.device_name).returncode == 0
    with pytest.raises(ConnectionFailed, match="wrong or revoked"):
        test_connection(live_shop.url, live_shop.device_token)


def test_nothing_listening_is_unreachable():
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ConnectionFailed, match=r"^Shop unreachable: connection refused \(http://") as caught:
        test_connection(url, "token")
    message = str(caught.value)
    assert message.count(url) == 1 and message.count("unreachable") == 1
    assert message.endswith("Check the address, and that the shop is running.")


def test_an_api_address_is_named_as_such_and_the_shop_address_offered(live_shop):
    with pytest.raises(ConnectionFailed) as caught:
        test_connection(live_shop.url + "/api/v1", live_shop.device_token)
    assert str(caught.value) == (
        f"{live_shop.url}/api/v1 does not look like a Countertop shop (HTTP 404 for /api/v1/sync/shop). "
        f"Enter the shop's own address, without /api/v1: {live_shop.url}"
    )


def test_https_to_a_plain_http_shop_says_so_once(live_shop):
    https = live_shop.url.replace("http://", "https://")
    with pytest.raises(ConnectionFailed) as caught:
        test_connection(https, live_shop.device_token)
    assert str(caught.value) == (
        f"Shop unreachable: no https answer (is the address http://?) ({https}). "
        "Check the address, and that the shop is running."
    )


def test_a_web_server_that_is_not_a_shop_is_named_as_such(not_a_shop):
    with pytest.raises(ConnectionFailed, match="does not look like a Countertop shop"):
        test_connection(not_a_shop, "token")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "empty"),
        ("shop.example.com", "must start with http"),
        ("ftp://shop.example.com", "must start with http"),
        ("http://", "no host name"),
        ("http://shop:99999", "invalid port"),
        ("http://shop/?a=1", "no query"),
    ],
)
def test_malformed_urls_are_refused_before_any_request(url, message):
    with pytest.raises(ConnectionFailed, match=message):
        test_connection(url, "token")


def test_empty_token_is_refused():
    with pytest.raises(ConnectionFailed, match="token is empty"):
        test_connection("http://127.0.0.1:1", "  ")


# --- the keyring ---------------------------------------------------------------------------------


def test_fail_keyring_is_reported(no_keyring):
    assert keyring_problem() == "no keyring backend is installed or running"


def test_chainer_without_backends_is_reported(monkeypatch):
    previous = keyring.get_keyring()
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [])
    keyring.set_keyring(chainer.ChainerBackend())
    try:
        assert keyring_problem() is not None
    finally:
        keyring.set_keyring(previous)


def test_token_goes_to_the_keyring(memory_keyring):
    store = TokenStore(environ={})
    assert keyring_problem() is None
    store.save("https://shop.example.com", "s3cret")
    assert memory_keyring.secrets == {(KEYRING_SERVICE, "https://shop.example.com"): "s3cret"}
    assert TokenStore(environ={}).get("https://shop.example.com") == "s3cret"
    store.forget("https://shop.example.com")
    assert memory_keyring.secrets == {}


def test_without_a_keyring_saving_fails_plainly_and_writes_nothing(no_keyring, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = TokenStore(environ={})
    with pytest.raises(KeyringUnavailable) as caught:
        store.save("https://shop.example.com", "s3cret")
    message = str(caught.value)
    assert "no usable keyring" in message
    assert TOKEN_ENV in message and "this session only" in message
    assert store.get("https://shop.example.com") is None
    assert list(tmp_path.iterdir()) == []  # no clear-text fallback file


def test_session_token_lives_only_in_the_store(no_keyring):
    store = TokenStore(environ={})
    store.keep_for_session("https://shop.example.com", "s3cret")
    assert store.get("https://shop.example.com") == "s3cret"
    assert TokenStore(environ={}).get("https://shop.example.com") is None


def test_environment_token_wins_over_the_keyring(memory_keyring):
    TokenStore(environ={}).save("https://shop.example.com", "from-keyring")
    store = TokenStore(environ={TOKEN_ENV: " from-env \n"})
    assert store.get("https://shop.example.com") == "from-env"
    assert TokenStore(environ={TOKEN_ENV: ""}).get("https://shop.example.com") == "from-keyring"
