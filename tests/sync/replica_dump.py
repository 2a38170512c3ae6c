"""Read a replica file back, independently of the code under test, to compare it.

`dump` is every row of every table (the search index's shadow tables included), for "nothing
changed" checks; `replica_docs` rebuilds wire documents from the rows, to compare with what the
shop serves.
"""

from __future__ import annotations

import gzip
import sqlite3
from pathlib import Path
from typing import Any

import orjson
import requests

from sync.protocol import API_PREFIX, ENTITIES

Docs = dict[str, dict[str, dict[str, Any]]]  # entity -> id -> document

# Written on every pull, failed or not: when the last pull caught up and the last problem.
_VOLATILE = {"sync_state": "cursor"}


def dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [
            name
            for (name,) in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            ).fetchall()
        ]
        tables = {}
        for name in names:
            columns = _VOLATILE.get(name, "*")
            tables[name] = sorted(con.execute(f'SELECT {columns} FROM "{name}"').fetchall(), key=repr)
        return tables
    finally:
        con.close()


def replica_docs(path: Path) -> Docs:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    try:
        docs: Docs = {entity: {} for entity in ENTITIES}
        simple = {
            "location": ("location", ()),
            "tax_rate": ("tax_rate", ()),
            "staff": ("staff", ("active",)),
            "inventory_level": ("inventory_level", ()),
            "customer": ("customer", ()),
        }
        for entity, (table, booleans) in simple.items():
            for row in con.execute(f"SELECT * FROM {table}"):
                doc = dict(row)
                for name in booleans:
                    doc[name] = bool(doc[name])
                docs[entity][doc["id"]] = doc
        variants: dict[str, list[dict[str, Any]]] = {}
        for row in con.execute("SELECT * FROM variant ORDER BY product_id, position, sku"):
            variant = dict(row)
            variants.setdefault(variant.pop("product_id"), []).append(variant)
        for row in con.execute("SELECT * FROM product"):
            doc = dict(row)
            del doc["key"]
            doc["variants"] = variants.pop(doc["id"], [])
            docs["product"][doc["id"]] = doc
        assert not variants, f"variants without a product: {list(variants)[:5]}"
        for row in con.execute("SELECT * FROM orders"):
            doc = dict(row)
            doc.update(orjson.loads(doc.pop("doc")))
            docs["order"][doc["id"]] = doc
        return docs
    finally:
        con.close()


def server_docs(url: str, token: str) -> Docs:
    """Every document the shop serves now, read with plain requests (not the connector under test)."""
    docs: Docs = {}
    for entity in ENTITIES:
        response = requests.get(
            f"{url}{API_PREFIX}/sync/snapshot",
            params={"entity": entity},
            headers={"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"},
            timeout=30,
        )
        response.raise_for_status()
        body = response.content
        if response.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        lines = [orjson.loads(line) for line in body.splitlines() if line]
        header, trailer, rows = lines[0], lines[-1], lines[1:-1]
        assert header["count"] == trailer["count"] == len(rows)
        docs[entity] = {doc["id"]: doc for doc in rows}
    return docs


def assert_same_docs(replica: Docs, server: Docs) -> None:
    """Every entity has the same ids and every document is equal, with a readable first difference."""
    for entity in ENTITIES:
        mine, theirs = replica[entity], server[entity]
        missing = set(theirs) - set(mine)
        extra = set(mine) - set(theirs)
        assert not missing, f"{entity}: {len(missing)} missing on the till, e.g. {sorted(missing)[:3]}"
        assert not extra, f"{entity}: {len(extra)} on the till but not on the shop, e.g. {sorted(extra)[:3]}"
        for doc_id, doc in theirs.items():
            if entity == "product":
                doc = {**doc, "variants": sorted(doc["variants"], key=lambda v: (v["position"], v["sku"]))}
            assert mine[doc_id] == doc, f"{entity} {doc_id} differs:\n till {mine[doc_id]}\n shop {doc}"
