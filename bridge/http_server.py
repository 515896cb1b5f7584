"""One daphne server process with a graceful stop.

Plain ``daphne`` cancels every request in flight when it gets SIGTERM.  Here
the first SIGTERM or SIGINT stops accepting connections, answers requests
that arrive on open connections with 503, lets those in flight finish within
the grace period, flushes what is queued for Kafka and exits 0; a second
signal exits at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time

from daphne.server import Server

from bridge.asgi_handler import BridgeASGIHandler

log = logging.getLogger("bridge.server")


class DrainingServer(Server):
    """daphne's server that remembers its listening ports so it can close them."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.ports = []

    def listen_success(self, port) -> None:
        self.ports.append(port)
        super().listen_success(port)


def serve(application, handler: BridgeASGIHandler, endpoint: str, grace: float, parent_pid: int | None = None) -> None:
    """Serve ``application`` on a Twisted ``endpoint`` (``tcp:port=8080:interface=127.0.0.1`` or ``fd:fileno=3``).

    Returns after a graceful stop; ``grace`` bounds how long requests in flight may take to finish.
    With ``parent_pid``, the server also stops gracefully if that process goes away.
    """
    from twisted.internet import reactor

    server = DrainingServer(application, endpoints=[endpoint], signal_handlers=False, verbosity=0)
    stopping = False
    tasks: set[asyncio.Future] = set()  # a reference, so the final task is not collected

    def drain_then_stop() -> None:
        for port in server.ports:
            port.stopListening()
        handler.draining = True
        deadline = time.monotonic() + grace
        log.info("stopping: %d requests in flight, waiting up to %.0fs", handler.active, grace)

        def check() -> None:
            if handler.active and time.monotonic() < deadline:
                reactor.callLater(0.05, check)
                return
            if handler.active:
                log.warning("%d requests still in flight after %.0fs; cancelling them", handler.active, grace)
            tasks.add(asyncio.ensure_future(finish()))

        async def finish() -> None:
            await handler.bridge.close()
            reactor.stop()

        check()

    def on_signal(signum: int, _frame) -> None:
        nonlocal stopping
        if stopping:
            log.warning("second %s: exiting now", signal.Signals(signum).name)
            reactor.callFromThread(reactor.stop)
            return
        stopping = True
        reactor.callFromThread(drain_then_stop)

    def watch_parent() -> None:
        nonlocal stopping
        if os.getppid() != parent_pid and not stopping:
            log.warning("the supervising process is gone; stopping")
            stopping = True
            drain_then_stop()
        else:
            reactor.callLater(1.0, watch_parent)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if parent_pid is not None:
        reactor.callLater(1.0, watch_parent)
    server.run()
