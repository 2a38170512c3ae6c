"""`GET /sync/snapshot?entity=E` as a stream of NDJSON bytes, read in one database snapshot.

The documents are stored pre-serialised (`current_doc`), so the stream is stored bytes joined by
newlines: nothing is parsed or re-encoded, and nothing bigger than a chunk is held in memory.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import orjson
from sqlalchemy import Connection, Engine, text

from sync.server import changelog, db

try:  # ISA-L deflates ~4x faster than zlib at level 1, and smaller: the shop's CPU for a 100k-product
    # first sync ~1.1 s with zlib, ~0.8 s with ISA-L (benchmarks/first_sync.py prints it). zlib where
    # the wheel is missing.
    from isal import isal_zlib as gzip_module
except ImportError:  # pragma: no cover
    gzip_module = zlib  # type: ignore[no-redef]

BATCH = 2000  # documents per chunk (~0.5 MB of products)
GZIP_LEVEL = 1  # fastest: on 127.0.0.1 and LANs the CPU, not the wire, is the limit
PACK_AT_LEAST = 256 * 1024
# Products in title order (sync.protocol.title_order_key), the rest by id.
_ORDERED_DOCS = "FROM current_doc WHERE entity = :e ORDER BY sort_key, id"


class Snapshot:
    """An open read transaction pinned at `cursor`; iterate it once to stream it, then it closes."""

    def __init__(self, engine: Engine, entity: str) -> None:
        self.entity = entity
        self._conn: Connection = engine.connect()
        try:
            if not db.is_sqlite(self._conn):
                self._conn.execution_options(isolation_level="REPEATABLE READ")
            self._tx = self._conn.begin()
            self.cursor = changelog.head(self._conn)[0]
            self.count = int(
                self._conn.execute(
                    text("SELECT count(*) FROM current_doc WHERE entity = :e"), {"e": entity}
                ).scalar_one()
            )
        except BaseException:
            self._conn.close()
            raise

    def lines(self) -> Iterator[bytes]:
        try:
            yield (
                orjson.dumps(
                    {"type": "header", "entity": self.entity, "cursor": self.cursor, "count": self.count}
                )
                + b"\n"
            )
            sent = 0
            for count, piece in self._documents():
                sent += count
                yield piece
            yield orjson.dumps({"type": "end", "count": sent}) + b"\n"
        finally:
            self.close()

    def _documents(self) -> Iterator[tuple[int, bytes]]:
        """(documents, their lines) a batch at a time, in the order the protocol sends them."""
        if db.is_sqlite(self._conn):
            # The driver's cursor, and the stored text read as bytes: no SQLAlchemy row per document
            # and no UTF-8 decoding and re-encoding (the shop's CPU for 100k products and their
            # stock levels: 0.76 s through SQLAlchemy, 0.58 s so; benchmarks/first_sync.py).
            cursor = self._conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            try:
                cursor.execute(f"SELECT CAST(doc AS BLOB) {_ORDERED_DOCS}", {"e": self.entity})
                while part := cursor.fetchmany(BATCH):
                    yield len(part), b"\n".join([row[0] for row in part]) + b"\n"
            finally:
                cursor.close()
            return
        result = self._conn.execution_options(stream_results=True, yield_per=BATCH).execute(
            text(f"SELECT doc {_ORDERED_DOCS}"), {"e": self.entity}
        )
        for part in result.partitions(BATCH):
            yield len(part), "\n".join(row[0] for row in part).encode() + b"\n"

    def gzipped(self) -> Iterator[bytes]:
        # Pieces are packed PACK_AT_LEAST bytes at a time: ISA-L compresses a stream that starts
        # with a small piece (the header line) much worse (a 20-product snapshot: 6.9 KB, not 2.5).
        packer = gzip_module.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        pending: list[bytes] = []
        size = 0
        for chunk in self.lines():
            pending.append(chunk)
            size += len(chunk)
            if size >= PACK_AT_LEAST:
                packed = packer.compress(b"".join(pending))
                pending, size = [], 0
                if packed:
                    yield packed
        yield packer.compress(b"".join(pending)) + packer.flush()

    def close(self) -> None:
        if not self._conn.closed:
            self._tx.rollback()
            self._conn.close()
