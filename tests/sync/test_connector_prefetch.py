"""The connector's background reader: order kept, memory bounded, errors handed over, close stops it."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from sync.connectors.prefetch import BackgroundReader
from sync.ports import ProtocolError


def test_chunks_arrive_in_order() -> None:
    reader = BackgroundReader(lambda: iter([b"a", b"bc", b"", b"d"]), name="t")
    assert list(reader.chunks()) == [b"a", b"bc", b"", b"d"]


def test_reading_ahead_stops_at_the_bound() -> None:
    produced: list[int] = []
    blocked = threading.Event()

    def source() -> Iterator[bytes]:
        for n in range(100):
            produced.append(n)
            if n == 4:
                blocked.set()
            yield b"x" * 10

    reader = BackgroundReader(source, name="t", max_buffered=40)
    assert blocked.wait(2)
    threading.Event().wait(0.1)  # give it time to run further if it wrongly would
    assert len(produced) == 5  # 4 chunks buffered (40 bytes), the 5th waits for room
    assert len(b"".join(reader.chunks())) == 1000


def test_source_error_is_raised_in_the_consumer_after_the_good_chunks() -> None:
    def source() -> Iterator[bytes]:
        yield b"good"
        raise ProtocolError("the snapshot stream of product was cut short")

    chunks = BackgroundReader(source, name="t").chunks()
    assert next(chunks) == b"good"
    with pytest.raises(ProtocolError, match="cut short"):
        next(chunks)


def test_close_ends_the_thread_and_the_consumer() -> None:
    def endless() -> Iterator[bytes]:
        while True:
            yield b"y" * 1000

    reader = BackgroundReader(endless, name="endless", max_buffered=10_000)
    chunks = reader.chunks()
    next(chunks)
    reader.close()
    assert list(chunks) == []
    reader._thread.join(2)
    assert not reader._thread.is_alive()
