"""The demo shop: the reference shop server on 127.0.0.1 with a seeded catalog, for trying Countertop.

It runs as a child process (`countertop shop serve ...`), so the frozen bundle needs no second
executable and a slow server never slows the app. Its token is kept in memory only: the shop is
local and is re-registered (token rotated) every time it starts.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sync.connectors.countertop import CountertopConnector
from sync.ports import SyncError
from sync.protocol import ShopInfo

log = logging.getLogger(__name__)

# The demo shop's staff as its seed makes them (sync/server/seed_words.py; a test holds the two
# equal), shown on the demo till's sign-in screen so that someone trying Countertop can sign in.
DEMO_STAFF = (("Alex Manager", "1234"), ("Sam Cashier", "1111"), ("Jo Warehouse", "2222"))
DEMO_SIGN_IN_HINT = "Demo shop: " + " · ".join(f"{name} PIN {pin}" for name, pin in DEMO_STAFF)

DEMO_DEVICE = "demo-till"
DEFAULT_PRODUCTS = 2000
START_TIMEOUT_S = 60.0
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
Reporter = Callable[[str], None]


class DemoShopError(Exception):
    """The demo shop could not be created or started; the message says why."""


def shop_command(*args: str) -> list[str]:
    """How to run `countertop shop ARGS` from here, in a source tree or a frozen bundle."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "shop", *args]
    return [sys.executable, "-m", "pos", "shop", *args]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class DemoShop:
    url: str
    token: str
    info: ShopInfo
    database_path: Path
    process: subprocess.Popen[bytes] = field(repr=False)
    log_path: Path = field(repr=False)

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("the demo shop did not stop in %.0f s; killing it", timeout)
            self.process.kill()
            self.process.wait()


def start_demo_shop(
    data_dir: Path,
    products: int | None = None,
    report: Reporter | None = None,
    timeout: float = START_TIMEOUT_S,
) -> DemoShop:
    """Create the demo shop on first use, register this till, serve it and wait until it answers."""
    say = report or (lambda message: log.info("%s", message))
    data_dir.mkdir(parents=True, exist_ok=True)
    database = data_dir / "demo-shop.sqlite3"
    database_url = f"sqlite:///{database}"
    if not database.exists():
        _seed(database, products or DEFAULT_PRODUCTS, say)
    elif products is not None:
        say(f"The demo shop already exists ({database}); --products applies only to a new one.")
    token = _device_token(database_url)
    port = free_port()
    log_path = data_dir / "demo-shop.log"
    say(f"Starting the demo shop on http://127.0.0.1:{port} …")
    with open(log_path, "ab") as log_file:
        process = subprocess.Popen(
            shop_command("serve", "--host", "127.0.0.1", "--port", str(port), "--database-url", database_url),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=die_with_parent(),
        )
    url = f"http://127.0.0.1:{port}"
    try:
        info = wait_until_answering(url, token, process, log_path, timeout)
    except BaseException:
        _kill(process)
        raise
    say(f"The demo shop “{info.shop_name}” is running at {url}.")
    return DemoShop(
        url=url, token=token, info=info, database_path=database, process=process, log_path=log_path
    )


def _seed(database: Path, products: int, say: Reporter) -> None:
    say(f"Creating the demo shop with {products:,} products (once) …")
    # Seed into a side file and rename it: an interrupted seed never leaves a half-filled demo shop.
    partial = database.with_name(database.name + ".partial")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    _run(shop_command("seed", "--products", str(products), "--database-url", f"sqlite:///{partial}"))
    os.replace(partial, database)


def _device_token(database_url: str) -> str:
    """Rotate the demo till's token (same device id, so its replica stays valid) or register it."""
    try:
        output = _run(shop_command("device", "rotate", DEMO_DEVICE, "--database-url", database_url))
    except DemoShopError:
        output = _run(shop_command("device", "add", DEMO_DEVICE, "--database-url", database_url))
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    if not lines:
        raise DemoShopError("registering the demo till printed no token")
    return lines[-1]


def die_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` that has Linux send the child SIGTERM when this process dies, however it dies.

    Without it a killed app (SIGKILL, a crash) leaves the demo shop serving on its port. The kernel
    ties the signal to the thread that forks, so the shop must be started from a thread that lives
    as long as the app (the main thread, or the task runner's lanes, which never expire).
    Elsewhere (macOS, Windows) there is no such call: None, and `DemoShop.stop` is the only stop.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork, not after
    except (OSError, AttributeError):
        log.info("prctl is unavailable; the demo shop will not stop by itself if the app is killed")
        return None
    parent = os.getpid()
    term = int(signal.SIGTERM)

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, term, 0, 0, 0)
        if os.getppid() != parent:  # the parent died between fork and prctl
            os.kill(os.getpid(), term)

    return preexec


def _run(command: Sequence[str]) -> str:
    result = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False,
                            preexec_fn=die_with_parent())
    if result.returncode != 0:
        lines = [line.strip() for line in (result.stderr or result.stdout).splitlines()]
        # The last line of a traceback says what went wrong; SQLAlchemy adds a link after it.
        meaningful = [line for line in lines if line and not line.startswith("(Background on this error")]
        reason = meaningful[-1] if meaningful else f"exit status {result.returncode}"
        raise DemoShopError(f"`{' '.join(command[-6:])}` failed: {reason}")
    return result.stdout


def wait_until_answering(
    url: str, token: str, process: subprocess.Popen[bytes], log_path: Path, timeout: float
) -> ShopInfo:
    """Poll quietly until the shop answers as this till; one clear DemoShopError if it never does."""
    deadline = time.monotonic() + timeout
    port = int(url.rsplit(":", 1)[1])
    # A plain TCP probe until it listens: an HTTP client would log a retry warning per attempt.
    while not _listening(port):
        _check_running(process, log_path)
        if time.monotonic() > deadline:
            raise DemoShopError(f"the demo shop did not start listening on {url} within {timeout:.0f} s; "
                                f"see {log_path}: {_tail(log_path)}")
        time.sleep(0.05)
    connector = CountertopConnector(url, token, timeout=(0.5, 5.0))
    try:
        with _quiet_http_retries():
            while True:
                _check_running(process, log_path)
                try:
                    return connector.shop_info()
                except SyncError as exc:
                    if time.monotonic() > deadline:
                        raise DemoShopError(
                            f"the demo shop at {url} did not answer within {timeout:.0f} s: {exc}; "
                            f"see {log_path}"
                        ) from None
                time.sleep(0.1)
    finally:
        connector.close()


def _check_running(process: subprocess.Popen[bytes], log_path: Path) -> None:
    if process.poll() is not None:
        raise DemoShopError(f"the demo shop stopped at start-up (exit {process.returncode}); "
                            f"see {log_path}: {_tail(log_path)}")


class _DropRetryWarnings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Retrying")


@contextlib.contextmanager
def _quiet_http_retries() -> Iterator[None]:
    """While waiting for the shop, failed attempts are expected: urllib3 must not warn about each."""
    logger = logging.getLogger("urllib3.connectionpool")
    quiet = _DropRetryWarnings()
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _tail(path: Path, lines: int = 3) -> str:
    try:
        return " / ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()
