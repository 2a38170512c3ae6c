"""`countertop-shop staff add|list|revoke|pin`: PINs come in on standard input and are kept only as
salted scrypt hashes; every change reaches the tills as a `staff` change, a revoked member as inactive."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from sync.pin_hash import verify_pin
from tests.fixtures.shop_server import REPO_ROOT, LiveShop
from tests.sync.server.helpers import all_changes, head


def staff_cli(database_url: str, *args: str, pin: str | None = None) -> subprocess.CompletedProcess[str]:
    """`countertop-shop staff ARGS`, with `pin` (if any) piped in as standard input."""
    env = {k: v for k, v in os.environ.items() if k != "COUNTERTOP_SHOP_DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "sync.server", "staff", *args, "--database-url", database_url],
        cwd=REPO_ROOT,
        env=env,
        input=pin if pin is not None else "",
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'shop.sqlite3'}"


def _staff(url: str, name: str) -> list[tuple]:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        return conn.execute("SELECT id, role, active, pin_hash FROM staff WHERE name = ?", (name,)).fetchall()


def test_add_keeps_only_a_salted_hash_of_the_pin_read_from_stdin(db_url: str) -> None:
    added = staff_cli(db_url, "add", "Pat Till", "--role", "cashier", pin="4829\n")
    assert added.returncode == 0, added.stderr
    assert "added cashier 'Pat Till'" in added.stdout and "4829" not in added.stdout + added.stderr
    [(staff_id, role, active, pin_hash)] = _staff(db_url, "Pat Till")
    assert (role, active) == ("cashier", 1) and staff_id in added.stdout
    assert pin_hash.startswith("scrypt$") and "4829" not in pin_hash.split("$")
    assert verify_pin("4829", pin_hash) and not verify_pin("4828", pin_hash)
    # the same PIN for someone else hashes differently (salted)
    assert staff_cli(db_url, "add", "Sam Till", "--role", "manager", pin=" 4829 \r\n").returncode == 0
    [(_, _, _, other_hash)] = _staff(db_url, "Sam Till")
    assert other_hash != pin_hash and verify_pin("4829", other_hash)
    listed = staff_cli(db_url, "list")
    assert listed.returncode == 0
    assert f"{staff_id}  Pat Till  cashier  active  PIN set" in listed.stdout.splitlines()
    assert "scrypt" not in listed.stdout


def test_revoke_and_a_new_pin(db_url: str) -> None:
    assert staff_cli(db_url, "add", "Jo", "--role", "warehouse", pin="5830").returncode == 0
    [(staff_id, _, _, old_hash)] = _staff(db_url, "Jo")
    changed = staff_cli(db_url, "pin", "jo", pin="7301")  # names match case-insensitively
    assert changed.returncode == 0, changed.stderr
    [(_, _, _, new_hash)] = _staff(db_url, "Jo")
    assert verify_pin("7301", new_hash) and not verify_pin("5830", new_hash) and new_hash != old_hash
    revoked = staff_cli(db_url, "revoke", staff_id)  # or by id
    assert revoked.returncode == 0 and "revoked 'Jo'" in revoked.stdout
    assert _staff(db_url, "Jo")[0][2] == 0
    assert "Jo  warehouse  revoked" in staff_cli(db_url, "list").stdout


@pytest.mark.parametrize(
    ("pin", "words"),
    [
        ("12a4\n", "a PIN is digits only"),
        ("123\n", "a PIN has 4 to 8 digits, not 3"),
        ("123456789\n", "a PIN has 4 to 8 digits, not 9"),
        ("7777\n", "one digit repeated"),
        ("3456\n", "consecutive digits"),
        ("9876\n", "consecutive digits"),
        ("1212\n", "repeats a pair of digits"),
        ("٤٨٢٩\n", "a PIN is digits only"),  # Arabic-Indic digits: isdigit() but not 0-9
        ("", "no PIN on standard input"),
        ("\n", "no PIN on standard input"),
    ],
)
def test_a_bad_pin_is_a_clear_error_that_adds_nobody(db_url: str, pin: str, words: str) -> None:
    result = staff_cli(db_url, "add", "Kim", "--role", "cashier", pin=pin)
    assert result.returncode == 2, result.stdout
    assert words in result.stderr and "Traceback" not in result.stderr
    if pin.strip():
        assert pin.strip() not in result.stderr  # the refusal never repeats the PIN
    assert _staff(db_url, "Kim") == []


def test_a_bad_new_pin_keeps_the_old_one(db_url: str) -> None:
    assert staff_cli(db_url, "add", "Lee", "--role", "cashier", pin="4829").returncode == 0
    [(_, _, _, before)] = _staff(db_url, "Lee")
    result = staff_cli(db_url, "pin", "Lee", pin="0000")
    assert result.returncode == 2 and "one digit repeated" in result.stderr
    assert _staff(db_url, "Lee")[0][3] == before


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("add", "Kim", "--role", "boss"), "invalid choice: 'boss'"),
        (("add", "Kim"), "the following arguments are required: --role"),
        (("add", "   ", "--role", "cashier"), "a staff member needs a name"),
        (("add", "K" * 201, "--role", "cashier"), "a name has at most 200 characters"),
        (("revoke", "nobody"), "no staff member named 'nobody'"),
        (("pin", "nobody"), "no staff member named 'nobody'"),
    ],
)
def test_bad_staff_commands_are_clear_errors(db_url: str, args: tuple[str, ...], words: str) -> None:
    result = staff_cli(db_url, *args, pin="4829\n")
    assert result.returncode == 2, result.stdout
    assert words in result.stderr and "Traceback" not in result.stderr


def test_a_name_twice_and_revoking_twice_are_refused(db_url: str) -> None:
    assert staff_cli(db_url, "add", "Ash", "--role", "cashier", pin="4829").returncode == 0
    again = staff_cli(db_url, "add", "  ash ", "--role", "manager", pin="4829")
    assert again.returncode == 2 and "a staff member named 'Ash' already exists" in again.stderr
    assert staff_cli(db_url, "revoke", "Ash").returncode == 0
    twice = staff_cli(db_url, "revoke", "Ash")
    assert twice.returncode == 2 and "'Ash' is already revoked" in twice.stderr
    readd = staff_cli(db_url, "add", "Ash", "--role", "cashier", pin="4829")
    assert readd.returncode == 2 and "exists and is revoked" in readd.stderr
    assert len(_staff(db_url, "Ash")) == 1


def test_tills_pull_the_added_member_and_then_the_revocation(shop: LiveShop) -> None:
    """On both database backends: what a till's next pull brings after each command."""
    since = head(shop)
    name = f"Robin {since}"
    assert staff_cli(shop.database_url, "add", name, "--role", "cashier", pin="6402").returncode == 0
    [added] = all_changes(shop, since)
    assert (added["entity"], added["op"]) == ("staff", "upsert")
    assert added["data"]["name"] == name and added["data"]["active"] is True
    assert verify_pin("6402", added["data"]["pin_hash"])

    after_add = head(shop)
    revoked = staff_cli(shop.database_url, "revoke", name)
    assert revoked.returncode == 0, revoked.stderr
    [change] = all_changes(shop, after_add)
    assert change["id"] == added["id"] and change["data"]["active"] is False
    assert change["data"]["version"] > added["data"]["version"]
    # the admin API reads the same document the tills received
    assert shop.admin_get(f"staff/{added['id']}").json() == change["data"]


def _on_a_terminal(database_url: str, args: list[str], answers: list[str]) -> tuple[int, str]:
    """Run `countertop-shop staff ARGS` on a pseudo-terminal (its controlling terminal, as a person's
    shell would give it) and type each answer after the next prompt; (exit status, all output)."""
    import pty
    import select
    import time

    argv = [sys.executable, "-m", "sync.server", "staff", *args, "--database-url", database_url]
    env = {k: v for k, v in os.environ.items() if k != "COUNTERTOP_SHOP_DATABASE_URL"}
    pid, fd = pty.fork()
    if pid == 0:  # the child: becomes the command
        os.chdir(REPO_ROOT)
        os.execve(sys.executable, argv, env)
    output, pending, answered_at = b"", list(answers), 0
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child exited and closed the terminal
                break
            if not chunk:
                break
            output += chunk
            # Answer a prompt only once it is new: typed early, the terminal would echo it and
            # getpass's flush would throw it away.
            if pending and output[answered_at:].rstrip().endswith(b":"):
                os.write(fd, pending.pop(0).encode() + b"\n")
                answered_at = len(output)
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


def test_on_a_terminal_the_pin_is_asked_twice_without_echo(db_url: str) -> None:
    code, shown = _on_a_terminal(db_url, ["add", "Tess", "--role", "cashier"], ["4829", "4829"])
    assert code == 0, shown
    assert "PIN (4-8 digits):" in shown and "Same PIN again:" in shown and "4829" not in shown
    assert verify_pin("4829", _staff(db_url, "Tess")[0][3])

    code, shown = _on_a_terminal(db_url, ["pin", "Tess"], ["5830", "5831"])
    assert code == 2 and "the two PINs differ; nothing was changed" in shown
    assert verify_pin("4829", _staff(db_url, "Tess")[0][3])


def test_the_command_line_the_admin_api_and_the_wire_know_the_same_roles() -> None:
    from typing import get_args, get_type_hints

    from sync.protocol import StaffDoc
    from sync.server import cli_staff, staff
    from sync.server.schemas import Role

    wire = get_args(get_type_hints(StaffDoc)["role"])
    assert cli_staff.ROLES == staff.ROLES == get_args(Role) == wire
