"""Runs scenarios one after another, each against a fresh topic and a freshly started stack.

Per scenario: look at what else keeps the machine busy, start the stack
(:class:`~bridge.launcher.LocalStack`; it starts a broker and Redis where none
answers and stops them again), warm up every HTTP process, drive Locust at
the scenario's rate while a :class:`~bridge.experiment.sampler.Sampler`
watches the processes, stop the stack, and read the vegeta results back
through vegeta's ``Metrics``.  A fresh topic per run because Tansu's cost per
message grows with the topic (FACTS.md); a fresh consumer group too, so no
run inherits another's offsets or members.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bridge.config import BridgeConfig
from bridge.devstack import DevStackError
from bridge.experiment.sampler import Sampler, contention
from bridge.experiment.scenarios import AUTO_PROCESSES, Scenario, load_processes
from bridge.experiment.summary import LegTimes, RunFigures, Summary, best_processes, duration_text, run_verdict
from bridge.launcher import LocalStack, StackError, StackOptions, run_load
from bridge.vegeta.codecs import DecodeError, decode
from bridge.vegeta.metrics import Metrics

Report = Callable[[str], None]

# Locust's own complaints about the attack: falling behind schedule, shares that never reported.
_LOCUST_WARNING = re.compile(r"WARNING.*?open model: (.*)")
# Health checks over fresh connections, so that each HTTP process (they share one socket)
# likely takes one and connects to Kafka and Redis before the measured load.
_WARM_UP_REQUESTS = 8
_ERRORS_KEPT = 5


class ExperimentError(RuntimeError):
    """A run could not be carried out (the stack did not start, the load produced no results)."""


@dataclass(frozen=True)
class RunnerOptions:
    """Where results go and how the runs are set up; ``None`` process counts mean "auto"."""

    out: Path
    port: int = 8080
    processes: int | None = None
    load_processes: int | None = None


class Runner:
    """Runs a list of scenarios and keeps ``summary.md`` and ``summary.json`` in ``options.out`` up to date."""

    stack_class = LocalStack

    def __init__(self, config: BridgeConfig, options: RunnerOptions, report: Report) -> None:
        self.config = config
        self.options = options
        self.report = report
        self.stamp = time.strftime("%Y%m%d-%H%M%S")
        #: HTTP processes for scenarios left on auto; replaced once this invocation has compared counts.
        self.auto_processes = options.processes or AUTO_PROCESSES

    def run(self, set_name: str, scenarios: list[Scenario]) -> Summary:
        """Run ``scenarios`` in order and return the summary (also written after every run).

        Once a step of a ramp misses its goal, the ramp's later steps are skipped.
        Raises :class:`ExperimentError` when a run cannot be carried out; the
        summary on disk then holds the runs before it.
        """
        self.options.out.mkdir(parents=True, exist_ok=True)
        summary = Summary(set_name, time.strftime("%Y-%m-%d %H:%M:%S %Z"), _machine())
        ended_ramps: set[str] = set()
        total = len(scenarios)
        for index, scenario in enumerate(scenarios, 1):
            tag = f"[{index}/{total}] {scenario.name}"
            if scenario.ramp in ended_ramps:
                self.report(f"{tag}: skipped, ramp {scenario.ramp} has ended")
                summary.skipped.append(scenario.name)
                continue
            run = self.run_one(tag, index, scenario)
            summary.runs.append(run)
            verdict = run_verdict(run)
            if verdict is not None:
                self.report(f"{tag}: goal {verdict}")
                if scenario.ramp and not verdict.met:
                    ended_ramps.add(scenario.ramp)
            self._choose_processes(summary)
            summary.write(self.options.out)
        return summary

    def _choose_processes(self, summary: Summary) -> None:
        if self.options.processes is not None:
            return
        best = best_processes(summary.runs)
        if best is not None and best != self.auto_processes:
            self.auto_processes = best
            note = f"--processes auto: {best} HTTP processes served goal A best in this invocation; used from here on"
            summary.notes.append(note)
            self.report(note)

    def run_one(self, tag: str, index: int, scenario: Scenario) -> RunFigures:
        """Run one scenario on topic and consumer group ``exp-<stamp>-<index>``; the stack is always stopped."""
        processes = scenario.processes or self.auto_processes
        loaders = load_processes(scenario.rate, self.options.load_processes)
        topic = f"exp-{self.stamp}-{index}"
        busy = contention()
        stack = self.stack_class(
            self.config,
            StackOptions(
                wait=scenario.wait,
                consumer_args=scenario.consumer_args(group=topic),
                processes=processes,
                port=self.options.port,
                extra_env={"BRIDGE_TIMEOUT": f"{scenario.timeout:g}s", **dict(scenario.env)},
            ),
            topic=topic,
        )
        results = self.options.out / f"{scenario.name}.bin"
        results.unlink(missing_ok=True)  # a reused --out must not hand us an older run's results
        self.report(f"{tag}: starting the stack (topic {topic}, {processes} HTTP process(es)); before: {busy}")
        load: subprocess.CompletedProcess | None = None
        try:
            self.report(f"{tag}: " + "; ".join(stack.start_infrastructure()))
            stack.start()
            _warm_up(stack.base_url)
            sampler = Sampler(self._roots(stack), self.config.redis.url)
            self.report(f"{tag}: sending {scenario.rate:g} req/s for {scenario.duration:g} s ({loaders} Locust) ...")
            sampler.start()
            try:
                load = run_load(
                    stack.base_url, scenario.rate, f"{scenario.duration:g}s", results, processes=loaders, capture=True
                )
            finally:
                usage = sampler.stop()
        except (StackError, DevStackError) as exc:
            raise ExperimentError(f"{scenario.name}: {exc}") from None
        finally:
            stack.stop()
            self._save_logs(scenario.name, stack, load)
        metrics, legs, warnings = _read_results(scenario, results, load)
        lat = metrics.latencies
        run = RunFigures(
            scenario=scenario,
            processes=processes,
            load_processes=loaders,
            topic=topic,
            planned=scenario.requests,
            requests=metrics.requests,
            rate=metrics.rate,
            success=metrics.success,
            p50=lat.p50,
            p95=lat.p95,
            p99=lat.p99,
            max=lat.max,
            status_codes=dict(metrics.status_codes),
            errors=metrics.errors[:_ERRORS_KEPT],
            usage=usage,
            contention=str(busy),
            load_warnings=warnings,
            legs=legs.figures(),
        )
        self.report(f"{tag}: {_result_line(run)}")
        for warning in run.load_warnings:
            self.report(f"{tag}: warning: {warning}")
        return run

    def _roots(self, stack: LocalStack) -> dict[str, int]:
        roots = {"http": stack.server.proc.pid, "consumer": stack.consumer.proc.pid}
        # The broker and Redis are ours to watch only when this run started them.
        if stack.devstack.broker is not None and stack.devstack.broker.pid is not None:
            roots["broker"] = stack.devstack.broker.pid
        if stack.devstack.redis is not None and stack.devstack.redis.pid is not None:
            roots["redis"] = stack.devstack.redis.pid
        return roots

    def _save_logs(self, name: str, stack: LocalStack, load: subprocess.CompletedProcess | None) -> None:
        out = self.options.out
        if load is not None:
            (out / f"{name}.locust.log").write_text(f"{load.stdout}\n{load.stderr}", encoding="utf-8")
        parts = [f"--- {p.name}\n{p.output}\n" for p in (stack.consumer, stack.server) if p is not None]
        if parts:
            (out / f"{name}.stack.log").write_text("".join(parts), encoding="utf-8")


def _read_results(
    scenario: Scenario, results: Path, load: subprocess.CompletedProcess | None
) -> tuple[Metrics, LegTimes, list[str]]:
    """vegeta's metrics of the run's results file, the legs of its requests, and Locust's warnings."""
    output = "" if load is None else f"{load.stdout}\n{load.stderr}"
    if not results.exists():
        raise ExperimentError(f"{scenario.name}: Locust wrote no results; its output ends:\n{output[-3000:]}")
    metrics, legs = Metrics(), LegTimes()
    try:
        with results.open("rb") as stream:
            for result in decode(stream, str(results)):
                metrics.add(result)
                legs.add(result)
    except DecodeError as exc:
        raise ExperimentError(f"{scenario.name}: {results} does not decode: {exc}") from None
    metrics.close()
    warnings = _LOCUST_WARNING.findall(output)
    if metrics.requests != scenario.requests:
        warnings.append(f"{metrics.requests} results for {scenario.requests} planned requests")
    return metrics, legs, warnings


def _warm_up(base_url: str) -> None:
    for _ in range(_WARM_UP_REQUESTS):
        try:
            with urllib.request.urlopen(f"{base_url}/health", timeout=5) as response:
                response.read()
        except (urllib.error.URLError, OSError):
            continue  # a process still connecting answers 503; the load will find it ready or not


def _machine() -> dict:
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "load average at start": load}


def _result_line(run: RunFigures) -> str:
    u = run.usage
    return (
        f"{run.requests} requests, {run.rate:.2f} req/s, success {run.success * 100:.2f} %, "
        f"p50 {duration_text(run.p50)} p95 {duration_text(run.p95)} p99 {duration_text(run.p99)} "
        f"max {duration_text(run.max)}; CPU-s/1k req http {run.per_1k('http'):.3f} consumer "
        f"{run.per_1k('consumer'):.3f} Locust {run.per_1k('loadgen'):.3f}; Redis conns http "
        f"{u.redis_peak.get('http', 0)} ({u.redis_process_peak.get('http', 0)} per process) worker "
        f"{u.redis_peak.get('consumer', 0)}; peak RSS http {u.rss_peak_mib.get('http', 0):.0f} MiB "
        f"worker {u.rss_peak_mib.get('consumer', 0):.0f} MiB"
    )
