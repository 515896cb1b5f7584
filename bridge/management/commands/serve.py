"""``python manage.py serve``: the HTTP side, with a graceful stop and optionally several processes on one port."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from bridge.durations import duration_argument as duration
from bridge.http_server import serve
from bridge.supervisor import Supervisor, child_command

MANAGE_PY = Path(__file__).resolve().parents[3] / "manage.py"


class Command(BaseCommand):
    help = (
        "Serve GET /inquiry/<id> with daphne: --processes N runs N daphne processes on one port. "
        "SIGTERM or Ctrl+C stops taking connections, lets requests in flight finish within --grace, and exits 0; "
        "a second signal exits at once."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument("--port", type=int, default=8080, help="Port to listen on (default 8080).")
        parser.add_argument("--processes", type=int, default=1, help="daphne processes sharing the port (default 1).")
        parser.add_argument(
            "--grace", type=duration, default=10.0, help="How long a stop waits for requests in flight (default 10s)."
        )
        parser.add_argument("--child-fd", type=int, help=argparse.SUPPRESS)
        parser.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)

    def handle(self, *args, **options) -> None:
        if options["processes"] < 1:
            raise CommandError("--processes must be at least 1")
        if options["child_fd"] is not None:
            self._serve(f"fd:fileno={options['child_fd']}", options["grace"], options["parent_pid"])
            return
        if options["processes"] == 1:
            host = options["host"].replace(":", r"\:")
            self.stdout.write(f"Serving http://{options['host']}:{options['port']} (Ctrl+C stops)")
            # Twisted's default listen backlog is 50: past it the kernel drops
            # connections, and each waits a second for a SYN retransmit.
            self._serve(f"tcp:port={options['port']}:interface={host}:backlog=4096", options["grace"])
            return
        command = child_command([sys.executable, str(MANAGE_PY), "serve", "--grace", f"{options['grace']}s"])
        supervisor = Supervisor(options["host"], options["port"], options["processes"], command, options["grace"])
        self.stdout.write(
            f"Serving http://{options['host']}:{options['port']} with {options['processes']} processes (Ctrl+C stops)"
        )
        try:
            code = supervisor.run()
        except OSError as exc:
            raise CommandError(f"cannot listen on {options['host']}:{options['port']}: {exc.strerror}") from None
        if code:
            raise CommandError("a daphne process did not stop cleanly")

    def _serve(self, endpoint: str, grace: float, parent_pid: int | None = None) -> None:
        from pocsite.asgi import application, handler

        serve(application, handler, endpoint, grace, parent_pid)
