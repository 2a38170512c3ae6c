"""The `countertop` command line against the real shop: connect, sync --once, bad input, --version."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from pos import __version__
from pos.__main__ import main, shop_arguments
from pos.services.connection import KEYRING_SERVICE
from pos.settings import DATA_DIR_ENV, TOKEN_ENV, Settings, ShopConnection, resolve_data_dir, shop_slug
from tests.fixtures.shop_server import free_port

REPO = Path(__file__).resolve().parents[1]


def countertop(
    *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real command in a child process, on a machine without a keyring."""
    child_env = {k: v for k, v in os.environ.items() if k not in (TOKEN_ENV, DATA_DIR_ENV)}
    child_env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"  # never the tester's keyring
    child_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "pos", *args], input=stdin, capture_output=True, text=True,
        cwd=REPO, env=child_env, timeout=120,
    )


def connect_in_process(monkeypatch, data_dir: Path, url: str, token: str) -> int:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO(token + "\n"))
    return main(["--data-dir", str(data_dir), "connect", "--shop", url])


def table(output: str) -> dict[str, int]:
    return {m[1]: int(m[2].replace(",", "")) for m in re.finditer(r"^  (\w+)\s+([\d,]+)$", output, re.M)}


def test_version():
    result = countertop("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"countertop {__version__}"


def test_connect_with_stdin_token_then_sync_once_loads_the_shop(
    monkeypatch, capsys, tmp_path, live_shop, memory_keyring
):
    data = tmp_path / "till"
    assert connect_in_process(monkeypatch, data, live_shop.url + "/", live_shop.device_token) == 0
    out = capsys.readouterr().out
    assert "Connected to" in out and "system keyring" in out
    assert memory_keyring.secrets == {(KEYRING_SERVICE, live_shop.url): live_shop.device_token}
    saved = Settings.load(data).connection
    assert saved.url == live_shop.url and saved.device_id == live_shop.device_id
    assert live_shop.device_token not in (data / "settings.json").read_text()

    # The headless sync reads the token from the environment (no keyring in the child process).
    first = countertop("--data-dir", str(data), "sync", "--once", env={TOKEN_ENV: live_shop.device_token})
    assert first.returncode == 0, first.stderr
    loaded = table(first.stdout)
    products = live_shop.admin_get("products", params={"limit": 1000}).json()
    assert loaded["product"] == len(products) == 50
    assert loaded["location"] == len(live_shop.admin_get("locations").json())
    assert loaded["tax_rate"] == len(live_shop.admin_get("tax-rates").json())
    assert loaded["inventory_level"] > 0
    assert "caught up" in first.stdout
    assert (data / "shops" / shop_slug(live_shop.url) / "replica.sqlite3").exists()

    doc = products[0]
    renamed = live_shop.admin_patch(f"products/{doc['id']}", {"title": "Renamed by the web shop"})
    assert renamed.status_code == 200
    assert live_shop.admin_delete(f"products/{products[1]['id']}").status_code in (200, 204)
    second = countertop("sync", "--once", env={TOKEN_ENV: live_shop.device_token, DATA_DIR_ENV: str(data)})
    assert second.returncode == 0, second.stderr
    assert "Loaded from" not in second.stdout  # incremental, no second snapshot
    cursor = int(re.search(r"^Cursor: (\d+)", first.stdout, re.M)[1])
    logged = live_shop.sync_get("changes", params={"since": cursor, "limit": 1000}).json()["changes"]
    assert len(logged) >= 2  # the rename, the delete and the deleted product's stock levels
    assert re.search(rf"^Changes applied: {len(logged)} in 1 page$", second.stdout, re.M)
    assert f"Cursor: {logged[-1]['seq']} " in second.stdout
    assert re.search(r"^  product\s+1 upserted\s+1 deleted$", second.stdout, re.M)


def test_connect_with_environment_token_needs_no_keyring(tmp_path, live_shop):
    result = countertop("--data-dir", str(tmp_path), "connect", "--shop", live_shop.url,
                        env={TOKEN_ENV: live_shop.device_token})
    assert result.returncode == 0, result.stderr
    assert "not stored" in result.stdout
    assert f"taken from {TOKEN_ENV} (standard input was not read)" in result.stdout
    assert Settings.load(tmp_path).connection.device_id == live_shop.device_id


def test_without_a_keyring_connect_refuses_and_saves_nothing(tmp_path, live_shop):
    result = countertop("--data-dir", str(tmp_path), "connect", "--shop", live_shop.url,
                        stdin=live_shop.device_token)
    assert result.returncode == 2
    assert "no usable keyring" in result.stderr and TOKEN_ENV in result.stderr
    assert "accepted the token" in result.stderr  # the address and token were tested first
    assert "Nothing was saved" in result.stderr and "this session only" not in result.stderr
    assert not (tmp_path / "settings.json").exists()
    assert live_shop.device_token not in result.stdout + result.stderr


def test_without_a_keyring_a_wrong_token_is_still_told_as_a_wrong_token(tmp_path, live_shop):
    result = countertop("--data-dir", str(tmp_path), "connect", "--shop", live_shop.url, stdin="not-a-token")
    assert result.returncode == 2
    assert "refused this device token" in result.stderr and "keyring" not in result.stderr
    assert not (tmp_path / "settings.json").exists()


def test_wrong_token_exits_2_and_saves_nothing(monkeypatch, capsys, tmp_path, live_shop, memory_keyring):
    assert connect_in_process(monkeypatch, tmp_path, live_shop.url, "not-a-token") == 2
    err = capsys.readouterr().err
    assert "refused this device token" in err and "Nothing was saved" in err
    assert not (tmp_path / "settings.json").exists()
    assert memory_keyring.secrets == {}


@pytest.mark.parametrize("url", ["shop.example.com", "ftp://shop", "http://", "http://shop:0x1"])
def test_bad_url_exits_2_and_saves_nothing(monkeypatch, capsys, tmp_path, url, memory_keyring):
    assert connect_in_process(monkeypatch, tmp_path, url, "token") == 2
    err = capsys.readouterr().err
    assert err.startswith("countertop: ") and url in err
    assert not tmp_path.joinpath("settings.json").exists()


def test_unreachable_shop_exits_1_as_a_run_time_failure_without_urllib3_noise(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    result = countertop("--data-dir", str(tmp_path), "connect", "--shop", url, env={TOKEN_ENV: "token"})
    assert result.returncode == 1, result.stderr  # like `sync --once`: the same command may work later
    assert result.stderr == (
        f"countertop: Shop unreachable: connection refused ({url}). Check the address, and that the "
        "shop is running. Nothing was saved.\n"
    )
    assert not tmp_path.joinpath("settings.json").exists()
    env = {TOKEN_ENV: "token"}
    verbose = countertop("--data-dir", str(tmp_path), "connect", "--shop", url, "-v", env=env)
    assert verbose.returncode == 1 and "Retrying" in verbose.stderr  # still there for whoever asks


def test_empty_token_exits_2(monkeypatch, capsys, tmp_path, memory_keyring):
    assert connect_in_process(monkeypatch, tmp_path, "http://127.0.0.1:1", "") == 2
    assert "No device token" in capsys.readouterr().err


def test_sync_without_a_connection_exits_2(tmp_path):
    result = countertop("--data-dir", str(tmp_path), "sync", "--once")
    assert result.returncode == 2
    assert "not connected to a shop" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_sync_without_a_token_exits_2(tmp_path, live_shop):
    assert countertop("--data-dir", str(tmp_path), "connect", "--shop", live_shop.url,
                      env={TOKEN_ENV: live_shop.device_token}).returncode == 0
    result = countertop("--data-dir", str(tmp_path), "sync", "--once")
    assert result.returncode == 2
    assert "No device token" in result.stderr and TOKEN_ENV in result.stderr


def test_sync_with_a_revoked_token_exits_2_with_the_reason(tmp_path, live_shop):
    env = {TOKEN_ENV: live_shop.device_token}
    connected = countertop("--data-dir", str(tmp_path), "connect", "--shop", live_shop.url, env=env)
    assert connected.returncode == 0
    assert live_shop.cli("device", "revoke", live_shop.device_name).returncode == 0
    result = countertop("--data-dir", str(tmp_path), "sync", "--once", env=env)
    assert result.returncode == 2
    assert "refused" in result.stderr


def test_sync_when_the_shop_is_down_exits_1(tmp_path, live_shop):
    env = {TOKEN_ENV: live_shop.device_token}
    connected = countertop("--data-dir", str(tmp_path), "connect", "--shop", live_shop.url, env=env)
    assert connected.returncode == 0
    live_shop.stop()
    result = countertop("--data-dir", str(tmp_path), "sync", "--once", env=env)
    assert result.returncode == 1
    assert "unreachable" in result.stderr and "keeps what it had" in result.stderr
    assert result.stderr.count("unreachable") == 1 and "WARNING" not in result.stderr  # said once


def test_corrupt_settings_file_is_reported(tmp_path):
    (tmp_path / "settings.json").write_text("{not json")
    result = countertop("--data-dir", str(tmp_path), "sync", "--once")
    assert result.returncode == 2
    assert "Cannot read" in result.stderr and "settings.json" in result.stderr
    assert (tmp_path / "settings.json").read_text() == "{not json"  # left for a person to look at


@pytest.mark.parametrize("products", ["0", "-5", "many", "2000000"])
def test_demo_refuses_a_bad_product_count(tmp_path, products):
    result = countertop("--data-dir", str(tmp_path), "demo", "--products", products)
    assert result.returncode == 2
    assert "--products" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_shop_passes_through_to_the_reference_shop_cli(tmp_path):
    database = f"sqlite:///{tmp_path / 'shop.sqlite3'}"
    added = countertop("shop", "device", "add", "till-1", "--database-url", database)
    assert added.returncode == 0, added.stderr
    listed = countertop("--data-dir", str(tmp_path), "shop", "device", "list", "--database-url", database)
    assert "till-1" in listed.stdout
    bad = countertop("shop", "serve", "--port", "0", "--database-url", database)
    assert bad.returncode == 2 and "--port" in bad.stderr


def test_shop_arguments_detection():
    assert shop_arguments(["shop", "seed", "--products", "5"]) == ["seed", "--products", "5"]
    assert shop_arguments(["--data-dir", "shop", "sync"]) is None
    assert shop_arguments(["--data-dir", "/d", "shop", "--help"]) == ["--help"]
    assert shop_arguments(["sync", "--once"]) is None


# --- settings ------------------------------------------------------------------------------------


def test_data_dir_flag_beats_environment_beats_platform_folder(tmp_path):
    assert resolve_data_dir(tmp_path / "flag", {DATA_DIR_ENV: str(tmp_path / "env")}) == tmp_path / "flag"
    assert resolve_data_dir(None, {DATA_DIR_ENV: str(tmp_path / "env")}) == tmp_path / "env"
    assert resolve_data_dir(None, {}).name == "Countertop"


def test_replica_lives_in_a_folder_per_shop_url(tmp_path):
    assert shop_slug("HTTPS://Shop.Example.com:8443/tills/") == "https-shop-example-com-8443-tills"
    assert shop_slug("http://127.0.0.1:8000") != shop_slug("http://127.0.0.1:8001")


def test_settings_round_trip_and_keep_unknown_keys(tmp_path):
    (tmp_path / "settings.json").write_text(json.dumps({
        "version": 1, "future_option": [1, 2],
        "connection": {"url": "http://127.0.0.1:8000/", "device_id": "d1", "device_name": "till",
                       "shop_name": "Shop", "currency": "EUR"},
    }))
    settings = Settings.load(tmp_path)
    assert settings.connection.url == "http://127.0.0.1:8000"
    assert settings.replica_path() == tmp_path / "shops" / "http-127-0-0-1-8000" / "replica.sqlite3"
    settings.save()
    again = json.loads((tmp_path / "settings.json").read_text())
    assert again["future_option"] == [1, 2]
    assert Settings.load(tmp_path).connection == settings.connection


def test_demo_offscreen_syncs_saves_a_screenshot_and_stops_its_shop(tmp_path):
    import socket

    env = {"QT_QPA_PLATFORM": "offscreen"}
    first = countertop("--data-dir", str(tmp_path), "demo", "--products", "40", env=env)
    assert first.returncode == 0, first.stderr
    assert "Creating the demo shop with 40 products" in first.stdout
    assert f"saved a screenshot of the window to {tmp_path / 'demo-screenshot.png'}" in first.stdout
    assert (tmp_path / "demo-screenshot.png").stat().st_size > 10_000
    connection = Settings.load(tmp_path).connection
    assert connection.demo and connection.device_name == "demo-till"
    port = int(re.search(r"running at http://127\.0\.0\.1:(\d+)", first.stdout)[1])
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass  # the demo shop stopped with the app
    assert "propagateSizeHints" not in first.stderr

    again = countertop("--data-dir", str(tmp_path), "demo", env=env)
    assert again.returncode == 0, again.stderr
    assert "Creating" not in again.stdout  # seeded once


def test_an_unreadable_replica_stops_the_app_with_a_clear_message_and_exit_1(tmp_path):
    settings = Settings(tmp_path)
    settings.connection = ShopConnection("http://127.0.0.1:9", "device-1", "till", "Shop", "EUR")
    settings.save()
    replica = settings.replica_path(settings.connection)
    replica.parent.mkdir(parents=True, exist_ok=True)
    replica.write_bytes(b"\x00garbage" * 512)
    result = countertop("--data-dir", str(tmp_path), env={"QT_QPA_PLATFORM": "offscreen", TOKEN_ENV: "t"})
    assert result.returncode == 1
    expected = f"countertop: The replica {replica} cannot be opened (file is not a database)"
    assert result.stderr.startswith(expected)
    assert "Traceback" not in result.stderr
    assert replica.read_bytes() == b"\x00garbage" * 512


def test_the_window_without_a_display_is_a_clear_refusal_not_a_qt_abort(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    result = subprocess.run([sys.executable, "-m", "pos", "--data-dir", str(tmp_path)], input="",
                            capture_output=True, text=True, cwd=REPO, env=env, timeout=60)  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("countertop: no display found") and "countertop demo" in result.stderr


def test_a_data_dir_that_is_a_file_is_named_as_such(tmp_path):
    not_a_folder = tmp_path / "data"
    not_a_folder.write_text("a file")
    for command in (["sync", "--once"], ["connect", "--shop", "http://127.0.0.1:9"]):
        result = countertop("--data-dir", str(not_a_folder), *command, env={TOKEN_ENV: "token"})
        assert result.returncode == 2, result.stderr
        assert "is a file, not a folder" in result.stderr
    assert not_a_folder.read_text() == "a file"


def test_a_reader_that_leaves_early_is_no_error(tmp_path, live_shop):
    env = {TOKEN_ENV: live_shop.device_token}
    connected = countertop("--data-dir", str(tmp_path), "connect", "--shop", live_shop.url, env=env)
    assert connected.returncode == 0, connected.stderr
    child_env = {k: v for k, v in os.environ.items() if k != DATA_DIR_ENV} | env
    child_env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    command = [sys.executable, "-m", "pos", "--data-dir", str(tmp_path), "sync", "--once"]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO, env=child_env)
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()  # `| head -0`: nobody reads what it prints
    stderr = child.stderr.read().decode()
    assert child.wait(timeout=60) == 1
    assert stderr == ""  # neither "Check the disk" nor a traceback


def test_sync_until_interrupted_says_what_each_page_applied(tmp_path, live_shop):
    env = {TOKEN_ENV: live_shop.device_token}
    assert countertop("--data-dir", str(tmp_path), "sync", "--once", "--interval", "5").returncode == 2
    connected = countertop("--data-dir", str(tmp_path), "connect", "--shop", live_shop.url, env=env)
    assert connected.returncode == 0, connected.stderr
    assert countertop("--data-dir", str(tmp_path), "sync", "--once", env=env).returncode == 0
    child_env = {k: v for k, v in os.environ.items() if k != DATA_DIR_ENV} | env
    child_env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    command = [sys.executable, "-m", "pos", "--data-dir", str(tmp_path), "sync", "--interval", "0.2"]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=REPO, env=child_env)
    watchdog = threading.Timer(60, child.kill)  # a line that never comes ends the test, not CI
    watchdog.start()
    try:
        assert child.stdout is not None
        assert child.stdout.readline().startswith("Shop: ")
        assert child.stdout.readline().startswith("Syncing until interrupted")
        created = live_shop.admin_post("products", json={
            "title": "Night arrival", "category": "Grocery",
            "variants": [{"sku": "NIGHT-1", "title": "", "price": 300}],
        })  # fmt: skip
        assert created.status_code == 201, created.text
        line = child.stdout.readline()
        assert re.fullmatch(r"\d\d:\d\d:\d\d applied: .*product 1 upserted.* \(cursor \d+\)\n", line), line
    finally:
        watchdog.cancel()
        child.terminate()
        child.wait(timeout=30)


def test_the_same_device_at_another_address_keeps_its_replica_and_unsent_sales(tmp_path, live_shop):
    env = {TOKEN_ENV: live_shop.device_token}
    first = countertop("--data-dir", str(tmp_path), "connect", "--shop", live_shop.url, env=env)
    assert first.returncode == 0, first.stderr
    assert countertop("--data-dir", str(tmp_path), "sync", "--once", env=env).returncode == 0
    replica = Settings.load(tmp_path).replica_path()
    moved = live_shop.url.replace("127.0.0.1", "localhost")  # the shop at another address
    result = countertop("--data-dir", str(tmp_path), "connect", "--shop", moved, env=env)
    assert result.returncode == 0, result.stderr
    assert "keeps its replica and the sales it has not sent yet" in result.stdout
    settings = Settings.load(tmp_path)
    assert settings.connection.url == moved and settings.replica_path() == replica
    again = countertop("--data-dir", str(tmp_path), "sync", "--once", env=env)
    assert again.returncode == 0, again.stderr
    assert "snapshot" not in again.stdout  # caught up from its cursor: no second download
    assert [p.name for p in (tmp_path / "shops").iterdir()] == [replica.parent.name]


def test_a_settings_file_cannot_point_the_replica_outside_its_folder(tmp_path):
    (tmp_path / "settings.json").write_text(json.dumps({"version": 1, "connection": {
        "url": "http://127.0.0.1:9", "device_id": "d", "device_name": "n", "shop_name": "s",
        "folder": "../../elsewhere"}}))  # fmt: skip
    result = countertop("--data-dir", str(tmp_path), "sync", "--once", env={TOKEN_ENV: "token"})
    assert result.returncode == 2 and "is not a shop folder name" in result.stderr
