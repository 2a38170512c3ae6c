"""The till row: the code from the shop (or the device id), the location, numbers that never repeat."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from pos.store import till
from pos.store.database import driver_connection
from pos.store.till_file import till_engine
from tests.services import checkout_shop as shop

REPO = Path(__file__).resolve().parents[2]


def _in_transaction(engine: Engine, work):
    with driver_connection(till_engine(engine)) as con:
        con.execute("BEGIN IMMEDIATE")
        try:
            result = work(con)
            con.execute("COMMIT")
            return result
        except BaseException:
            con.execute("ROLLBACK")
            raise


def test_record_till_takes_the_shops_code_and_keeps_the_sequences(engine: Engine) -> None:
    _in_transaction(engine, lambda con: till.record_till(con, "dev-1", "t7"))
    assert _in_transaction(engine, till.take_sale_number) == "T7-000001"
    assert _in_transaction(engine, till.take_return_number) == "T7-R000001"
    _in_transaction(engine, lambda con: till.record_till(con, "dev-1", "T8"))
    assert _in_transaction(engine, till.take_sale_number) == "T8-000002"
    with driver_connection(till_engine(engine)) as con:
        info = till.read_till(con)
    assert (info.till_code, info.device_id, info.next_sale, info.next_return) == ("T8", "dev-1", 3, 2)


@pytest.mark.parametrize("code", [None, "", "T-1", "way-too-long-code-1", "Ünï"])
def test_a_missing_or_unprintable_code_falls_back_to_the_device_id(engine: Engine, code: str | None) -> None:
    _in_transaction(engine, lambda con: till.record_till(con, "01936f2a-7b5c-7def-8abc-0123456789ab", code))
    # The last digits of the id: a UUIDv7's first digits are its creation time, shared by devices
    # added the same day.
    assert _in_transaction(engine, till.take_sale_number) == "T6789AB-000001"


def test_ensure_till_never_overwrites_a_code(engine: Engine) -> None:
    _in_transaction(engine, lambda con: till.ensure_till(con, "0000-12abcdef"))
    assert _in_transaction(engine, till.take_sale_number) == "TABCDEF-000001"
    _in_transaction(engine, lambda con: till.record_till(con, "0000-12abcdef", "T2"))
    _in_transaction(engine, lambda con: till.ensure_till(con, "other"))
    assert _in_transaction(engine, till.take_sale_number) == "T2-000002"


def test_no_till_row_means_no_number_and_nothing_changes(engine: Engine) -> None:
    with pytest.raises(till.TillNotReady, match="no till code yet"):
        _in_transaction(engine, till.take_sale_number)
    with pytest.raises(till.TillNotReady):
        _in_transaction(engine, lambda con: till.set_location(con, "x"))


def test_numbers_are_taken_only_inside_a_transaction(engine: Engine) -> None:
    _in_transaction(engine, lambda con: till.record_till(con, "dev", "T1"))
    till_file = till_engine(engine)
    with driver_connection(till_file) as con, pytest.raises(RuntimeError, match="inside the transaction"):
        till.take_sale_number(con)
    with driver_connection(till_engine(engine)) as con, pytest.raises(RuntimeError):
        till.record_till(con, "dev", "T1")


def test_a_rolled_back_sale_gives_its_number_back(engine: Engine) -> None:
    _in_transaction(engine, lambda con: till.record_till(con, "dev", "T1"))

    def fail(con):
        till.take_sale_number(con)
        raise ValueError("the sale failed")

    with pytest.raises(ValueError):
        _in_transaction(engine, fail)
    assert _in_transaction(engine, till.take_sale_number) == "T1-000001"


def test_the_default_location_is_the_lowest_code(tmp_path: Path) -> None:
    engine = shop.open_shop(tmp_path / "r.sqlite3")
    try:
        with driver_connection(till_engine(engine)) as con:
            assert till.selling_location(con) == shop.SHOP
        _in_transaction(engine, lambda con: till.set_location(con, shop.WAREHOUSE))
        with driver_connection(till_engine(engine)) as con:
            assert till.selling_location(con) == shop.WAREHOUSE
    finally:
        engine.dispose()


def test_three_processes_selling_at_once_never_share_a_number(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite3"
    shop.open_shop(path).dispose()
    children = [
        subprocess.Popen([sys.executable, "-m", "tests.services.sell_child", str(path), "40"], cwd=REPO,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]  # fmt: skip
    numbers = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        numbers += [line.split()[1] for line in out.splitlines() if line.startswith("SOLD ")]
    assert sorted(numbers) == [f"T1-{n:06d}" for n in range(1, 121)]
