"""A receipt printer on 127.0.0.1: a TCP server that takes raw ESC/POS jobs as port 9100 does.

It is the hardware fake: the bytes it records are exactly what a printer on the network would get.
Modes: "ok" (read the job to the end), "off" (the port is bound but nobody listens: refused),
"cut_off" (read a few bytes, then drop the connection: a printer failing mid-receipt),
"reset_at_end" (take the whole job, drawer kick included, then reset the connection before the till
has heard it was printed) and "slow" (wait before reading, as a printer busy feeding paper does).
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


@dataclass
class PrinterServer:
    mode: str = "ok"
    cut_after: int = 24
    delay_s: float = 1.0
    jobs: list[Job] = field(default_factory=list)
    connections: int = 0  # every connection taken, whatever became of it

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

    def _take(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        if self.mode == "slow":
            time.sleep(self.delay_s)
        chunks: list[bytes] = []
        first = 0.0
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
        with self.arrived:
            self.jobs.append(Job(b"".join(chunks), first))
            self.arrived.notify_all()
        if self.mode == "reset_at_end":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
