"""The Qt bindings must not steal references from Python's singletons.

PySide6 6.12.0's SignalInstance.emit() returned True without a new reference, so every emit took
one reference from True: a till aborted ("deallocating True or False") after some thousands of
signals, that is, after a few hours of selling. These checks fail on such a release.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal

# Few enough that a leaking release fails the assertion before it aborts the process.
ROUNDS = 200
SINGLETONS = (("None", None), ("True", True), ("False", False))


class _Emitter(QObject):
    bare = Signal()
    carrying = Signal(object)


def _drift(action) -> dict[str, int]:
    before = {name: sys.getrefcount(value) for name, value in SINGLETONS}
    for _ in range(ROUNDS):
        action()
    return {name: sys.getrefcount(value) - before[name] for name, value in SINGLETONS}


def _no_loss(drift: dict[str, int]) -> bool:
    return all(delta > -ROUNDS // 2 for delta in drift.values())


def test_emitting_signals_keeps_the_references_of_true_false_and_none(qapp) -> None:
    emitter = _Emitter()
    received: list[object] = []
    emitter.carrying.connect(received.append)
    assert _no_loss(_drift(emitter.bare.emit)), "emit() steals references"
    assert _no_loss(_drift(lambda: emitter.carrying.emit(None)))
    assert len(received) == ROUNDS
    received.clear()


def test_connecting_and_disconnecting_keeps_the_references(qapp) -> None:
    emitter = _Emitter()

    def slot() -> None:
        return None

    def connect_disconnect() -> None:
        emitter.bare.connect(slot)
        emitter.bare.disconnect(slot)

    assert _no_loss(_drift(connect_disconnect)), "connect()/disconnect() steal references"
