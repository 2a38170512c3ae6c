"""Reference shop: time `seed --products N` and the snapshot stream of every entity over HTTP.

    .venv/bin/python benchmarks/shop_seed_snapshot.py [--products 100000] [--database-url URL]

Prints seed wall time and rows/s, then per entity: documents, NDJSON bytes, seconds and MB/s, plain
and gzip (level 1) as a till would receive them on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def cli(db: str, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "sync.server", *args, "--database-url", db],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stream(url: str, token: str, entity: str, gzip: bool) -> tuple[int, int, float]:
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip" if gzip else "identity"}
    started = time.perf_counter()
    lines = wire = plain = 0
    unpack = zlib.decompressobj(wbits=31) if gzip else None
    params = {"entity": entity}
    with requests.get(f"{url}/snapshot", params=params, headers=headers, stream=True, timeout=600) as r:
        r.raise_for_status()
        for chunk in r.raw.stream(1 << 16, decode_content=False):
            wire += len(chunk)
            data = unpack.decompress(chunk) if unpack else chunk
            plain += len(data)
            lines += data.count(b"\n")
    return lines - 2, wire, plain, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--database-url", default=None, help="default: a SQLite file in a temp folder")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="countertop-seed-"))
    db = args.database_url or f"sqlite:///{folder / 'shop.sqlite3'}"
    cli(db, "device", "list")  # migrate first, so the seed timing is the seed alone
    started = time.perf_counter()
    out = cli(db, "seed", "--products", str(args.products), "--seed", "1")
    seconds = time.perf_counter() - started
    print(f"seed --products {args.products}: {seconds:.1f} s wall (process start included)")
    print(f"  {out.strip()}")
    token = cli(db, "device", "add", "bench").strip().splitlines()[-1]
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "COUNTERTOP_SHOP_DATABASE_URL"}
    server = subprocess.Popen(
        [sys.executable, "-m", "sync.server", "serve", "--port", str(port), "--database-url", db],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/api/v1/sync"
    try:
        for _ in range(400):
            try:
                requests.get(f"{url}/shop", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        print("snapshot over HTTP (documents, wire bytes, seconds, MB/s of NDJSON):")
        for entity in ("product", "inventory_level"):
            plain = stream(url, token, entity, gzip=False)
            packed = stream(url, token, entity, gzip=True)
            for label, (docs, wire, size, secs) in (("plain", plain), ("gzip ", packed)):
                print(
                    f"  {entity:16} {label} {docs:>8} docs {wire / 1e6:7.1f} MB on the wire {secs:5.2f} s"
                    f"  {size / 1e6 / secs:6.1f} MB/s NDJSON  {docs / secs:9,.0f} docs/s"
                )
    finally:
        server.terminate()
        server.wait(timeout=10)
        if args.database_url is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
