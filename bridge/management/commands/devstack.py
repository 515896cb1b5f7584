"""``manage.py devstack``: run the local Kafka broker and Redis in the foreground until Ctrl+C."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from bridge.devstack import DevStack, DevStackError


class Command(BaseCommand):
    help = (
        "Start what the bridge needs on this machine: a Tansu Kafka broker (memory storage) and a "
        "redis-server (no persistence) where nothing answers yet, and the topic. Defaults come from "
        "settings.BRIDGE. Prints 'Ready.' and runs in the foreground, even when everything was already "
        "running, until SIGINT or SIGTERM; then stops only what it started and exits 0. Exits non-zero "
        "if a child it started dies."
    )
    # The stack needs no URLs, models or database, so it runs even while the app does not import.
    requires_system_checks: list[str] = []
    stack_class = DevStack
    # How often the children are checked for an unexpected exit, in seconds.
    check_interval = 0.2

    def add_arguments(self, parser: CommandParser) -> None:
        kafka = settings.BRIDGE.kafka
        parser.add_argument(
            "--broker", default=kafka.bootstrap_servers, metavar="HOST:PORT", help="Kafka bootstrap address."
        )
        parser.add_argument("--redis-url", default=settings.BRIDGE.redis.url, metavar="URL", help="Redis URL.")
        parser.add_argument("--topic", default=kafka.topic, help="Topic to create when missing.")
        parser.add_argument(
            "--partitions", type=int, default=kafka.partitions, metavar="N", help="Partitions of a created topic."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # The handlers go in before anything starts: the children live in their own process groups,
        # so a signal that killed this process between start and wait would leave them running.
        with self._stop_requests() as stop_requested:
            try:
                stack = self.stack_class(
                    options["broker"], options["redis_url"], options["topic"], options["partitions"]
                )
                lines = stack.start()
            except DevStackError as exc:
                raise CommandError(str(exc)) from exc
            try:
                self._report(lines, stack.started_anything)
                failures = self._wait(stack, stop_requested)
            finally:
                self._stop(stack)
        if failures:
            raise CommandError("a child process died:\n" + "\n".join(failures))

    def _report(self, lines: list[str], started_anything: bool) -> None:
        for line in lines:
            self.stdout.write(line)
        if not started_anything:
            self.stdout.write("Everything was already running; nothing will be stopped on exit.")
        self.stdout.write("Ready. Ctrl+C to stop.")
        # Whoever reads a pipe (a script, a test) waits for "Ready." before going on.
        self.stdout.flush()

    def _stop(self, stack: DevStack) -> None:
        try:
            lines = stack.stop()
        except DevStackError as exc:
            raise CommandError(str(exc)) from exc
        for line in lines:
            self.stdout.write(line)
        self.stdout.flush()

    def _wait(self, stack: DevStack, stop_requested: threading.Event) -> list[str]:
        """Block until a stop is requested (returns []) or a started child exits (returns why)."""
        while not stop_requested.wait(self.check_interval):
            failures = stack.check()
            if failures:
                return failures
        return []

    @contextmanager
    def _stop_requests(self) -> Iterator[threading.Event]:
        """An event set by SIGINT or SIGTERM while the block runs, including while the stack stops.

        Keeping the handlers through the stop means a second Ctrl+C cannot interrupt it halfway
        and leave children behind; the stop itself is bounded in time.
        """
        event = threading.Event()
        if threading.current_thread() is not threading.main_thread():
            # Signal handlers can only be installed from the main thread (call_command in a thread).
            yield event
            return
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        for sig in previous:
            signal.signal(sig, lambda signum, frame: event.set())
        try:
            yield event
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
