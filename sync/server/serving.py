"""`countertop-shop serve`: uvicorn, saying on stderr when the shop is ready and when it has stopped.

At uvicorn's default log level (warning) nothing else is printed, so these two lines are how one
knows the shop answers, where, and from which database.
"""

from __future__ import annotations

import socket
import sys

import uvicorn


def say(text: str) -> None:
    print(f"countertop-shop: {text}", file=sys.stderr, flush=True)


class _Server(uvicorn.Server):
    """One server process that says when it listens and when it has shut down."""

    def __init__(self, config: uvicorn.Config, ready: str) -> None:
        super().__init__(config)
        self.ready = ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)  # exits the process when it cannot listen
        if self.started:
            say(self.ready)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await super().shutdown(sockets)
        say("stopped")  # here, not after run(): uvicorn re-raises a SIGTERM it handled, ending us


def run(config: uvicorn.Config, ready: str) -> bool:
    """Serve until stopped (Ctrl+C, SIGTERM); False when the server never started."""
    if config.workers > 1:
        from uvicorn.supervisors import Multiprocess  # as uvicorn.run does (pyproject pins the release)

        sock = config.bind_socket()  # exits the process when it cannot listen
        say(f"{ready}, {config.workers} workers")
        Multiprocess(config, sockets=[sock]).run()
        say("stopped")
        return True
    server = _Server(config, ready)
    try:
        server.run()
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl+C it handled, after the shutdown
        pass
    return server.started
