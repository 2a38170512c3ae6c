"""The one way off the UI thread: work runs on a lane's worker, results arrive on the UI thread."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThread

from pos.ui.tasks import SyncTaskRunner, TaskRunner


@pytest.fixture
def runner(qtbot):
    runner = TaskRunner()
    yield runner
    runner.shutdown()


def test_result_is_delivered_on_the_ui_thread(qtbot, runner):
    ui_thread = QThread.currentThread()
    seen = {}

    def work(a, b):
        seen["worker"] = threading.current_thread().name
        return a + b

    def done(value):
        seen["value"] = value
        seen["on_ui_thread"] = QThread.currentThread() is ui_thread

    runner.run(work, 2, 3, lane="db", on_success=done)
    qtbot.waitUntil(lambda: "value" in seen, timeout=5000)
    assert seen["value"] == 5
    assert seen["on_ui_thread"] is True
    assert seen["worker"] != threading.main_thread().name
    assert runner.pending() == 0


def test_failure_is_delivered_with_the_exception(qtbot, runner):
    failures = []

    def boom():
        raise ValueError("bad barcode")

    runner.run(boom, lane="net", on_failure=failures.append)
    qtbot.waitUntil(lambda: len(failures) == 1, timeout=5000)
    assert isinstance(failures[0], ValueError)
    assert str(failures[0]) == "bad barcode"


def test_a_lane_runs_its_work_in_submission_order(qtbot, runner):
    order = []
    for number in range(20):
        runner.run(lambda n=number: n, lane="db", on_success=order.append)
    qtbot.waitUntil(lambda: len(order) == 20, timeout=5000)
    assert order == list(range(20))


def test_a_slow_net_call_does_not_hold_up_the_db_lane(qtbot, runner):
    release = threading.Event()
    results = []
    runner.run(release.wait, 10, lane="net", on_success=lambda _: results.append("net"))
    runner.run(lambda: "db", lane="db", on_success=results.append)
    qtbot.waitUntil(lambda: results == ["db"], timeout=5000)
    release.set()
    qtbot.waitUntil(lambda: results == ["db", "net"], timeout=5000)


def test_unknown_lane_is_refused(runner):
    with pytest.raises(ValueError, match="unknown lane"):
        runner.run(lambda: None, lane="printer")


def test_results_after_shutdown_are_dropped(qtbot, runner):
    results = []
    runner.run(lambda: 1, on_success=results.append)
    assert runner.shutdown()
    qtbot.wait(50)
    assert results == []
    assert runner.run(lambda: 1, on_success=results.append) == -1
    qtbot.wait(50)
    assert results == []


def test_sync_runner_runs_inline_and_reports_failures():
    runner = SyncTaskRunner()
    got, failed = [], []
    runner.run(lambda: 7, on_success=got.append)
    runner.run(lambda: 1 / 0, on_failure=failed.append)
    assert got == [7]
    assert isinstance(failed[0], ZeroDivisionError)
    assert [lane for lane, _ in runner.calls] == ["db", "db"]
