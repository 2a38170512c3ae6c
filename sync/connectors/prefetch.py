"""Run an iterator on a background thread, buffering its items up to a bound.

A first sync is limited by the till writing its replica. Without read-ahead the shop stops sending
whenever the till is busy writing (the socket buffers fill), and validation waits for the writes,
so the work takes turns instead of overlapping. The connector uses two of these per snapshot: one
reads and decompresses the body (socket reads and zlib release the GIL), one validates batches
(overlapping SQLite, which releases the GIL while it steps: measured 1.72 s sequential vs 1.33 s
overlapped for 100k products validated beside 295k stock levels written). Errors raised by the
source are re-raised in the consumer, after the items that came before them.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

DEFAULT_MAX_BUFFERED = 64 * 1024 * 1024
T = TypeVar("T")


class _End:
    pass


class BackgroundReader(Generic[T]):
    """`max_buffered` is in units of `size(item)`: bytes for chunks, documents for batches."""

    def __init__(
        self,
        source: Callable[[], Iterator[T]],
        *,
        name: str,
        max_buffered: int = DEFAULT_MAX_BUFFERED,
        size: Callable[[T], int] = len,  # type: ignore[assignment]
    ) -> None:
        self._source = source
        self._max_buffered = max_buffered
        self._size = size
        self._items: deque[T | BaseException | _End] = deque()
        self._buffered = 0
        self._closed = False
        self._ready = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for item in self._source():
                with self._ready:
                    while self._buffered >= self._max_buffered and not self._closed:
                        self._ready.wait()
                    if self._closed:
                        return
                    self._items.append(item)
                    self._buffered += self._size(item)
                    self._ready.notify_all()
            self._put(_End())
        except BaseException as exc:  # handed to the consumer, which raises it
            self._put(exc)

    def _put(self, item: BaseException | _End) -> None:
        with self._ready:
            if self._closed:
                return
            self._items.append(item)
            self._ready.notify_all()

    def chunks(self) -> Iterator[T]:
        while True:
            with self._ready:
                while not self._items:
                    if self._closed:
                        return
                    self._ready.wait()
                item = self._items.popleft()
                if isinstance(item, _End):
                    return
                if isinstance(item, BaseException):
                    raise item
                self._buffered -= self._size(item)
                self._ready.notify_all()
            yield item

    def close(self) -> None:
        """Stop buffering; the thread ends at its next chunk (the caller closes the response)."""
        with self._ready:
            self._closed = True
            self._items.clear()
            self._buffered = 0
            self._ready.notify_all()
