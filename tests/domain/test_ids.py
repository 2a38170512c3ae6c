"""UUIDv7: RFC 9562 layout, time-ordered and unique, monotonic within a millisecond."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from pos.domain.ids import Uuid7Generator, new_id, uuid7, uuid7_time_ms


def test_layout_follows_rfc_9562() -> None:
    before = time.time_ns() // 1_000_000
    value = uuid7()
    after = time.time_ns() // 1_000_000
    assert value.version == 7
    assert value.variant == uuid.RFC_4122
    assert before <= uuid7_time_ms(value) <= after
    assert uuid.UUID(new_id()).version == 7


def test_100k_ids_are_unique_and_in_creation_order() -> None:
    ids = [uuid7() for _ in range(100_000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)  # UUID ordering is the 128-bit integer, i.e. the byte order
    strings = [str(i) for i in ids]
    assert strings == sorted(strings)  # and so is the text the store keeps
    times = [uuid7_time_ms(i) for i in ids]
    assert times == sorted(times)


def test_same_millisecond_and_clock_going_back_stay_ordered() -> None:
    ticks = iter([5_000_000, 5_000_000, 5_000_000, 4_000_000, 4_000_000, 9_000_000])
    generator = Uuid7Generator(clock_ns=lambda: next(ticks))
    ids = [generator() for _ in range(6)]
    assert ids == sorted(ids) and len(set(ids)) == 6
    assert [uuid7_time_ms(i) for i in ids] == [5, 5, 5, 5, 5, 9]  # never goes back in time


def test_counter_overflow_borrows_the_next_millisecond() -> None:
    # Random bytes all ones put the counter at its highest starting value (2**41 - 1); 2**41 more
    # ids in one millisecond would overflow the 42-bit counter, so start just below the edge.
    generator = Uuid7Generator(clock_ns=lambda: 7_000_000, random_bytes=lambda n: b"\xff" * n)
    first = generator()
    generator._counter = (1 << 42) - 1  # the state right before an overflow
    second = generator()
    assert uuid7_time_ms(first) == 7 and uuid7_time_ms(second) == 8
    assert second > first


def test_threads_share_one_monotonic_sequence() -> None:
    generator = Uuid7Generator()
    results: list[list[uuid.UUID]] = [[] for _ in range(4)]

    def make(bucket: list[uuid.UUID]) -> None:
        bucket.extend(generator() for _ in range(5_000))

    threads = [threading.Thread(target=make, args=(bucket,)) for bucket in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [i for bucket in results for i in bucket]
    assert len(set(every)) == 20_000
    for bucket in results:
        assert bucket == sorted(bucket)


def test_time_of_a_non_v7_uuid_is_refused() -> None:
    with pytest.raises(ValueError, match="version 4 UUID, not a UUIDv7"):
        uuid7_time_ms(uuid.uuid4())
