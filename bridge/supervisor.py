"""Several daphne processes sharing one listening socket.

Daphne has no ``--workers``; as the channels deployment docs show, several
daphne processes can serve one socket handed to them as a file descriptor.
The supervisor binds the socket, starts the children, restarts one that
dies, and on SIGTERM or Ctrl+C passes a graceful stop to all of them.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable

log = logging.getLogger("bridge.server")

ChildCommand = Callable[[int], list[str]]


class Supervisor:
    """Runs ``processes`` children, each started as ``command(fd)``, on one socket bound to ``host:port``."""

    def __init__(self, host: str, port: int, processes: int, command: ChildCommand, grace: float) -> None:
        self.host, self.port = host, port
        self.processes = processes
        self.command = command
        self.grace = grace
        self._children: dict[int, subprocess.Popen] = {}
        self._stopping = 0
        self._socket: socket.socket | None = None

    def run(self) -> int:
        """Serve until signalled; return 0 if every child stopped cleanly."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        with socket.create_server((self.host, self.port), family=family, backlog=4096) as sock:
            sock.set_inheritable(True)
            self._socket = sock
            signal.signal(signal.SIGTERM, self._on_signal)
            signal.signal(signal.SIGINT, self._on_signal)
            for slot in range(self.processes):
                self._start(slot, sock.fileno())
            log.info("serving http://%s:%d with %d daphne processes", self.host, self.port, self.processes)
            return self._watch(sock.fileno())

    def _start(self, slot: int, fd: int) -> None:
        # A session of its own: a terminal's Ctrl+C reaches only the supervisor,
        # which turns it into one orderly stop for every child.
        self._children[slot] = subprocess.Popen(self.command(fd), pass_fds=(fd,), start_new_session=True)

    def _watch(self, fd: int) -> int:
        started = {slot: time.monotonic() for slot in self._children}
        quick_deaths = 0
        while True:
            if self._stopping:
                return self._wait_for_children()
            for slot, child in list(self._children.items()):
                code = child.poll()
                if code is None or self._stopping:
                    continue
                lived = time.monotonic() - started[slot]
                quick_deaths = quick_deaths + 1 if lived < 5 else 0
                if quick_deaths > 3:
                    log.error("daphne keeps dying at start (exit code %s); giving up", code)
                    self._stopping = 2
                    self._signal_all(signal.SIGKILL)
                    return 1
                log.warning("daphne process %d exited with code %s; starting another", child.pid, code)
                self._start(slot, fd)
                started[slot] = time.monotonic()
            time.sleep(0.2)

    def _on_signal(self, signum: int, _frame) -> None:
        self._stopping += 1
        # The children close their copies of the listening socket when they
        # stop; ours must go too, or new connections would queue in the kernel
        # with nobody to accept them instead of being refused.
        if self._socket is not None:
            self._socket.close()
        # The first signal asks every child for a graceful stop; a second one makes them exit at once.
        self._signal_all(signal.SIGTERM)

    def _signal_all(self, signum: int) -> None:
        for child in self._children.values():
            if child.poll() is None:
                child.send_signal(signum)

    def _wait_for_children(self) -> int:
        deadline = time.monotonic() + self.grace + 10
        codes = []
        for child in self._children.values():
            try:
                codes.append(child.wait(max(0.1, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                child.kill()
                codes.append(child.wait())
        return 0 if all(code == 0 for code in codes) else 1


def child_command(manage_args: list[str]) -> ChildCommand:
    """The command line of one child: ``manage.py serve`` told to use an inherited descriptor."""

    def command(fd: int) -> list[str]:
        return [*manage_args, "--child-fd", str(fd), "--parent-pid", str(os.getpid())]

    return command
