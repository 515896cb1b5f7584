"""``python manage.py demo``: the whole bridge on this machine, one request, a short load, vegeta's report."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from bridge.devstack import DevStackError
from bridge.launcher import LocalStack, StackError, StackOptions, run_load
from bridge.processes import ROOT


class Command(BaseCommand):
    help = (
        "Start the broker and Redis where none answers (devstack), a consumer and the HTTP server on --port, "
        "send one request, then a short open-model load with Locust, print vegeta's report, and stop what it started."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--rps", type=float, default=200.0, help="Request rate of the load (default 200).")
        parser.add_argument("--dur", default="10s", help="How long the load runs, as a Go duration (default 10s).")
        parser.add_argument("--port", type=int, default=8080, help="Port of the HTTP server (default 8080).")
        parser.add_argument(
            "--out", type=Path, default=ROOT / "results" / "demo.bin", help="Where the vegeta results go."
        )
        parser.add_argument(
            "--keep-running", action="store_true", help="Leave everything running after the load until Ctrl+C."
        )

    def handle(self, *args, **options) -> None:
        stack = LocalStack(settings.BRIDGE, StackOptions(port=options["port"]))
        try:
            for line in stack.start_infrastructure():
                self.stdout.write(f"  {line}")
            self.stdout.write("Starting the consumer and the HTTP server...")
            stack.start()
            self.stdout.write(f"$ curl {stack.base_url}/inquiry/42")
            self.stdout.write(json.dumps(stack.ask("42")))
            options["out"].parent.mkdir(parents=True, exist_ok=True)
            self.stdout.write(f"Load: {options['rps']:g} req/s for {options['dur']}, results in {options['out']}")
            self.stdout.flush()
            done = run_load(stack.base_url, options["rps"], options["dur"], options["out"])
            if done.returncode != 0:
                raise CommandError(f"the load test failed with exit code {done.returncode}")
            self.stdout.write(f"Plot it: python manage.py vegeta plot {options['out']} > plot.html")
            if options["keep_running"]:
                self.stdout.write(f"Still serving {stack.base_url}/inquiry/<id>; Ctrl+C stops everything.")
                stack.server.proc.wait()
        except (StackError, DevStackError) as exc:
            raise CommandError(str(exc)) from None
        except KeyboardInterrupt:
            self.stdout.write("Interrupted.")
        finally:
            for line in stack.stop():
                self.stdout.write(f"  {line}")
