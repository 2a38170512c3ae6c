"""Start-up failures in the app are shown in a message box (and still raised for the CLI to exit 1)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from pos.app import ReplicaUnreadable, run_gui
from pos.services.demo import DemoShopError
from pos.settings import TOKEN_ENV, Settings, ShopConnection
from pos.store.database import ReplicaSchemaError, open_replica


class SeenBox:
    """What the person saw: the box's title, texts and icon, read while it was on screen."""

    def __init__(self) -> None:
        self.seen: list[dict[str, object]] = []

    def __call__(self, box: QMessageBox) -> None:
        self.seen.append({
            "visible": box.isVisible(), "title": box.windowTitle(), "text": box.text(),
            "detail": box.informativeText(), "icon": box.icon(),
        })


@pytest.fixture
def till(tmp_path, monkeypatch) -> Settings:
    """A till connected to a shop, its token from the environment (nothing is asked over the network
    before the replica opens)."""
    monkeypatch.setenv(TOKEN_ENV, "a-device-token")
    settings = Settings(tmp_path)
    settings.connection = ShopConnection("http://127.0.0.1:9", "device-1", "till", "Shop", "EUR")
    settings.save()
    return settings


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_replica_written_by_a_newer_version_is_explained_in_a_box(qtbot, till):
    path = till.replica_path(till.connection)
    engine = open_replica(path)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    with engine.connect() as connection:  # into the file itself, so its digest says what it holds
        connection.exec_driver_sql("PRAGMA main.wal_checkpoint(TRUNCATE)")
    engine.dispose()
    before = digest(path)
    box = SeenBox()
    with pytest.raises(ReplicaSchemaError):
        run_gui(till, on_startup_failure=box)
    [seen] = box.seen
    assert seen["visible"] and seen["icon"] == QMessageBox.Icon.Critical
    assert seen["title"] == "Countertop could not start"
    assert seen["text"] == "This till's data file was written by a newer version of Countertop."
    assert "9999_from_the_future" in seen["detail"] and "Update Countertop" in seen["detail"]
    assert digest(path) == before  # nothing was changed


def test_an_unreadable_replica_is_explained_in_a_box_and_left_alone(qtbot, till):
    path = till.replica_path(till.connection)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a database, just bytes " * 200)
    before = digest(path)
    box = SeenBox()
    with pytest.raises(ReplicaUnreadable):
        run_gui(till, on_startup_failure=box)
    [seen] = box.seen
    assert seen["text"] == "Countertop cannot read this till's data file."
    assert str(path) in seen["detail"] and "file is not a database" in seen["detail"]
    assert "Nothing was changed" in seen["detail"]
    assert digest(path) == before


def test_a_demo_shop_that_will_not_start_is_explained_in_a_box(qtbot, tmp_path):
    settings = Settings(tmp_path)
    (tmp_path / "demo-shop.sqlite3").write_bytes(b"garbage " * 100)  # the demo shop's own database
    box = SeenBox()
    with pytest.raises(DemoShopError):
        run_gui(settings, demo=True, on_startup_failure=box)
    [seen] = box.seen
    assert seen["text"] == "The demo shop did not start."
    assert "failed" in seen["detail"]
    assert Settings.load(tmp_path).connection is None  # nothing was saved
