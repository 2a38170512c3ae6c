"""`countertop-shop serve` at its default log level prints one line when it answers, with its URL and
database (password hidden), and one when it has stopped; nothing else."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from tests.fixtures.shop_server import REPO_ROOT, free_port
from tests.sync.server.conftest import BACKENDS

PASSWORD = "s3cret-pw"  # the test cluster trusts every login, so any password connects


@pytest.mark.parametrize("backend", BACKENDS)
def test_serve_says_where_it_serves_from_which_database_and_when_it_stopped(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "postgres":
        shown = request.getfixturevalue("pg_database_url").replace("postgres@", "postgres:***@", 1)
        url = shown.replace("***", PASSWORD, 1)
    else:
        url = shown = f"sqlite:///{tmp_path / 'shop.sqlite3'}"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "COUNTERTOP_SHOP_DATABASE_URL"}
    command = [sys.executable, "-m", "sync.server", "serve", "--port", str(port), "--database-url", url]
    proc = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr or ()], daemon=True)
    reader.start()
    try:
        ready = lines.get(timeout=30)
        assert ready == f"countertop-shop: serving http://127.0.0.1:{port} from {shown}\n"
        assert requests.get(f"http://127.0.0.1:{port}/openapi.json", timeout=10).status_code == 200
        proc.terminate()
        proc.wait(timeout=30)  # the stop line below says it shut down, not was killed
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(timeout=10)  # to the end of what it printed
    rest = "".join(lines.queue)
    assert rest == "countertop-shop: stopped\n"
    assert PASSWORD not in ready + rest
