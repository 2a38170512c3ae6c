"""Opening the window on an up-to-date replica loads neither alembic nor python-escpos.

Their imports took 0.1 s and 0.13 s of every start (benchmarks/app_open.py: 0.95 s -> 0.71 s to the
first rows); they load when a file needs migrating, or when something is printed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Opens the window as `countertop` does (pos.app.run_gui), offline, and lists what it had loaded
# once the first search was answered.
_PROBE = """
import json, sys
from pathlib import Path
from pos import app
from pos.settings import Settings, ShopConnection

settings = Settings(Path(sys.argv[1]), ShopConnection("http://127.0.0.1:9", "d1", "Till", "Shop", "EUR"))
settings.save()

def ready(window):
    from PySide6.QtWidgets import QApplication
    loaded = sorted({name.split(".")[0] for name in sys.modules} & {"alembic", "escpos"})
    print(json.dumps(loaded), flush=True)
    QApplication.quit()

app.run_gui(Settings.load(Path(sys.argv[1])), on_ready=ready)
"""


def _loaded_after_open(data_dir: Path) -> list[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    env["COUNTERTOP_DEVICE_TOKEN"] = "offline-token"  # the shop is never reached: port 9
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(data_dir)], cwd=ROOT, capture_output=True, text=True,
        timeout=60, env=env,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_an_up_to_date_replica_opens_without_the_migration_or_printer_libraries(tmp_path: Path) -> None:
    assert _loaded_after_open(tmp_path) == ["alembic"]  # a new replica is migrated: alembic is needed
    assert _loaded_after_open(tmp_path) == []  # at its schema already: neither is loaded

