"""Receipts printed off the UI thread, after the sale is committed.

`ReceiptPrinting` owns its own single-thread task runner (pos.ui.tasks.TaskRunner), so a printer
that takes seconds to time out never delays the "db" lane the cart and the next scan run on. Results
come back on the UI thread as signals: `printed(message, state)` ("warning" when the printer needs
a person soon: its paper is running low) or `failed(PrintResult)`; the sell screen shows a failure
with "Retry" and "Print later" and keeps selling.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, Signal

from pos.ui.tasks import TaskRunner

log = logging.getLogger(__name__)

LANE = "net"  # the print runner's own "net" lane: one worker thread just for printers


class ReceiptPrinting(QObject):
    printed = Signal(str, str)  # a message for the status line, and "success" or "warning"
    failed = Signal(object)  # PrintResult with ok=False: its job can be retried or held
    refused = Signal(str)  # a reprint that could not even start (unknown number, no printer set up)
    held_changed = Signal(int)  # how many receipts wait to be printed later

    def __init__(self, service: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service  # pos.services.printing.PrintService
        self.runner = TaskRunner(self)
        self.busy = 0  # jobs sent to the worker and not answered yet (tests wait on this)

    def shutdown(self, wait_ms: int = 3000) -> None:
        self.runner.shutdown(wait_ms)

    # --- jobs --------------------------------------------------------------------------------------

    def print_sale(self, payload: dict[str, Any]) -> None:
        self._run(self.service.print_sale, payload)

    def print_return(self, payload: dict[str, Any]) -> None:
        self._run(self.service.print_return, payload)

    def retry(self, job: Any) -> None:
        self._run(self.service.run, job)

    def reprint(self, number: str) -> None:
        self._run(self.service.reprint, number)

    def reprint_last(self) -> None:
        self._run(self.service.reprint_last)

    def hold(self, job: Any) -> None:
        """Keep the receipt for later (written to the till file on the worker, never here)."""

        def held(count: int) -> None:
            self._settled()
            self.held_changed.emit(count)

        self.busy += 1
        self.runner.run(self.service.hold, job, lane=LANE, on_success=held, on_failure=self._crashed)

    def print_held(self) -> None:
        def print_and_count() -> tuple[list[Any], int]:
            return self.service.print_held(), self.service.held_count()

        def done(answer: tuple[list[Any], int]) -> None:
            self._settled()
            results, count = answer
            for result in results:
                self._answer(result)
            self.held_changed.emit(count)

        self.busy += 1
        self.runner.run(print_and_count, lane=LANE, on_success=done, on_failure=self._crashed)

    # --- answers on the UI thread ------------------------------------------------------------------

    def _run(self, fn: Any, *args: Any) -> None:
        self.busy += 1
        self.runner.run(fn, *args, lane=LANE, on_success=self._done, on_failure=self._crashed)

    def _done(self, result: Any) -> None:
        self._settled()
        self._answer(result)

    def _answer(self, result: Any) -> None:
        if result is None:  # no receipt printer set up, or automatic receipts are off
            return
        if result.ok:
            noted = result.printed is not None and result.printed.note
            self.printed.emit(result.message, "warning" if noted else "success")
        else:
            self.failed.emit(result)

    def _crashed(self, exc: BaseException) -> None:
        self._settled()
        if not isinstance(exc, LookupError | ValueError):
            log.error("printing failed", exc_info=exc)
        self.refused.emit(str(exc) or type(exc).__name__)

    def _settled(self) -> None:
        self.busy = max(0, self.busy - 1)
