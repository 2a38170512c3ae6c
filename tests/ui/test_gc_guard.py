"""Cyclic garbage is collected on the UI thread's timer, never by whichever thread allocates."""

from __future__ import annotations

import gc
import threading
import weakref

from pos.ui.gc_guard import UiThreadGarbageCollector


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_a_worker_allocating_past_the_threshold_does_not_collect(qtbot) -> None:
    collector = UiThreadGarbageCollector(interval_ms=60_000)  # the timer stays out of the way
    try:
        assert not gc.isenabled()
        garbage = Node()
        alive = weakref.ref(garbage)
        del garbage

        def allocate() -> None:  # far past generation 0's threshold, on another thread
            for _ in range(50_000):
                [[], []]  # noqa: B018
                _ = Node().me

        worker = threading.Thread(target=allocate)
        worker.start()
        worker.join()
        assert alive() is not None  # no collection happened on the worker

        gc.collect()  # what collect() does once due; here directly, on this (the UI) thread
        assert alive() is None
    finally:
        collector.stop()


def test_the_timer_collects_when_a_generation_is_due_and_stop_restores_python(qtbot) -> None:
    was_enabled = gc.isenabled()
    collector = UiThreadGarbageCollector(interval_ms=10)
    garbage = Node()
    alive = weakref.ref(garbage)
    del garbage
    for _ in range(gc.get_threshold()[0] + 10):
        Node()
    qtbot.waitUntil(lambda: alive() is None, timeout=2000)
    collector.stop()
    assert gc.isenabled() == was_enabled
