"""`countertop sell` against a replica synced from the real reference shop over HTTP."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest

from pos.__main__ import main
from pos.domain.cash import denominations
from pos.settings import TOKEN_ENV, Settings
from pos.shift_command import MANAGER_PIN_ENV, PIN_ENV
from pos.store.till_file import connect_both
from sync.protocol import MUTATION_PAYLOADS
from tests.e2e_support import SELLER, SELLER_PIN
from tests.fixtures.shop_server import LiveShop
from tests.test_cli import connect_in_process, countertop


def _sync(data: Path, shop: LiveShop) -> Path:
    result = countertop("--data-dir", str(data), "sync", "--once", env={TOKEN_ENV: shop.device_token})
    assert result.returncode == 0, result.stderr
    return Settings.load(data).replica_path()


def _table(replica: Path, sql: str) -> list[tuple]:
    con = connect_both(replica)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _written(replica: Path) -> dict[str, object]:
    """What a sale writes (the sign-in's own audit entry aside: someone did sign in)."""
    found: dict[str, object] = {
        table: _table(replica, f"SELECT * FROM {table}")
        for table in ("sale", "sale_line", "sale_payment", "pending_stock", "till", "cash_event")
    }
    found["outbox"] = _table(replica, "SELECT * FROM outbox WHERE type != 'audit.entry'")
    return found


@pytest.fixture
def synced(monkeypatch, tmp_path: Path, live_shop: LiveShop, memory_keyring) -> tuple[Path, Path, list[dict]]:
    data = tmp_path / "till"
    assert connect_in_process(monkeypatch, data, live_shop.url, live_shop.device_token) == 0
    replica = _sync(data, live_shop)
    monkeypatch.setenv(PIN_ENV, SELLER_PIN)
    assert main(["--data-dir", str(data), "shift", "open", "--staff", SELLER, "--count", "20x10"]) == 0
    products = live_shop.admin_get("products", params={"limit": 1000}).json()
    return data, replica, products


def _money(text: str) -> int:
    return int(text.replace(".", ""))


def test_sell_prints_the_receipt_and_writes_the_sale_with_its_mutation(synced, capsys) -> None:
    data, replica, products = synced
    first, second = products[0]["variants"][0], products[1]["variants"][0]
    status = main([
        "--data-dir", str(data), "sell", "--staff", SELLER,
        "--item", first["barcode"], "--item", f"{second['sku'].lower()}x3",
        "--card", "1.00", "--ref", "AUTH-9", "--cash", "10000",
    ])  # fmt: skip
    out = capsys.readouterr().out
    assert status == 0, out
    number = re.search(r"^Receipt: ([A-Z0-9]+-\d{6})$", out, re.M)[1]
    (till_code,) = _table(replica, "SELECT till_code FROM till")[0]
    assert number == f"{till_code}-000001"
    total = _money(re.search(r"^Total:\s+([\d.]+) ", out, re.M)[1])
    change = _money(re.search(r"^Change:\s+([\d.]+) ", out, re.M)[1])
    assert f"1 x {products[0]['title']}" in out and "3 x " in out and "Card (AUTH-9):" in out
    assert (
        total == first["price"] + 3 * second["price"]
        or not _table(replica, "SELECT prices_include_tax FROM shop")[0][0]
    )
    assert change == 100 + 1_000_000 - total

    ((doc,),) = _table(replica, "SELECT doc FROM sale")
    payload = orjson.loads(doc)
    MUTATION_PAYLOADS["sale.create"].validate_python(payload)
    assert (payload["number"], payload["total"], payload["change"]) == (number, total, change)
    assert [(ln["variant_id"], ln["quantity"]) for ln in payload["lines"]] == [
        (first["id"], 1),
        (second["id"], 3),
    ]
    ((kind, stored),) = _table(replica, "SELECT type, payload FROM outbox WHERE type = 'sale.create'")
    assert kind == "sale.create" and orjson.loads(stored) == payload
    assert sorted(_table(replica, "SELECT variant_id, delta FROM pending_stock")) == sorted(
        [(first["id"], -1), (second["id"], -3)]
    )


def test_the_real_command_in_a_child_process(synced) -> None:
    data, replica, products = synced
    variant = products[2]["variants"][0]
    result = countertop(
        "--data-dir", str(data), "sell", "--staff", SELLER, "--item", variant["sku"], "--cash", "1000"
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"^Receipt: [A-Z0-9]+-000001$", result.stdout, re.M)
    assert len(_table(replica, "SELECT id FROM outbox WHERE type = 'sale.create'")) == 1


def test_bad_input_exits_2_and_writes_nothing(synced, capsys) -> None:
    data, replica, products = synced
    sku = products[0]["variants"][0]["sku"]
    before = _written(replica)
    cases = [
        (["--item", "NO-SUCH-ITEM", "--cash", "100"], "Unknown code NO-SUCH-ITEM"),
        (["--item", "4000000000000", "--cash", "100"], "wrong check digit"),
        (["--item", sku, "--cash", "0.01"], "still to pay"),
        (["--item", sku, "--cash", "12,50"], "--cash 12,50"),
        (["--item", sku, "--cash", "abc"], "is not an amount"),
        (["--item", sku, "--cash", "1000.005"], "more decimals than EUR has"),
        (["--item", sku, "--card", "0.999", "--cash", "1000"], "more decimals than EUR has"),
        (["--item", sku, "--card", "100000"], "change is given only from cash"),
        (["--item", sku, "--cash", "0"], "more than zero"),
        (["--item", sku, "--cash", "-5"], "more than zero"),
        (["--item", f"{sku}x0", "--cash", "1000"], "at least 1"),
        (["--item", f"{sku}x-2", "--cash", "1000"], "at least 1"),
        (["--item", sku], "No payment given"),
        (
            ["--item", sku, "--card", "1", "--ref", "A", "--ref", "B", "--cash", "1000"],
            "one reference per card",
        ),
    ]
    for args, words in cases:
        assert main(["--data-dir", str(data), "sell", "--staff", SELLER, *args]) == 2, args
        err = capsys.readouterr().err
        assert err.startswith("countertop: ") and words in err and "Nothing was sold" in err, (args, err)
    assert _written(replica) == before


def test_sell_without_a_shop_or_a_replica_exits_2(tmp_path: Path, capsys) -> None:
    assert main(["--data-dir", str(tmp_path), "sell", "--item", "X", "--cash", "1"]) == 2
    assert "not connected to a shop" in capsys.readouterr().err
    from pos.settings import ShopConnection

    settings = Settings(tmp_path)
    settings.connection = ShopConnection("http://127.0.0.1:9", "device-1", "till", "Shop", "EUR")
    settings.save()
    assert main(["--data-dir", str(tmp_path), "sell", "--item", "X", "--cash", "1"]) == 2
    assert "sync --once" in capsys.readouterr().err
    assert not settings.replica_path().exists()


def test_selling_needs_the_right_pin_and_an_open_shift(synced, capsys, monkeypatch) -> None:
    data, replica, products = synced
    sku = products[0]["variants"][0]["sku"]
    before = _written(replica)
    monkeypatch.setenv(PIN_ENV, "9999")
    assert main(["--data-dir", str(data), "sell", "--staff", SELLER, "--item", sku, "--cash", "1000"]) == 2
    assert "wrong PIN for Sam Cashier" in capsys.readouterr().err
    monkeypatch.setenv(PIN_ENV, "2222")  # Jo Warehouse's own PIN: signed in, but may not sell
    assert (
        main(["--data-dir", str(data), "sell", "--staff", "Jo Warehouse", "--item", sku, "--cash", "1000"])
        == 2
    )
    assert "A warehouse may not sell. Nothing was sold." in capsys.readouterr().err
    assert main(["--data-dir", str(data), "sell", "--item", sku, "--cash", "1000"]) == 2
    assert "--staff NAME" in capsys.readouterr().err
    assert _written(replica) == before

    monkeypatch.setenv(PIN_ENV, SELLER_PIN)
    assert main(["--data-dir", str(data), "shift", "close", "--staff", SELLER, "--count", "20x10"]) == 0
    assert "Z report" in capsys.readouterr().out
    closed = _written(replica)
    assert main(["--data-dir", str(data), "sell", "--staff", SELLER, "--item", sku, "--cash", "1000"]) == 2
    assert "No shift is open" in capsys.readouterr().err
    assert _written(replica) == closed


def test_a_shift_by_command_line_x_report_and_blind_close(synced, capsys, monkeypatch) -> None:
    data, _replica, products = synced
    variant = products[0]["variants"][0]
    base = ["--data-dir", str(data)]
    assert main([*base, "sell", "--staff", SELLER, "--item", variant["sku"], "--cash", "1000"]) == 0
    capsys.readouterr()
    assert main([*base, "shift", "x", "--staff", SELLER]) == 0
    x = capsys.readouterr().out
    assert "1 sales" in x and "float 200.00 EUR" in x
    for bad, words in ((["--count", "20xmany"], "not a whole number"), (["--count", "0.03x1"], "not a note"),
                       (["--count", "20"], "VALUExPIECES"), (["--count", "20x-1"], "negative"),
                       (["--count", "0.005x2"], "more decimals than EUR has"),
                       (["--count", "20x10", "--card", "1.001"], "more decimals than EUR has")):  # fmt: skip
        assert main([*base, "shift", "close", "--staff", SELLER, *bad]) == 2, bad
        assert words in capsys.readouterr().err, bad
    # 200.00 float + the sale in cash, counted 10.00 short: above the 5.00 limit, a manager approves.
    short = _counts(20000 + variant["price"] - 1000)
    assert main([*base, "shift", "close", "--staff", SELLER, *short]) == 2
    assert "needs a manager's approval" in capsys.readouterr().err
    monkeypatch.setenv(MANAGER_PIN_ENV, "1234")  # Alex Manager, the demo shop's manager
    assert main([*base, "shift", "close", "--staff", SELLER, *short, "--manager", "Alex Manager"]) == 0
    z = capsys.readouterr().out
    assert "cash: expected" in z and "variance -10.00 EUR" in z and "variance approved by Alex Manager" in z


def _counts(minor: int) -> list[str]:
    """`--count` options for an amount in euros, largest notes first."""
    options = []
    for value in denominations("EUR"):
        pieces, minor = divmod(minor, value)
        if pieces:
            options += ["--count", f"{value / 100:g}x{pieces}"]
    return options


@pytest.mark.parametrize("damaged", ["till file", "replica"])
def test_a_damaged_file_is_named_and_the_advice_never_throws_away_unsent_sales(synced, capsys, damaged):
    from pos.store.till_file import till_path

    data, replica, _products = synced
    path = till_path(replica) if damaged == "till file" else replica
    with path.open("r+b") as file:
        file.truncate(50_000)
    selling = ["sell", "--staff", SELLER, "--item", "X", "--cash", "1"]
    for command in (["shift", "x", "--staff", SELLER], selling):
        assert main(["--data-dir", str(data), *command]) == 1, command
        err = capsys.readouterr().err
        assert err.startswith("countertop: ") and "Traceback" not in err, err
        if damaged == "till file":
            assert f"own file {path} is damaged" in err and "Do not remove it" in err, err
        else:
            assert f"The replica {path} cannot be opened" in err and "Move the file away" in err, err


def test_a_data_folder_that_cannot_be_written_is_said_plainly(capsys, monkeypatch, live_shop: LiveShop):
    monkeypatch.setenv(TOKEN_ENV, live_shop.device_token)
    assert main(["--data-dir", "/proc/countertop-cannot-write", "connect", "--shop", live_shop.url]) == 1
    err = capsys.readouterr().err
    assert err.startswith("countertop: ") and "Check the disk" in err and "Traceback" not in err, err
