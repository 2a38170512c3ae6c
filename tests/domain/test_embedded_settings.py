"""The `embedded_barcodes` setting: saved, loaded, and refused with a clear message when wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pos.domain.embedded import DEFAULT_LAYOUTS, EmbeddedLayout
from pos.settings import Settings, SettingsError


def test_default_layouts_when_the_file_says_nothing(tmp_path: Path) -> None:
    assert Settings.load(tmp_path).embedded_barcodes == DEFAULT_LAYOUTS
    (tmp_path / "settings.json").write_text(json.dumps({"version": 1, "connection": None}))
    assert Settings.load(tmp_path).embedded_barcodes == DEFAULT_LAYOUTS


def test_layouts_round_trip_through_the_file(tmp_path: Path) -> None:
    settings = Settings(tmp_path)
    settings.embedded_barcodes = (
        EmbeddedLayout("28", "weight", 5, 5, 3),
        EmbeddedLayout("2", "price", 6, 5, 2),
    )
    with pytest.raises(SettingsError):  # "2" and "28" overlap: refused when read back
        settings.save()
        Settings.load(tmp_path)
    settings.embedded_barcodes = (
        EmbeddedLayout("28", "weight", 5, 5, 3),
        EmbeddedLayout("22", "price", 4, 6, 2),
    )
    settings.save()
    loaded = Settings.load(tmp_path)
    assert loaded.embedded_barcodes == settings.embedded_barcodes
    assert "embedded_barcodes" not in loaded.extra


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("20", "must be a list"),
        ([{"prefix": "31", "kind": "price"}], "20 to 29"),
        ([{"prefix": "21", "kind": "price", "item_digits": 3}], "add up to 12"),
        ([{"prefix": "21"}], "needs a 'prefix' and a 'kind'"),
        ([{"prefix": 21, "kind": "price"}], "prefix must be digits"),
        ([{"prefix": "21", "kind": "price", "extra": 1}], "unknown keys"),
        ([{"prefix": "21", "kind": "price"}, {"prefix": "21", "kind": "weight", "decimals": 3}], "overlap"),
    ],
)
def test_bad_layouts_in_the_file_are_reported(tmp_path: Path, value: object, words: str) -> None:
    text = json.dumps({"version": 1, "embedded_barcodes": value})
    (tmp_path / "settings.json").write_text(text)
    with pytest.raises(SettingsError, match="embedded_barcodes") as caught:
        Settings.load(tmp_path)
    assert words in str(caught.value)
    assert (tmp_path / "settings.json").read_text() == text  # left as it was
