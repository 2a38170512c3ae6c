"""Till codes: `device add` numbers tills T1, T2, ... (or takes `--code`), `device list` shows them,
`/sync/shop` tells a till its code, and the migration numbers tills that existed before codes did."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sync.server import db
from tests.fixtures.shop_server import LiveShop, shop_cli


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'shop.sqlite3'}"


def _codes(url: str) -> dict[str, str | None]:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        return dict(conn.execute("SELECT name, code FROM device ORDER BY created_at"))


def test_tills_are_numbered_t1_t2_and_an_admin_device_gets_no_code(db_url: str) -> None:
    first = shop_cli(db_url, "device", "add", "Front till")
    assert first.returncode == 0, first.stderr
    assert "with till code T1;" in first.stdout
    shop_cli(db_url, "device", "add", "Back office", "--admin")
    shop_cli(db_url, "device", "add", "Side till")
    assert _codes(db_url) == {"Front till": "T1", "Back office": None, "Side till": "T2"}
    listed = shop_cli(db_url, "device", "list").stdout.splitlines()
    assert [line.split("  ")[1:3] for line in listed] == [
        ["T1", "Front till"],
        ["-", "Back office"],
        ["T2", "Side till"],
    ]


def test_a_chosen_code_is_kept_upper_cased_and_the_next_default_follows_the_highest(db_url: str) -> None:
    assert shop_cli(db_url, "device", "add", "Deli", "--code", "deli2").returncode == 0
    assert shop_cli(db_url, "device", "add", "Kiosk", "--code", "T7").returncode == 0
    assert shop_cli(db_url, "device", "add", "Till", "--admin", "--code", "ADM").returncode == 0
    assert shop_cli(db_url, "device", "add", "Next").returncode == 0
    assert _codes(db_url) == {"Deli": "DELI2", "Kiosk": "T7", "Till": "ADM", "Next": "T8"}


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("T-1", "till code 'T-1' is not valid"),
        ("", "till code '' is not valid"),
        ("ABCDEFGHIJKLM", "is not valid: use 1 to 12 letters"),
        ("tö", "is not valid"),
        ("t1", "till code 'T1' is already used by device 'Front till'"),
    ],
)
def test_a_bad_or_taken_code_is_a_clear_error_and_adds_nothing(db_url: str, code: str, words: str) -> None:
    assert shop_cli(db_url, "device", "add", "Front till").returncode == 0
    result = shop_cli(db_url, "device", "add", "Other till", "--code", code)
    assert result.returncode == 2 and words in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert _codes(db_url) == {"Front till": "T1"}


def test_the_admin_api_adds_devices_with_codes_and_refuses_a_taken_one(live_shop: LiveShop) -> None:
    made = live_shop.admin_post("devices", {"name": "Api till", "code": "api1"})
    assert made.status_code == 201, made.text
    assert made.json()["code"] == "API1"
    taken = live_shop.admin_post("devices", {"name": "Api till 2", "code": "API1"})
    assert taken.status_code == 409 and "already used" in taken.json()["detail"]
    bad = live_shop.admin_post("devices", {"name": "Api till 3", "code": "a b"})
    assert bad.status_code == 422 and "is not valid" in bad.json()["detail"]
    listed = {d["name"]: d["code"] for d in live_shop.admin_get("devices").json()}
    assert listed["Api till"] == "API1" and "Api till 2" not in listed


def test_shop_info_tells_a_till_its_code(live_shop: LiveShop) -> None:
    info = live_shop.sync_get("shop").json()
    assert info["till_code"] == "T1"  # the fixture's only till
    assert live_shop.sync_get("shop", token=live_shop.admin_token).json()["till_code"] is None


def test_the_migration_numbers_the_tills_that_existed_before_codes(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = db.make_engine(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(db.MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
        for i, (name, admin) in enumerate([("Till A", False), ("Office", True), ("Till B", False)]):
            conn.exec_driver_sql(
                "INSERT INTO device (id, name, token_hash, is_admin, revoked_at, created_at)"
                f" VALUES ('d{i}', '{name}', 'h{i}', {int(admin)}, NULL, '2026-01-0{i + 1}T00:00:00Z')"
            )
        conn.exec_driver_sql(
            'INSERT INTO "order" (id, number, source, status, customer_id, currency, subtotal, tax, total,'
            " lines, payments, fulfilments, created_at, updated_at) VALUES ('o1', 'W-000001', 'web',"
            " 'pending', NULL, 'EUR', 100, 20, 120, '[]', '[]', '[]', '2026-01-01T00:00:00Z',"
            " '2026-01-01T00:00:00Z')"
        )
    db.upgrade(engine)
    with engine.connect() as conn:
        assert dict(conn.exec_driver_sql("SELECT name, code FROM device").all()) == {
            "Till A": "T1",
            "Office": None,
            "Till B": "T2",
        }
        assert conn.exec_driver_sql('SELECT location_id, returns FROM "order"').all() == [(None, "[]")]
    engine.dispose()
    assert shop_cli(url, "device", "add", "Till C").returncode == 0
    assert _codes(url)["Till C"] == "T3"
