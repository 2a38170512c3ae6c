"""`countertop-shop` commands: device tokens, seeding, bad input."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from sync.server import db
from sync.server.barcodes import barcode_problem, ean13, gs1_check_digit
from tests.fixtures.shop_server import shop_cli


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'shop.sqlite3'}"


def _sql(url: str, query: str) -> list[tuple]:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        return conn.execute(query).fetchall()


def test_device_add_prints_the_token_alone_on_the_last_line_and_stores_only_its_hash(db_url: str) -> None:
    result = shop_cli(db_url, "device", "add", "Front till")
    assert result.returncode == 0, result.stderr
    token = result.stdout.splitlines()[-1]
    assert token == token.strip() and len(token) >= 32 and " " not in token
    [(stored,)] = _sql(db_url, "SELECT token_hash FROM device WHERE name = 'Front till'")
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    raw = b"".join(
        p.read_bytes() for p in Path(db_url.removeprefix("sqlite:///")).parent.glob("shop.sqlite3*")
    )
    assert token.encode() not in raw
    listed = shop_cli(db_url, "device", "list")
    assert "Front till" in listed.stdout and token not in listed.stdout


def test_rotate_keeps_the_device_id(db_url: str) -> None:
    shop_cli(db_url, "device", "add", "Back office", "--admin")
    [(dev_id, old_hash)] = _sql(db_url, "SELECT id, token_hash FROM device")
    rotated = shop_cli(db_url, "device", "rotate", "Back office")
    assert rotated.returncode == 0
    new_token = rotated.stdout.splitlines()[-1]
    assert _sql(db_url, "SELECT id, token_hash, is_admin FROM device") == [
        (dev_id, hashlib.sha256(new_token.encode()).hexdigest(), 1)
    ]
    assert old_hash != hashlib.sha256(new_token.encode()).hexdigest()


def test_seed_makes_n_products_with_variants_valid_ean13s_and_stock_at_two_locations(db_url: str) -> None:
    result = shop_cli(db_url, "seed", "--products", "600", "--seed", "3")
    assert result.returncode == 0, result.stderr
    assert _sql(db_url, "SELECT count(*) FROM product") == [(600,)]
    variants = _sql(db_url, "SELECT sku, barcode, price FROM variant")
    assert 1.3 <= len(variants) / 600 <= 1.7
    assert all(len(b) == 13 and barcode_problem(b) is None for _, b, _ in variants)
    assert len({s for s, _, _ in variants}) == len(variants) and len({b for _, b, _ in variants}) == len(
        variants
    )
    assert all(p > 0 for _, _, p in variants)
    assert _sql(db_url, "SELECT count(DISTINCT location_id) FROM inventory_level") == [(2,)]
    assert _sql(db_url, "SELECT count(*) FROM inventory_level") == [(2 * len(variants),)]
    assert len(_sql(db_url, "SELECT DISTINCT tax_rate_id FROM product")) == 3
    assert len(_sql(db_url, "SELECT DISTINCT category FROM product")) >= 5
    # the ledger explains every quantity, and every record is in the change log and the snapshot table
    assert _sql(
        db_url,
        "SELECT count(*) FROM inventory_level l WHERE quantity != "
        "(SELECT sum(delta) FROM stock_movement m WHERE m.variant_id = l.variant_id"
        " AND m.location_id = l.location_id)",
    ) == [(0,)]
    [(logged,)] = _sql(db_url, "SELECT count(*) FROM change_log")
    assert (
        logged
        == _sql(db_url, "SELECT count(*) FROM current_doc")[0][0]
        == _sql(db_url, "SELECT value FROM seq_counter")[0][0]
    )
    # seeding again adds more, without clashing SKUs or barcodes
    assert shop_cli(db_url, "seed", "--products", "100").returncode == 0
    assert _sql(db_url, "SELECT count(*) FROM product") == [(700,)]


def test_seed_passes_over_skus_the_shop_has_in_another_letter_case(db_url: str) -> None:
    from sync.server import catalog, changelog
    from sync.server.schemas import ProductIn
    from sync.server.seed_words import CATEGORIES

    assert shop_cli(db_url, "seed", "--products", "0").returncode == 0
    engine = db.make_engine(db_url)
    with db.write(engine) as conn:
        # In lower case, the SKUs seed makes next: serials from the head on (this product takes one).
        start = changelog.head(conn)[0] + 2
        twins = [f"{c.code.lower()}-{n:07d}" for c in CATEGORIES for n in range(start, start + 12)]
        body = {"title": "Typed by hand", "variants": [{"sku": sku, "price": 1} for sku in twins]}
        catalog.create_product(conn, ProductIn.model_validate(body))
    engine.dispose()
    result = shop_cli(db_url, "seed", "--products", "30", "--seed", "3")
    assert result.returncode == 0, result.stderr
    assert _sql(db_url, "SELECT count(*) FROM product") == [(31,)]
    assert _sql(db_url, "SELECT lower(sku) FROM variant GROUP BY lower(sku) HAVING count(*) > 1") == []


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("device", "revoke", "nobody"), "no device named 'nobody'"),
        (("device", "rotate", "nobody"), "no device named 'nobody'"),
        (("seed", "--products", "-5"), "--products must be 0 or more"),
        (("changes", "prune", "--older-than", "-1"), "--older-than"),
    ],
)
def test_bad_input_is_a_clear_error_with_exit_code_2(db_url: str, args: tuple[str, ...], words: str) -> None:
    result = shop_cli(db_url, *args)
    assert result.returncode == 2
    assert words in result.stderr and "Traceback" not in result.stderr


def test_adding_a_device_name_twice_is_refused(db_url: str) -> None:
    assert shop_cli(db_url, "device", "add", "Till").returncode == 0
    again = shop_cli(db_url, "device", "add", "Till")
    assert again.returncode == 2 and "already exists" in again.stderr
    assert _sql(db_url, "SELECT count(*) FROM device") == [(1,)]


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("not a url", "not a database URL"),
        ("mysql://x@localhost/db", "unsupported database URL"),
        ("sqlite:////no/such/folder/shop.db", "does not exist"),
        ("postgresql://nobody@127.0.0.1:1/x", "cannot use the database"),
    ],
)
def test_bad_database_url_is_a_clear_error(url: str, words: str) -> None:
    result = shop_cli(url, "device", "list")
    assert result.returncode == 2, result.stderr
    assert words in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("serve", "--port", "1"),  # refused before it would listen
        ("seed", "--products", "1"),
        ("device", "add", "Till"),
        ("device", "list"),
        ("staff", "list"),
    ],
)
def test_a_file_that_is_not_a_database_is_one_clear_line(tmp_path: Path, args: tuple[str, ...]) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list: milk, eggs\n")
    result = shop_cli(f"sqlite:///{notes}", *args)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"countertop-shop: error: cannot use the database sqlite:///{notes}: file is not a database"
    ]
    assert notes.read_text() == "shopping list: milk, eggs\n"


@pytest.mark.parametrize("args", [("device", "list"), ("staff", "list")])
def test_a_reading_command_refuses_a_missing_sqlite_file(tmp_path: Path, args: tuple[str, ...]) -> None:
    missing = tmp_path / "typo.sqlite3"
    result = shop_cli(f"sqlite:///{missing}", *args)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"the database file {missing} does not exist" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_version_is_the_packages(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    from sync.server.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"countertop-shop {version('countertop')}\n"


@pytest.mark.parametrize(
    ("command", "helps"),
    [
        (
            "serve",
            [
                "--host HOST           address to listen on, 0.0.0.0 for all (default: 127.0.0.1)",
                "--port PORT           TCP port, 1-65535 (default: 8000)",
                "--workers WORKERS     server processes answering requests (default: 1)",
                "how much the server logs to stderr (default: warning)",
            ],
        ),
        ("seed", ["--products N          how many products to add (required)"]),
    ],
)
def test_options_have_help_with_their_defaults(
    command: str, helps: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sync.server.cli import main

    monkeypatch.setenv("COLUMNS", "200")  # one line per option
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    for text in helps:
        assert text in out


def test_migrations_build_the_same_schema_the_tables_module_declares(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from sync.server.tables import metadata

    engine = db.make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    db.upgrade(engine)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    assert db.current_revision(engine) == db.HEAD_REVISION == _script_head()
    engine.dispose()


def _script_head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(db.MIGRATIONS_DIR))
    return ScriptDirectory.from_config(cfg).get_current_head()


def test_gs1_check_digits() -> None:
    assert gs1_check_digit("400638133393") == 1  # a real EAN-13
    assert barcode_problem("4006381333931") is None
    assert "check digit" in (barcode_problem("4006381333932") or "")
    assert "8 to 14 digits" in (barcode_problem("1234567") or "")
    assert barcode_problem(ean13(42)) is None and ean13(42).startswith("40")
