"""A receipt printer on 127.0.0.1: a TCP server that takes raw ESC/POS jobs as port 9100 does.

It is the hardware fake: the bytes it records are exactly what a printer on the network would get.
Modes: "ok" (read the job to the end), "off" (the port is bound but nobody listens: refused),
"cut_off" (read a few bytes, then drop the connection: a printer failing mid-receipt),
"reset_at_end" (take the whole job, drawer kick included, then reset the connection before the till
has heard it was printed), "slow" (wait before reading, as a printer busy feeding paper does) and
"hang_up" (close the connection at the first status query it does not answer).

Real-time status queries (DLE EOT n) are answered as an ESC/POS printer does, from `status` (n ->
the status byte; paper_out(), cover_open()), and kept out of the recorded jobs. `answers` is how
many queries of a connection it answers (None: all; 0: none, as older printers).
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Job:
    data: bytes
    first_byte_at: float  # time.perf_counter() when the first byte arrived


DLE_EOT = b"\x10\x04"
STATUS_OK = {1: 0x12, 2: 0x12, 4: 0x12}  # online, no offline cause, paper adequate


@dataclass
class PrinterServer:
    mode: str = "ok"
    cut_after: int = 24
    delay_s: float = 1.0
    jobs: list[Job] = field(default_factory=list)
    connections: int = 0  # every connection taken, whatever became of it
    answers: int | None = None
    status: dict[int, int] = field(default_factory=lambda: dict(STATUS_OK))
    status_queries: int = 0

    def paper_out(self) -> None:
        self.status = {1: 0x1A, 2: 0x32, 4: 0x72}  # offline; stopped by paper end; roll sensor: end

    def paper_near_end(self) -> None:
        self.status = {**STATUS_OK, 4: 0x1E}

    def cover_open(self) -> None:
        self.status = {1: 0x1A, 2: 0x16, 4: 0x12}

    def paper_in(self) -> None:
        self.status = dict(STATUS_OK)

    def __post_init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.address = f"127.0.0.1:{self.port}"
        self.arrived = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if self.mode != "off":
            self.switch_on()

    def switch_on(self, mode: str = "") -> None:
        """Start listening (a printer that was off comes back)."""
        self.mode = mode or ("ok" if self.mode == "off" else self.mode)
        if self._thread is None:
            self.sock.listen(8)
            self.sock.settimeout(0.1)
            self._thread = threading.Thread(target=self._serve, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self.sock.close()

    def wait_jobs(self, count: int, timeout: float = 5.0) -> list[Job]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.jobs) >= count, timeout)
        return list(self.jobs)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            with conn:
                self._take(conn)

    def _answer_status(self, conn: socket.socket) -> bytes | None:
        """Answer the status queries the job starts with; returns the job's first bytes read (None:
        "hang_up" mode hung up on a query it did not answer)."""
        pending = b""
        answered = 0
        while True:
            if pending.startswith(DLE_EOT) and len(pending) >= 3:
                self.status_queries += 1
                if self.answers is None or answered < self.answers:
                    answered += 1
                    conn.sendall(bytes([self.status.get(pending[2], 0x12)]))
                elif self.mode == "hang_up":
                    return None
                pending = pending[3:]
                continue
            if pending and not DLE_EOT.startswith(pending[:2]):
                return pending  # the job itself (it starts with ESC @)
            try:
                chunk = conn.recv(3 - len(pending) if pending else 3)
            except TimeoutError:
                return pending
            if not chunk:
                return pending
            pending += chunk

    def _take(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        started = self._answer_status(conn)
        if started is None:
            return
        if self.mode == "slow":
            time.sleep(self.delay_s)
        chunks: list[bytes] = [started] if started else []
        first = time.perf_counter() if started else 0.0
        while True:
            chunk = conn.recv(self.cut_after if self.mode == "cut_off" else 65536)
            if not chunk:
                break
            if not chunks:
                first = time.perf_counter()
            chunks.append(chunk)
            if self.mode == "cut_off":
                # Drop the connection with unread bytes waiting: the peer gets a reset, as from a
                # printer that lost power part-way through.
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
        if not chunks:
            return  # asked for its status only, or connected and left: no job (see `connections`)
        with self.arrived:
            self.jobs.append(Job(b"".join(chunks), first))
            self.arrived.notify_all()
        if self.mode == "reset_at_end":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
