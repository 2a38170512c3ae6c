"""A first sync's back-to-back write turns leave room for a writer in another process."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from pos.store.write_turns import WriteTurns

# Another process saving something in the replica, with only SQLite's busy handler to wait with.
_OUTSIDE_WRITER = """
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], timeout=float(sys.argv[2]), isolation_level=None)
started = time.monotonic()
try:
    con.execute("BEGIN IMMEDIATE")
    con.execute("INSERT INTO saved (what) VALUES ('customer')")
    con.execute("COMMIT")
    print("saved", time.monotonic() - started)
except sqlite3.OperationalError as exc:
    print("refused", exc)
"""


def _replica(path: Path) -> None:
    with sqlite3.connect(path) as con:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("CREATE TABLE loaded (n INTEGER)")
        con.execute("CREATE TABLE saved (what TEXT)")


def test_a_writer_in_another_process_gets_in_between_back_to_back_turns(tmp_path: Path) -> None:
    path = tmp_path / "replica.sqlite3"
    _replica(path)
    turns = WriteTurns(streak_s=0.3, breather_s=0.12)
    stop = threading.Event()
    started = threading.Event()

    def load() -> None:  # a first sync's copies: one write turn after another, 40 ms each
        con = sqlite3.connect(path, isolation_level=None, timeout=10)
        try:
            while not stop.is_set():
                with turns:
                    con.execute("BEGIN IMMEDIATE")
                    con.execute("INSERT INTO loaded (n) VALUES (1)")
                    started.set()
                    time.sleep(0.04)
                    con.execute("COMMIT")
        finally:
            con.close()

    loader = threading.Thread(target=load)
    loader.start()
    try:
        assert started.wait(5)
        time.sleep(0.35)  # the turns have run back to back for longer than a streak
        writer = subprocess.run(
            [sys.executable, "-c", _OUTSIDE_WRITER, str(path), "1.5"],
            capture_output=True, text=True, timeout=30,
        )
    finally:
        stop.set()
        loader.join()
    assert writer.returncode == 0, writer.stderr
    verdict, detail = writer.stdout.split(maxsplit=1)
    assert verdict == "saved", writer.stdout + writer.stderr
    assert float(detail) < 1.0  # a streak, a breather and a turn, not the whole load
    assert turns.breathers >= 1
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT what FROM saved").fetchall() == [("customer",)]
        assert con.execute("SELECT count(*) FROM loaded").fetchone()[0] > 5


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _turn(turns: WriteTurns, clock: _Clock, *, held: float, then_idle: float = 0.0) -> None:
    with turns:
        clock.now += held
    clock.now += then_idle


def test_the_lock_is_left_free_only_after_a_streak_of_back_to_back_turns() -> None:
    clock = _Clock()
    turns = WriteTurns(streak_s=2.5, breather_s=0.12, clock=clock, sleep=clock.sleep)
    for _ in range(12):  # 2.4 s back to back: still within a streak
        _turn(turns, clock, held=0.2)
    assert clock.slept == []
    _turn(turns, clock, held=0.2)  # starts 2.4 s in
    _turn(turns, clock, held=0.2)  # starts 2.6 s in: a breather first
    assert clock.slept == [0.12] and turns.breathers == 1
    for _ in range(12):  # a new streak starts after the breather
        _turn(turns, clock, held=0.2)
    assert turns.breathers == 1
    _turn(turns, clock, held=0.2)
    assert turns.breathers == 2


def test_turns_with_gaps_a_waiting_writer_can_use_never_wait() -> None:
    clock = _Clock()
    turns = WriteTurns(streak_s=2.5, breather_s=0.12, clock=clock, sleep=clock.sleep)
    for _ in range(100):  # 20 s of turns, each followed by a gap longer than the busy handler's sleep
        _turn(turns, clock, held=0.2, then_idle=0.13)
    assert clock.slept == [] and turns.breathers == 0
    for _ in range(100):  # gaps too short for a waiting writer's next try do not count
        _turn(turns, clock, held=0.2, then_idle=0.05)
    assert turns.breathers == 9
