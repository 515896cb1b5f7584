"""``python manage.py experiment``: run a named set of load scenarios and write vegeta results and a summary."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from bridge.experiment.runner import ExperimentError, Runner, RunnerOptions
from bridge.experiment.scenarios import SETS, UnknownSet, expand
from bridge.processes import ROOT


def count_or_auto(text: str) -> int | None:
    """argparse type: ``auto`` (None) or a whole number of at least 1."""
    if text == "auto":
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: use auto or a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: must be at least 1")
    return value


class Command(BaseCommand):
    help = (
        "Run a named set of load scenarios against the whole bridge on this machine, one fresh topic and stack per "
        "run, and write each run's vegeta results (<scenario>.bin) plus summary.md and summary.json to --out. "
        "A benchmark: the figures hold for this machine and this moment only."
    )
    requires_system_checks: list[str] = []
    runner_class = Runner

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--set", dest="set_name", default="smoke", choices=list(SETS), help="Scenarios to run.")
        parser.add_argument("--dur", help="Replace every scenario's duration (Go duration, e.g. 10s).")
        parser.add_argument("--out", type=Path, help="Directory for results (default results/experiment-<stamp>/).")
        parser.add_argument("--port", type=int, default=8080, help="Port of the HTTP server (default 8080).")
        parser.add_argument(
            "--processes",
            type=count_or_auto,
            default=None,
            help="HTTP processes: auto (set A compares 1 and 2; the better is used from then on) or N.",
        )
        parser.add_argument(
            "--load-processes",
            type=count_or_auto,
            default=None,
            help="Locust processes: auto (1 up to 1000 req/s, 2 above) or N.",
        )

    def handle(self, *args, **options) -> None:
        try:
            scenarios = expand(options["set_name"], options["dur"], options["processes"])
        except (UnknownSet, ValueError) as exc:
            raise CommandError(str(exc)) from None
        out = options["out"] or ROOT / "results" / f"experiment-{time.strftime('%Y%m%d-%H%M%S')}"
        runner = self.runner_class(
            settings.BRIDGE,
            RunnerOptions(out, options["port"], options["processes"], options["load_processes"]),
            self._report,
        )
        seconds = sum(s.duration for s in scenarios)
        self._report(f"{len(scenarios)} run(s) of set {options['set_name']}, {seconds:g} s of load; results in {out}")
        try:
            summary = runner.run(options["set_name"], scenarios)
        except ExperimentError as exc:
            raise CommandError(f"{exc}\n(the summary in {out} holds the runs before it)") from None
        except KeyboardInterrupt:
            self._report(f"Interrupted; the summary in {out} holds the finished runs.")
            return
        self._report(f"Wrote {len(summary.runs)} run(s): {out / 'summary.md'} and {out / 'summary.json'}")

    def _report(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
