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

_PROBE = """
import json, sys
from pathlib import Path
import pos.app
# What opening the window imports of the printing path (pos.app imports these when it builds it).
import pos.printing.printers
import pos.services.printing
import pos.ui.main_window
import pos.ui.sell.sell_screen
from pos.store.database import open_replica
open_replica(Path(sys.argv[1])).dispose()
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules} & {"alembic", "escpos"})))
"""


def _loaded_after_open(replica: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(replica)], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_an_up_to_date_replica_opens_without_the_migration_or_printer_libraries(tmp_path: Path) -> None:
    replica = tmp_path / "replica.sqlite3"
    assert _loaded_after_open(replica) == ["alembic"]  # a new file is migrated: alembic is needed
    assert _loaded_after_open(replica) == []  # at its schema already: neither is loaded

