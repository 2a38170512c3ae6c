"""Printing jobs: receipts after sales and returns, reprints, reports, test prints. No Qt.

The sale is committed before anything here runs, and nothing here writes to the sale: a printer
that is off, out of paper or unreachable yields a PrintResult with `ok=False` and a message for
the cashier; the job can be run again ("Retry") or held ("Print later") and printed afterwards.
Call these methods off the UI thread (the sell screen uses a print worker thread)::

    service = PrintService.for_settings(engine, settings)  # or PrintService(engine, PrintingSettings(...))
    result = service.print_sale(completed.payload)    # None when no receipt printer is set up
    if result and not result.ok:
        print(result.message); service.hold(result.job)  # or service.run(result.job) to retry
    service.reprint("T1-000042")
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from pos.domain.sale import format_timestamp
from pos.printing.backends import PrinterError
from pos.printing.config import PrinterConfig, PrinterSettingsError, PrintingSettings, check_printing
from pos.printing.document import PrintDocument
from pos.printing.printers import DocumentPrinter, Printed, SystemPrint, test_document
from pos.services.receipts import ReceiptNotFound, ReceiptSource
from pos.settings import Settings
from pos.store.database import read_transaction, write_transaction
from pos.store.till_file import till_engine

log = logging.getLogger(__name__)

DEMO_PRINTER = "Receipts (PDF)"
DEMO_FOLDER = "receipts"  # in the data folder


def till_printing(settings: Settings) -> PrintingSettings:
    """The printing settings this till works with: the saved ones, except on the demo shop before a
    person has set printers up, where every receipt becomes an 80 mm PDF in `<data dir>/receipts`
    (so a person trying Countertop sees its receipts). That default is not saved: it is shown in
    Printers and kept only if a person saves there. A real shop with no printer prints nothing."""
    printing, connection = settings.printing, settings.connection
    if printing.printers or printing.configured or connection is None or not connection.demo:
        return printing
    folder = demo_receipts_folder(settings.data_dir)
    printer = PrinterConfig(name=DEMO_PRINTER, kind="pdf", address=str(folder), paper="80mm")
    return replace(printing, printers=(printer,), routes={"receipt": DEMO_PRINTER, "report": DEMO_PRINTER})


def demo_receipts_folder(data_dir: Path) -> Path:
    folder = data_dir / DEMO_FOLDER
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # the PDF printer then reports the missing folder on each receipt
        log.warning("cannot make the demo receipts folder %s: %s", folder, exc)
    return folder


@dataclass(frozen=True)
class PrintJob:
    id: int
    purpose: str  # "receipt", "report", "labels", "test"
    document: PrintDocument
    printer: str  # the printer's name when the job was made

    @property
    def label(self) -> str:
        return f"{self.document.title} {self.document.number}".strip()


@dataclass(frozen=True)
class PrintResult:
    job: PrintJob
    ok: bool
    message: str  # "Receipt T1-000042 printed on Counter" or what went wrong
    printed: Printed | None = None


def _kept_in_table(job: PrintJob) -> bool:
    """A held receipt with a number lives in the till file (hold); any other held job in memory."""
    return job.purpose == "receipt" and bool(job.document.number)


class PrintService:
    def __init__(
        self,
        engine: Engine,
        settings: PrintingSettings,
        save: Callable[[PrintingSettings], None] | None = None,
        *,
        system: SystemPrint | None = None,
    ) -> None:
        self._settings = settings
        self._till = till_engine(engine)  # held receipts live in the till file
        self.receipts = ReceiptSource(engine, lambda: self._settings.look)
        self._save = save
        self._system = system  # draws on an OS printer (Qt); given by the UI, None headless
        self._renderer = DocumentPrinter(settings.look.locale, system)
        self._ids = itertools.count(1)
        self._held: list[PrintJob] = []
        self._lock = threading.Lock()  # held jobs: held on the UI thread, printed on the worker

    @classmethod
    def for_settings(
        cls, engine: Engine, settings: Settings, *, system: SystemPrint | None = None
    ) -> PrintService:
        """Wired to the till's settings file (till_printing): changes are saved there (Settings.save)
        and used from the next job on, no restart needed."""

        def save(printing: PrintingSettings) -> None:
            settings.printing = printing
            settings.save()

        return cls(engine, till_printing(settings), save, system=system)

    # --- settings --------------------------------------------------------------------------------

    @property
    def settings(self) -> PrintingSettings:
        return self._settings

    def update_settings(self, new: PrintingSettings) -> PrintingSettings:
        """Check and save; PrinterSettingsError (nothing saved, nothing changed) if anything is wrong.

        Saved settings are marked `configured`: a person chose them, so no demo default replaces them.
        """
        checked = replace(check_printing(new), configured=True)
        if self._save is not None:
            self._save(checked)
        self._settings = checked
        self._renderer = DocumentPrinter(checked.look.locale, self._system)
        return checked

    # --- jobs --------------------------------------------------------------------------------------

    def sale_job(self, payload: dict[str, Any]) -> PrintJob | None:
        """The receipt job of a just-committed sale; None when receipts are not printed automatically."""
        if not self._settings.auto_print or self._settings.printer_for("receipt") is None:
            return None
        return self.job(self.receipts.for_sale(payload), "receipt")

    def return_job(self, payload: dict[str, Any]) -> PrintJob | None:
        if not self._settings.auto_print or self._settings.printer_for("receipt") is None:
            return None
        return self.job(self.receipts.for_return(payload), "receipt")

    def job(self, document: PrintDocument, purpose: str = "receipt") -> PrintJob:
        printer = self._settings.printer_for(purpose)
        if printer is None:
            raise PrinterSettingsError(f"No printer is set up for the {purpose}: choose one in Printers.")
        return PrintJob(next(self._ids), purpose, document, printer.name)

    def print_sale(self, payload: dict[str, Any]) -> PrintResult | None:
        job = self.sale_job(payload)
        return None if job is None else self.run(job)

    def print_return(self, payload: dict[str, Any]) -> PrintResult | None:
        job = self.return_job(payload)
        return None if job is None else self.run(job)

    def reprint(self, number: str) -> PrintResult:
        """A copy of the sale or return with this number; ReceiptNotFound / PrinterSettingsError if not."""
        return self.run(self.job(self.receipts.find(number), "receipt"))

    def reprint_last(self) -> PrintResult:
        number = self.receipts.last_number()
        if number is None:
            raise ReceiptNotFound("There is no receipt to reprint yet: this till has not sold anything.")
        return self.reprint(number)

    def run(self, job: PrintJob) -> PrintResult:
        """Print `job` now on the printer its purpose goes to (settings may have changed since)."""
        printer = self._printer_of(job)
        if printer is None:
            return PrintResult(job, False, f"{job.label} was not printed: no printer is set up for the "
                               f"{job.purpose}. Choose one in Printer settings.")
        try:
            printed = self._renderer.print(job.document, printer)
        except PrinterError as exc:
            log.warning("%s not printed on %s: %s", job.label, printer.name, exc)
            # A printer that got some bytes may have opened the drawer: a retry must not open it a
            # second time. One that got none never did, and the cashier still needs it for change.
            retry = job
            if exc.reached_printer:
                retry = replace(job, document=replace(job.document, opens_drawer=False))
            return PrintResult(retry, False, f"{job.label} was not printed. {exc}")
        where = f" ({printed.path})" if printed.path else ""
        note = f" “{printer.name}”: {printed.note}." if printed.note else ""
        return PrintResult(job, True, f"{job.label} printed on {printer.name}{where}.{note}", printed)

    def _printer_of(self, job: PrintJob) -> PrinterConfig | None:
        return self._settings.printer_for(job.purpose) or self._settings.printer(job.printer)

    # --- print later --------------------------------------------------------------------------------

    def hold(self, job: PrintJob) -> int:
        """Keep `job` to print later; the number of jobs held.

        A receipt is kept in the till file by its number, so it still prints after a restart; any
        other job (a report, a test page) is kept in memory.
        """
        if _kept_in_table(job):
            with write_transaction(self._till) as con:
                con.execute(
                    "INSERT INTO held_receipt (number, held_at, opens_drawer) VALUES (?, ?, ?) "
                    "ON CONFLICT (number) DO NOTHING",
                    # Printed later, when the sale is long over: opening the drawer then would
                    # surprise whoever stands at the till.
                    (job.document.number, format_timestamp(datetime.now(UTC)), False),
                )
        else:
            with self._lock:
                self._held.append(job)
        return self.held_count()

    def held_count(self) -> int:
        """How many jobs wait (a count, without rebuilding the held receipts)."""
        with read_transaction(self._till) as con:
            (receipts,) = con.execute("SELECT count(*) FROM held_receipt").fetchone()
        with self._lock:
            return int(receipts) + len(self._held)

    def held(self) -> list[PrintJob]:
        """The jobs waiting: receipts held on this till (also before a restart), oldest first."""
        receipts = self._held_receipts()
        with self._lock:
            return receipts + list(self._held)

    def _held_receipts(self) -> list[PrintJob]:
        with read_transaction(self._till) as con:
            rows = con.execute(
                "SELECT number, opens_drawer FROM held_receipt ORDER BY held_at, number"
            ).fetchall()
        jobs = []
        for number, opens_drawer in rows:
            try:
                document = self.receipts.find(number, copy=False)
            except ReceiptNotFound:  # the sale left this till's records: nothing to print any more
                self._release(number)
                continue
            printer = self._settings.printer_for("receipt")
            document = replace(document, opens_drawer=bool(opens_drawer))
            jobs.append(PrintJob(next(self._ids), "receipt", document, printer.name if printer else ""))
        return jobs

    def print_held(self) -> list[PrintResult]:
        """Print every held job in order; those that fail again stay held.

        After a printer fails one, the jobs behind it for that printer are not tried: each would
        wait out the same connect timeout (a printer switched off: seconds each) to fail the same way.
        """
        receipts = self._held_receipts()
        with self._lock:  # taken and cleared at once: a job held meanwhile waits for the next time
            memory, self._held = self._held, []
        jobs = receipts + memory
        results: list[PrintResult] = []
        failed: dict[str, str] = {}  # printer name -> the label of the job it did not print
        try:
            for job in jobs:
                printer = self._printer_of(job)
                if printer is not None and printer.name in failed:
                    why = f"{printer.name} did not print {failed[printer.name]} before it. It stays held."
                    results.append(PrintResult(job, False, f"{job.label} was not tried: {why}"))
                    continue
                result = self.run(job)
                if not result.ok and printer is not None:
                    failed[printer.name] = job.label
                results.append(result)
        finally:
            # Also after something unexpected part-way: what printed is released (never printed
            # twice), and what did not, or was not reached, stays held.
            for result in results:
                if result.ok and _kept_in_table(result.job):
                    self._release(str(result.job.document.number))
            again = [r.job for r in results if not r.ok] + jobs[len(results):]
            with self._lock:
                self._held[:0] = [job for job in again if not _kept_in_table(job)]
        return results

    def _release(self, number: str) -> None:
        with write_transaction(self._till) as con:
            con.execute("DELETE FROM held_receipt WHERE number = ?", (number,))

    # --- settings screen ------------------------------------------------------------------------

    def test_print(self, printer: PrinterConfig) -> PrintResult:
        with_header = self.receipts.header_now()
        job = PrintJob(next(self._ids), "test", test_document(with_header, printer), printer.name)
        try:
            printed = self._renderer.print(job.document, printer)
        except PrinterError as exc:
            return PrintResult(job, False, f"The test print did not come out. {exc}")
        return PrintResult(job, True, f"Test print sent to {printer.name}.", printed)

    def drawer_test(self, printer: PrinterConfig) -> str:
        """Open the drawer; PrinterError if the printer or its drawer is not there."""
        self._renderer.open_drawer(printer)
        return f"Drawer kick sent to {printer.name}."
