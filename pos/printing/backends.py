"""Getting bytes to a printer: raw TCP (port 9100), USB, serial, a file or device, the OS print queue.

Every failure becomes a PrinterError whose message a cashier can act on ("is it switched on?"),
never a traceback. The network backend waits for the printer to take the whole receipt: after
sending it half-closes the connection and reads until the printer closes its side, so a printer
that drops the connection part-way through is reported, not taken for a success.

A network printer out of paper or with its cover open still takes the job into its buffer, and the
receipt was lost without a word. So the network backend first asks the printer's real-time status
(DLE EOT 2: why it is offline, DLE EOT 4: the roll paper sensor; ESC/POS printers answer these even
while busy) and sends nothing to a printer that says it cannot print. A printer that does not
answer within STATUS_TIMEOUT_S (older models, some print servers) is printed to as before; after
SILENT_AFTER such queries in a row it is asked only now and then.
"""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import threading
from pathlib import Path

from pos.printing.config import PrinterConfig, parse_host_port

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 3.0
SEND_TIMEOUT_S = 10.0
DRAIN_TIMEOUT_S = 2.0  # some printers keep the socket open after the job; that is not a failure
QUEUE_TIMEOUT_S = 15.0
STATUS_TIMEOUT_S = 0.5
STATUS_QUERY = b"\x10\x04\x02\x10\x04\x04"  # DLE EOT 2 (offline cause), DLE EOT 4 (roll paper sensor)
# Every status byte has bit 1 and bit 4 set, bit 0 and bit 7 clear (ESC/POS, DLE EOT).
_STATUS_FIXED_MASK, _STATUS_FIXED = 0x93, 0x12
_COVER_OPEN = 0x04  # offline cause
_STOPPED_BY_PAPER_END = 0x20  # offline cause
_ERROR = 0x40  # offline cause: a cutter or mechanical error, or the head overheating
_PAPER_NEAR_END = 0x0C  # roll paper sensor
_PAPER_END = 0x60  # roll paper sensor
# A printer is printed to without asking after SILENT_AFTER status queries in a row went unanswered
# (one slow answer, a printer busy with another till's job, is no reason to stop asking), and asked
# again after ASK_AGAIN_AFTER jobs so (a firmware update, a replaced printer).
SILENT_AFTER = 3
ASK_AGAIN_AFTER = 50
_silence: dict[tuple[str, int], list[int]] = {}  # printer -> [unanswered queries in a row, jobs since]
_silence_lock = threading.Lock()  # the print worker, the settings dialog's test print


class PrinterError(Exception):
    """The printer did not take the job; the message says what to check. The sale is never affected.

    `reached_printer` is False when not one byte got to the printer (switched off, unplugged, no
    such queue): a retry must then still open the cash drawer, which never opened.
    """

    def __init__(self, message: str, *, reached_printer: bool = True) -> None:
        super().__init__(message)
        self.reached_printer = reached_printer


def send_raw(printer: PrinterConfig, data: bytes) -> str:
    """Send ESC/POS bytes to `printer` by its kind; PrinterError if it did not take them all.

    Returns what the cashier should know although it printed ("" if nothing): paper running low.
    """
    kind = printer.kind
    if kind == "network":
        host, port = parse_host_port(printer.address)
        return send_tcp(host, port, data, name=printer.name)
    if kind == "file":
        send_file(Path(printer.address).expanduser(), data, name=printer.name)
    elif kind == "queue":
        send_queue(printer.address, data, raw=True)
    elif kind in ("usb", "serial"):
        _send_escpos_device(printer, data)
    else:
        raise PrinterError(f"Printer “{printer.name}” ({kind}) does not take ESC/POS bytes.")
    return ""


def send_tcp(host: str, port: int, data: bytes, *, name: str = "printer",
             connect_timeout: float = CONNECT_TIMEOUT_S) -> str:
    """Send a job to a printer's raw port; returns a note for the cashier ("" if none), see send_raw."""
    where = f"“{name}” at {host}:{port}"
    try:
        sock = socket.create_connection((host, port), timeout=connect_timeout)
    except ConnectionRefusedError:
        raise PrinterError(f"The printer {where} refused the connection: is it switched on, and is "
                           "it the right address?", reached_printer=False) from None
    except TimeoutError:
        raise PrinterError(f"The printer {where} did not answer within {connect_timeout:g} s: check that "
                           "it is switched on and connected to the network.", reached_printer=False) from None
    except OSError as exc:
        raise PrinterError(f"The printer {where} cannot be reached: {exc.strerror or exc}.",
                           reached_printer=False) from None
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # the first bytes go out at once
        try:
            problem, note = _read_status(sock, (host, port)) if _should_ask((host, port)) else ("", "")
        except OSError as exc:
            raise PrinterError(f"The printer {where} closed the connection before the receipt "
                               f"({exc.strerror or exc}): check it, then retry.",
                               reached_printer=False) from None
        if problem:
            raise PrinterError(f"The printer {where} {problem}, then retry.", reached_printer=False)
        sock.settimeout(SEND_TIMEOUT_S)
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        _drain(sock)
    except TimeoutError:
        raise PrinterError(f"The printer {where} stopped taking the receipt: check its paper and "
                           "cover.") from None
    except OSError as exc:
        raise PrinterError(f"The printer {where} closed the connection part-way through the receipt "
                           f"({exc.strerror or exc}): check its paper, then retry.") from None
    finally:
        sock.close()
    return note


def forget_printers() -> None:
    """Ask every printer its status again (what was learnt of silent printers is dropped)."""
    with _silence_lock:
        _silence.clear()


def _should_ask(printer: tuple[str, int]) -> bool:
    with _silence_lock:
        silence = _silence.get(printer)
        if silence is None or silence[0] < SILENT_AFTER:
            return True
        silence[1] += 1
        if silence[1] < ASK_AGAIN_AFTER:
            return False
        silence[1] = 0
        return True


def _heard(printer: tuple[str, int], answered: bool) -> None:
    with _silence_lock:
        if answered:
            _silence.pop(printer, None)
            return
        silence = _silence.setdefault(printer, [0, 0])
        silence[0] += 1
        if silence[0] == SILENT_AFTER:
            log.info("printer %s:%s does not answer status queries; printing without asking", *printer)


def _read_status(sock: socket.socket, printer: tuple[str, int]) -> tuple[str, str]:
    """(what stops the printer printing, what it prints despite), each as the end of a sentence, ""
    for nothing; both "" when the printer does not answer. OSError if it closes the connection."""
    sock.settimeout(STATUS_TIMEOUT_S)
    sock.sendall(STATUS_QUERY)
    answer = b""
    try:
        while len(answer) < 2:
            chunk = sock.recv(2 - len(answer))
            if not chunk:
                raise ConnectionResetError("it closed the connection after the status query")
            answer += chunk
    except TimeoutError:
        pass  # no answer, or the first byte only: judged below on what came
    _heard(printer, bool(answer))
    if not answer or any(b & _STATUS_FIXED_MASK != _STATUS_FIXED for b in answer):
        return "", ""  # no answer to the query: print as to a printer that does not answer
    offline, paper = answer[0], answer[1] if len(answer) > 1 else _STATUS_FIXED
    if paper & _PAPER_END or offline & _STOPPED_BY_PAPER_END:
        return "is out of paper: put in a new roll", ""
    if offline & _COVER_OPEN:
        return "has its cover open: close it", ""
    if offline & _ERROR:
        return "reports an error (a paper jam, the cutter, or overheating): open it, clear it, close it", ""
    if paper & _PAPER_NEAR_END:
        return "", "its paper is running low: have a new roll ready"
    return "", ""


def _drain(sock: socket.socket) -> None:
    """Read until the printer closes (it has the whole job) or goes quiet; a reset is a failure."""
    sock.settimeout(DRAIN_TIMEOUT_S)
    try:
        while sock.recv(1024):
            pass  # status bytes some printers send back; nothing asked them
    except TimeoutError:
        log.debug("printer kept the connection open after the job; taken as printed")


def send_file(path: Path, data: bytes, *, name: str = "printer") -> None:
    try:
        device = path.open("ab")
    except OSError as exc:
        raise PrinterError(f"Cannot open printer “{name}” at {path}: {exc.strerror or exc}.",
                           reached_printer=False) from None
    try:
        with device:
            device.write(data)
            device.flush()
    except OSError as exc:
        raise PrinterError(f"Cannot write to printer “{name}” at {path}: {exc.strerror or exc}.") from None


def send_queue(queue: str, data: bytes, *, raw: bool) -> None:
    """Hand the job to the OS print queue with `lp` (CUPS); raw ESC/POS or a PDF file's bytes."""
    lp = shutil.which("lp")
    if lp is None:
        raise PrinterError("This computer has no `lp` command: install CUPS to print to OS print queues.",
                           reached_printer=False)
    command = [lp, "-d", queue, *(["-o", "raw"] if raw else []), "-"]
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=QUEUE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise PrinterError(f"The print queue {queue!r} did not take the job within "
                           f"{QUEUE_TIMEOUT_S:g} s.") from None
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip() or f"lp exited with {done.returncode}"
        # lp exits non-zero only when the queue did not accept the job: nothing was printed.
        raise PrinterError(f"The print queue {queue!r} refused the job: {reason}", reached_printer=False)


def escpos_device(printer: PrinterConfig) -> object:
    """The python-escpos printer object for a USB or serial printer (not opened yet)."""
    if printer.kind == "usb":
        from escpos.printer import Usb

        vendor, product = (int(part.removeprefix("0x"), 16) for part in printer.address.split(":"))
        return Usb(idVendor=vendor, idProduct=product, timeout=int(SEND_TIMEOUT_S * 1000))
    if printer.kind == "serial":
        from escpos.printer import Serial

        return Serial(devfile=printer.address, baudrate=printer.baudrate, timeout=SEND_TIMEOUT_S)
    raise PrinterError(f"Printer “{printer.name}” is not a USB or serial printer.")


def _send_escpos_device(printer: PrinterConfig, data: bytes) -> None:
    device = escpos_device(printer)
    opened = False
    try:
        device.open(raise_not_found=True)  # type: ignore[attr-defined]
        opened = True
        device._raw(data)  # type: ignore[attr-defined]
    except Exception as exc:  # pyusb / pyserial raise their own types, all meaning "not printed"
        reason = " ".join(str(exc).split())
        raise PrinterError(
            f"The {printer.kind} printer “{printer.name}” ({printer.address}) did not take the receipt: "
            f"{reason}. Check that it is plugged in and switched on.",
            reached_printer=opened,
        ) from None
    finally:
        try:
            device.close()  # type: ignore[attr-defined]
        except Exception:
            log.debug("closing %s printer failed", printer.kind, exc_info=True)
