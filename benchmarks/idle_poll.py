"""Idle-poll throughput of the reference shop on one worker, measured with wrk on 127.0.0.1.

An idle till polls `GET /api/v1/sync/changes?since=HEAD` with `If-None-Match: "HEAD"` and its bearer
token; the shop answers 304 with no body. Target: at least 3,000 requests/s on one worker.

    .venv/bin/python benchmarks/idle_poll.py [--seconds 5] [--connections 16] [--products 1000]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
LUA = """
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer {token}"
wrk.headers["If-None-Match"] = '"{head}"'
"""


def shop(folder: Path, db: str, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "sync.server", *args, "--database-url", db],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--products", type=int, default=1000)
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("wrk not found: run scripts/setup.sh --with-test-tools")
    folder = Path(tempfile.mkdtemp(prefix="countertop-idle-"))
    db = f"sqlite:///{folder / 'shop.sqlite3'}"
    shop(folder, db, "seed", "--products", str(args.products), "--seed", "1")
    token = shop(folder, db, "device", "add", "bench-till").strip().splitlines()[-1]
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "COUNTERTOP_SHOP_DATABASE_URL"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sync.server",
            "serve",
            "--port",
            str(port),
            "--workers",
            "1",
            "--database-url",
            db,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}/api/v1/sync"
        auth = {"Authorization": f"Bearer {token}"}
        for _ in range(200):
            try:
                head = requests.get(f"{base}/shop", headers=auth, timeout=1).json()["head"]
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        url = f"{base}/changes?since={head}"
        check = requests.get(url, headers={**auth, "If-None-Match": f'"{head}"'}, timeout=5)
        assert check.status_code == 304 and check.content == b"", check.status_code
        script = folder / "idle.lua"
        script.write_text(LUA.format(token=token, head=head))
        out = subprocess.run(
            [wrk, "-t1", f"-c{args.connections}", f"-d{args.seconds}s", "--latency", "-s", str(script), url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    lat = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M))
    print(f"idle poll (304, bearer auth), 1 worker, {args.connections} connections, {args.seconds} s:")
    print(f"  requests/s: {rps:,.0f}   (target >= 3,000)")
    print(f"  latency p50 {lat.get('50')}  p90 {lat.get('90')}  p99 {lat.get('99')}")
    print(f"  non-304 answers: {non2xx.group(1) if non2xx else 0}")


if __name__ == "__main__":
    main()
