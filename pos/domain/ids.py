"""Record ids: UUIDv7 (RFC 9562) made on the till, and NewType ids so a ProductId is never a VariantId.

Layout of a UUIDv7 as made here (RFC 9562 section 6.2, method 1, a fixed-length counter):

    48 bits  Unix time in milliseconds
     4 bits  version (7)
    12 bits  counter, high part        (rand_a)
     2 bits  variant (0b10)
    30 bits  counter, low part         (first bits of rand_b)
    32 bits  random                    (rest of rand_b)

The 42-bit counter starts at a random value below 2**41 each new millisecond (the top bit is a
guard against overflow) and counts up within the millisecond, so ids made in one process sort in
the order they were made even thousands per millisecond. If the clock steps back, the last
timestamp is kept and the counter goes on; if the counter would overflow, the timestamp moves one
millisecond ahead. The 32 random bits keep ids from different tills apart.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable
from typing import NewType

ProductId = NewType("ProductId", str)
VariantId = NewType("VariantId", str)
LocationId = NewType("LocationId", str)
TaxRateId = NewType("TaxRateId", str)
InventoryLevelId = NewType("InventoryLevelId", str)
CustomerId = NewType("CustomerId", str)
OrderId = NewType("OrderId", str)
StaffId = NewType("StaffId", str)
DeviceId = NewType("DeviceId", str)
SaleId = NewType("SaleId", str)
MutationId = NewType("MutationId", str)

_COUNTER_BITS = 42
_COUNTER_LOW_BITS = 30
_MS_MASK = (1 << 48) - 1


class Uuid7Generator:
    """Makes monotonic UUIDv7s. Thread-safe; `clock_ns` and `random_bytes` are injectable for tests."""

    def __init__(
        self,
        clock_ns: Callable[[], int] = time.time_ns,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        self._clock_ns = clock_ns
        self._random_bytes = random_bytes
        self._lock = threading.Lock()
        self._last_ms = -1
        self._counter = 0

    def _fresh_counter(self) -> int:
        return int.from_bytes(self._random_bytes(6), "big") >> (48 - (_COUNTER_BITS - 1))

    def _next_stamp(self) -> tuple[int, int]:
        with self._lock:
            now_ms = self._clock_ns() // 1_000_000
            if now_ms > self._last_ms:
                self._last_ms = now_ms
                self._counter = self._fresh_counter()
            else:  # same millisecond, or the clock stepped back: keep order by counting on
                self._counter += 1
                if self._counter >> _COUNTER_BITS:
                    self._last_ms += 1
                    self._counter = self._fresh_counter()
            return self._last_ms, self._counter

    def reset(self) -> None:
        """Forget the last timestamp (used in a forked child so it does not share the parent's counter)."""
        with self._lock:
            self._last_ms = -1

    def __call__(self) -> uuid.UUID:
        ms, counter = self._next_stamp()
        tail = int.from_bytes(self._random_bytes(4), "big")
        value = (
            (ms & _MS_MASK) << 80
            | 0x7 << 76
            | (counter >> _COUNTER_LOW_BITS) << 64
            | 0b10 << 62
            | (counter & ((1 << _COUNTER_LOW_BITS) - 1)) << 32
            | tail
        )
        return uuid.UUID(int=value)


# Monotonic order within a process needs process-wide memory of the last id; it lives in this one
# generator and nowhere else.
_PROCESS_GENERATOR = Uuid7Generator()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_PROCESS_GENERATOR.reset)


def uuid7() -> uuid.UUID:
    """A new UUIDv7, greater than every one this process made before."""
    return _PROCESS_GENERATOR()


def new_id() -> str:
    """A new UUIDv7 as the canonical string the store and the wire use."""
    return str(_PROCESS_GENERATOR())


def uuid7_time_ms(value: uuid.UUID) -> int:
    """The Unix time in milliseconds a UUIDv7 carries."""
    if value.version != 7:
        raise ValueError(f"{value} is a version {value.version} UUID, not a UUIDv7")
    return value.int >> 80
