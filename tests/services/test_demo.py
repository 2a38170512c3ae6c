"""The demo shop: seeded once in the data folder, served on a free port, this till registered."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pos.services.connection import ConnectionFailed, test_connection
from pos.services.demo import (
    DEMO_DEVICE,
    DemoShopError,
    free_port,
    shop_command,
    start_demo_shop,
    wait_until_answering,
)


def test_demo_shop_starts_seeded_and_is_reused_with_a_fresh_token(tmp_path, caplog):
    messages: list[str] = []
    shop = start_demo_shop(tmp_path, products=30, report=messages.append)
    # Waiting for the shop to come up is quiet: no "Retrying ... Connection refused" per attempt.
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    try:
        assert shop.url.startswith("http://127.0.0.1:")
        info = test_connection(shop.url, shop.token)
        assert info.device_name == DEMO_DEVICE
        assert shop.database_path == tmp_path / "demo-shop.sqlite3"
        assert any("30 products" in m for m in messages)
        first_token, first_device = shop.token, info.device_id
    finally:
        shop.stop()
    assert shop.process.poll() is not None  # stopped

    messages.clear()
    again = start_demo_shop(tmp_path, products=500, report=messages.append)
    try:
        assert not any("Creating" in m for m in messages)  # seeded once only
        assert any("applies only to a new one" in m for m in messages)
        info = test_connection(again.url, again.token)
        assert info.device_id == first_device  # rotated, not re-added: the replica stays valid
        assert again.token != first_token
        with pytest.raises(ConnectionFailed, match="refused"):
            test_connection(again.url, first_token)
        products = again.info.head
        assert products > 0
    finally:
        again.stop()


def test_data_folder_that_is_a_file_fails_clearly(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises((DemoShopError, OSError)):
        start_demo_shop(blocker, products=5)


def test_the_shop_command_runs_through_countertop():
    command = shop_command("serve")
    assert command[1:] == ["-m", "pos", "shop", "serve"]


REPO = Path(__file__).resolve().parents[2]


def answering(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux only")
def test_the_demo_shop_stops_when_the_app_is_killed_hard(tmp_path):
    app = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from pos.services.demo import start_demo_shop\n"
        "shop = start_demo_shop(Path(sys.argv[1]), products=10)\n"
        "print(shop.url, shop.process.pid, flush=True)\n"
        "time.sleep(300)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", app, str(tmp_path)], cwd=REPO, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    shop_pid = None
    try:
        url, pid = child.stdout.readline().split()
        shop_pid, port = int(pid), int(url.rsplit(":", 1)[1])
        assert answering(port)
        child.send_signal(signal.SIGKILL)  # no finally, no atexit: only the kernel can stop the shop
        child.wait(10)
        deadline = time.monotonic() + 10
        while answering(port) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not answering(port), "the demo shop outlived the app that started it"
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
        child.stderr.close()
        if shop_pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(shop_pid, signal.SIGKILL)


def python_child(code: str, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", code, *args], stdin=subprocess.DEVNULL)


def test_waiting_for_a_shop_that_never_listens_fails_once_and_clearly(tmp_path, caplog):
    process = python_child("import time; time.sleep(60)")
    url = f"http://127.0.0.1:{free_port()}"
    try:
        with pytest.raises(DemoShopError, match=f"did not start listening on {url} within 1 s"):
            wait_until_answering(url, "token", process, tmp_path / "log", timeout=1)
    finally:
        process.kill()
        process.wait()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_waiting_for_a_shop_that_drops_connections_logs_no_retry_warnings(tmp_path, caplog):
    port = free_port()
    drop_every_connection = (
        "import socket, sys\n"
        "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        "s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen()\n"
        "while True:\n"
        "    c, _ = s.accept(); c.close()\n"
    )
    process = python_child(drop_every_connection, str(port))
    try:
        with pytest.raises(DemoShopError) as failure:
            wait_until_answering(f"http://127.0.0.1:{port}", "token", process, tmp_path / "log", timeout=1.5)
    finally:
        process.kill()
        process.wait()
    assert f"the demo shop at http://127.0.0.1:{port} did not answer within 2 s" in str(failure.value)
    assert not [r.getMessage() for r in caplog.records if "Retrying" in r.getMessage()]
    # The filter is gone afterwards: other HTTP clients keep their warnings.
    assert not logging.getLogger("urllib3.connectionpool").filters


def test_the_demo_sign_in_hint_names_the_staff_the_demo_seed_makes() -> None:
    from pos.services.demo import DEMO_STAFF
    from sync.server.seed_words import STAFF

    assert set(DEMO_STAFF) == {(name, pin) for name, _role, pin in STAFF}
