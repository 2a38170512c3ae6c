"""The PyInstaller bundle: build_installer.spec builds it, and the frozen `countertop` works.

Slow (a build takes about half a minute on two cores); CI runs it. The build goes to a temporary
folder, never to the repository's dist/ or build/. The build time and the bundle size are printed
(run with `-s` or look at the captured output).
"""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "build_installer.spec"
BUILD_TIMEOUT = 600


def _tree_size(folder: Path) -> int:
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def _source_files(folder: Path) -> set[str]:
    return {
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in {".pyc", ".pyo"}
    }


@pytest.fixture(scope="module")
def bundle() -> Iterator[Path]:
    """Build the bundle once for this module; yields dist/countertop.

    The build lives in its own temporary folder, not under pytest's basetemp: concurrent pytest
    runs of the same user prune old basetemp folders and could delete a bundle under a running test.
    """
    with tempfile.TemporaryDirectory(prefix="countertop-bundle-") as temp:
        yield _build(Path(temp))


def _build(out: Path) -> Path:
    started = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
            "--distpath", str(out / "dist"), "--workpath", str(out / "work"), str(SPEC),
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    assert result.returncode == 0, f"pyinstaller failed:\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}"
    folder = out / "dist" / "countertop"
    print(f"\nbundle: built in {seconds:.1f} s, {_tree_size(folder) / 1e6:.0f} MB in {folder}")
    return folder


def frozen_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: no Python paths leaking in from the test run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "COUNTERTOP_", "VIRTUAL_ENV"))}
    env.update(QT_QPA_PLATFORM="offscreen", **extra)
    return env


def run_frozen(
    bundle: Path, *args: str, timeout: float = 120, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(bundle / "countertop"), *args],
        cwd=bundle.parent, env=frozen_env(**env), capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def test_bundle_prints_the_project_version(bundle: Path) -> None:
    expected = version("countertop")
    result = run_frozen(bundle, "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"countertop {expected}"
    # The version comes from the bundled package metadata, not from a fallback string. (Which
    # form PyInstaller copies, .dist-info or .egg-info, depends on how the project was installed.)
    metadata = [
        *(bundle / "_internal").glob("countertop-*.dist-info/METADATA"),
        *(bundle / "_internal").glob("countertop*.egg-info/PKG-INFO"),
    ]
    assert metadata, "no countertop package metadata in the bundle"
    assert all(f"\nVersion: {expected}\n" in path.read_text("utf-8") for path in metadata)


def test_bundle_carries_migrations_printer_profiles_locales_and_resources(bundle: Path) -> None:
    internal = bundle / "_internal"
    for migrations in ("pos/store/migrations", "sync/server/migrations"):
        wanted = _source_files(ROOT / migrations)
        assert any(name.startswith("versions/") and name.endswith(".py") for name in wanted)
        assert wanted <= _source_files(internal / migrations), f"{migrations} incomplete in the bundle"
    import escpos

    capabilities = internal / "escpos" / "capabilities.json"
    source = Path(escpos.__file__).with_name("capabilities.json")
    assert json.loads(capabilities.read_text("utf-8")) == json.loads(source.read_text("utf-8"))
    for locale in ("en", "de", "fr", "ja"):
        assert (internal / "babel" / "locale-data" / f"{locale}.dat").is_file()
    assert _source_files(ROOT / "resources") <= _source_files(internal / "resources")
    assert (internal / "PySide6" / "Qt" / "plugins" / "platforms" / "libqxcb.so").is_file()
    assert (internal / "PySide6" / "Qt" / "plugins" / "platforms" / "libqoffscreen.so").is_file()
    # Excluded to keep the bundle small: QtWebEngine, QtQuick/QML, Qt3D.
    leftovers = [p.name for p in internal.rglob("*") if re.search(r"WebEngine|Qt6Quick|Qt6Qml|Qt63D", p.name)]
    assert leftovers == []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def frozen_shop(bundle: Path, tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """The bundle's own `countertop shop`: seeded, a till registered, served on 127.0.0.1.

    Yields (shop URL, till token, shop database file)."""
    database = tmp_path / "shop.sqlite3"
    url = f"sqlite:///{database}"
    seeded = run_frozen(bundle, "shop", "seed", "--products", "30", "--seed", "7", "--database-url", url)
    assert seeded.returncode == 0, seeded.stderr
    added = run_frozen(bundle, "shop", "device", "add", "till-1", "--database-url", url)
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip().splitlines()[-1]
    port = _free_port()
    with open(tmp_path / "shop.log", "wb") as log:
        server = subprocess.Popen(
            [str(bundle / "countertop"), "shop", "serve", "--port", str(port), "--database-url", url],
            env=frozen_env(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                log_text = (tmp_path / "shop.log").read_text(errors="replace")
                assert server.poll() is None, f"the frozen shop died:\n{log_text}"
                assert time.monotonic() < deadline, f"the frozen shop did not start:\n{log_text}"
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", token, database
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_frozen_till_syncs_from_the_frozen_shop(
    bundle: Path, tmp_path: Path, frozen_shop: tuple[str, str, Path]
) -> None:
    """Both halves run from the bundle: the shop's migrations and seed, the till's replica
    migrations and a first sync; the replica ends with the shop's products and variants."""
    url, token, shop_database = frozen_shop
    data_dir = tmp_path / "till"
    connected = run_frozen(
        bundle, "--data-dir", str(data_dir), "connect", "--shop", url, COUNTERTOP_DEVICE_TOKEN=token
    )
    assert connected.returncode == 0, connected.stderr
    synced = run_frozen(bundle, "--data-dir", str(data_dir), "sync", "--once", COUNTERTOP_DEVICE_TOKEN=token)
    assert synced.returncode == 0, synced.stderr
    assert "caught up" in synced.stdout
    (replica,) = data_dir.glob("shops/*/replica.sqlite3")

    def skus(path: Path) -> list[str]:
        with sqlite3.connect(path) as conn:
            return sorted(row[0] for row in conn.execute("SELECT sku FROM variant"))

    shop_skus = skus(shop_database)
    assert len(shop_skus) >= 30
    assert skus(replica) == shop_skus


def test_frozen_demo_opens_the_window_and_stops_its_shop(bundle: Path, tmp_path: Path) -> None:
    """`countertop demo` with no display, from the bundle: the frozen binary starts its own demo
    shop (`countertop shop serve`), syncs, renders the styled window offscreen, saves a screenshot,
    exits 0 and leaves no shop running."""
    data_dir = tmp_path / "demo"
    result = run_frozen(bundle, "--data-dir", str(data_dir), "demo", "--products", "40", timeout=180)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr[-4000:]}"
    screenshot = data_dir / "demo-screenshot.png"
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 10_000  # a rendered window, not an empty image
    match = re.search(r"running at http://127\.0\.0\.1:(\d+)", result.stdout)
    assert match, result.stdout
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", int(match.group(1))), timeout=2).close()
