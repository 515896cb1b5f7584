"""The experiment's figures per run, the goals' verdicts, and the summary as Markdown and JSON.

Pure: a :class:`RunFigures` is what the runner measured for one scenario;
:class:`LegTimes` splits each request's latency at the times the worker's
reply carries; the functions here judge runs against ``scenarios.GOALS`` and
``scenarios.RESOURCE_GOAL`` and render them.  Latencies are shown with
vegeta's own rounding (``vegeta report``'s text), rates with its two decimals.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from bridge.experiment.sampler import Usage
from bridge.experiment.scenarios import GOALS, RESOURCE_GOAL, Scenario, Verdict
from bridge.vegeta.report import format_duration, round_duration
from bridge.vegeta.result import Result


def duration_text(ns: int) -> str:
    """A latency as ``vegeta report`` prints it (``12.345ms``, ``4.123s``)."""
    return format_duration(round_duration(ns))


#: The legs of a request, told apart by the times in the worker's reply (``RequestedAt``: the view
#: built the request; ``ProcessedAt``: the worker wrote the reply); all clocks are this machine's.
LEGS = ("client to view", "view to worker", "worker to client")


class LegTimes:
    """Collects each successful request's legs (see :data:`LEGS`) from its reply body; times in ms."""

    def __init__(self) -> None:
        self._legs: list[list[float]] = [[] for _ in LEGS]

    def add(self, result: Result) -> None:
        """Account for one result; failures and bodies without both times are skipped."""
        if not result.ok:
            return
        try:
            doc = json.loads(result.body)
            requested = _unix(doc["RequestedAt"])
            processed = _unix(doc["ProcessedAt"])
        except (ValueError, KeyError, TypeError):
            return
        start = result.timestamp / 1e9
        end = start + result.latency / 1e9
        for leg, seconds in zip(self._legs, (requested - start, processed - requested, end - processed), strict=True):
            leg.append(seconds * 1000)

    def figures(self) -> dict[str, tuple[float, float]]:
        """Each leg's exact p50 and p99 in ms; empty when no body had both times."""
        if not self._legs[0]:
            return {}
        return {
            name: (_quantile(times, 0.50), _quantile(times, 0.99)) for name, times in zip(LEGS, self._legs, strict=True)
        }


def _unix(rfc3339: str) -> float:
    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


@dataclass
class RunFigures:
    """One finished run: its scenario, vegeta's figures, and what the processes used.

    Latencies are nanoseconds; ``rate`` is vegeta's (requests over the span of
    their starts) and ``success`` a ratio.  ``planned`` is how many requests
    the schedule held; ``requests`` how many results came back.
    """

    scenario: Scenario
    processes: int
    load_processes: int
    topic: str
    planned: int
    requests: int
    rate: float
    success: float
    p50: int
    p95: int
    p99: int
    max: int
    status_codes: dict[str, int]
    errors: list[str]
    usage: Usage
    contention: str = ""
    load_warnings: list[str] = field(default_factory=list)
    #: p50 and p99 in ms of each of :data:`LEGS` (successful requests only).
    legs: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.scenario.name

    def per_1k(self, role: str) -> float:
        """CPU seconds ``role`` used per 1,000 requests of the run."""
        if not self.requests:
            return 0.0
        return self.usage.cpu.get(role, 0.0) * 1000 / self.requests


# --- verdicts ----------------------------------------------------------------


def run_verdict(run: RunFigures) -> Verdict | None:
    """The run's own latency goal (A, B or a D step), or None when its scenario has none."""
    goal = GOALS.get(run.scenario.goal or "")
    if goal is None:
        return None
    verdict = goal.judge(run.success, run.p99, duration_text(run.p99))
    return Verdict(f"{goal.key} {run.name}", verdict.met, verdict.figure)


def resource_verdict(runs: list[RunFigures]) -> Verdict | None:
    """Goal C over the runs of goals A, B and C: connections per HTTP process, the consumer's pool, memory under B.

    None when there is no such run.
    """
    goal = RESOURCE_GOAL
    judged = [run for run in runs if run.scenario.goal in ("A", "B", "C")]
    if not judged:
        return None
    per_process = max(run.usage.redis_process_peak.get("http", 0) for run in judged)
    workers = [run.usage.redis_peak.get("consumer", 0) for run in judged]
    rates = sorted({f"{run.scenario.rate:g}" for run in judged}, key=float)
    met = per_process <= goal.http_per_process and max(workers) <= goal.worker
    parts = [
        f"HTTP: peak {per_process} Redis connections per process over {len(judged)} runs at {'/'.join(rates)} req/s "
        f"(≤ {goal.http_per_process})",
        f"consumer: peak {min(workers)}-{max(workers)} (≤ {goal.worker})",
    ]
    for run in (run for run in judged if run.scenario.goal == "B"):
        growth = []
        for role in ("http", "consumer"):
            first, second = run.usage.rss_halves_mib.get(role, (0.0, 0.0))
            bounded = second <= first * (1 + goal.rss_growth) + goal.rss_slack_mib
            met = met and bounded
            growth.append(f"{role} {first:.0f}→{second:.0f} MiB{'' if bounded else ' (still growing)'}")
        parts.append(f"peak RSS under B, first→second half: {', '.join(growth)}")
    if not any(run.scenario.goal == "B" for run in judged):
        parts.append("memory not judged: no B run")
    return Verdict(goal.key, met, "; ".join(parts))


def ramp_verdict(runs: list[RunFigures], ramp: str = "D") -> Verdict | None:
    """The highest rate of the ramp's steps that met their goal before the first one missed it."""
    steps = [run for run in runs if run.scenario.ramp == ramp]
    if not steps:
        return None
    best: RunFigures | None = None
    for step in steps:
        verdict = run_verdict(step)
        if verdict is None or not verdict.met:
            failed = f"{step.scenario.rate:g} req/s missed: {verdict.figure if verdict else 'no goal'}"
            if best is None:
                return Verdict(ramp, False, f"no step passed; {failed}")
            return Verdict(ramp, True, f"highest passing rate {best.scenario.rate:g} req/s; {failed}")
        best = step
    assert best is not None
    return Verdict(ramp, True, f"highest passing rate {best.scenario.rate:g} req/s (every step run passed)")


def verdicts(runs: list[RunFigures]) -> list[Verdict]:
    """Every verdict for ``runs``: one per run with a latency goal, then C and the D ramp."""
    found = [v for v in map(run_verdict, runs) if v is not None]
    found += [v for v in (resource_verdict(runs), ramp_verdict(runs)) if v is not None]
    return found


def best_processes(runs: list[RunFigures]) -> int | None:
    """The HTTP process count that served goal A best, or None unless A ran with more than one count.

    Best: meets the goal, then the lower p99, then the less HTTP CPU per request.
    """
    a_runs = [run for run in runs if run.scenario.goal == "A"]
    if len({run.processes for run in a_runs}) < 2:
        return None

    def rank(run: RunFigures) -> tuple[bool, int, float]:
        verdict = run_verdict(run)
        return (not (verdict and verdict.met), run.p99, run.per_1k("http"))

    return min(a_runs, key=rank).processes


# --- rendering ---------------------------------------------------------------


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


RESULT_HEADER = [
    "scenario",
    "wait",
    "consumer",
    "delay",
    "HTTP procs",
    "target req/s",
    "achieved req/s",
    "success",
    "p50",
    "p95",
    "p99",
    "max",
    "CPU-s/1k req http",
    "CPU-s/1k req consumer",
    "Redis conns http (per proc)",
    "Redis conns worker",
    "peak RSS MiB http",
    "peak RSS MiB worker",
]


def result_row(run: RunFigures) -> list[str]:
    """One row of the results table."""
    s, u = run.scenario, run.usage
    return [
        s.name,
        s.wait,
        s.mode,
        s.delay_text,
        str(run.processes),
        f"{s.rate:g}",
        f"{run.rate:.2f}",
        f"{run.success * 100:.2f} %",
        duration_text(run.p50),
        duration_text(run.p95),
        duration_text(run.p99),
        duration_text(run.max),
        f"{run.per_1k('http'):.3f}",
        f"{run.per_1k('consumer'):.3f}",
        f"{u.redis_peak.get('http', 0)} ({u.redis_process_peak.get('http', 0)})",
        str(u.redis_peak.get("consumer", 0)),
        f"{u.rss_peak_mib.get('http', 0.0):.0f}",
        f"{u.rss_peak_mib.get('consumer', 0.0):.0f}",
    ]


CPU_HEADER = [
    "scenario",
    "http",
    "consumer",
    "broker",
    "redis",
    "Locust",
    "other",
    "machine busy (cores)",
    "listen drops",
    "Locust procs",
    "before the run",
]


def cpu_row(run: RunFigures) -> list[str]:
    """One row of the CPU table: seconds per 1,000 requests by component, and how busy the machine was."""
    u = run.usage
    roles = ("http", "consumer", "broker", "redis", "loadgen", "other")
    cells = [f"{run.per_1k(role):.3f}" if role in u.cpu else "-" for role in roles]
    cores = u.cpu.get("machine", 0.0) / u.seconds if u.seconds else 0.0
    return [run.name, *cells, f"{cores:.2f}", str(u.listen_drops), str(run.load_processes), run.contention or "-"]


def legs_row(run: RunFigures) -> list[str]:
    """One row of the legs table: p50 / p99 in ms of each leg."""
    return [run.name, *(f"{run.legs[leg][0]:.1f} / {run.legs[leg][1]:.1f}" if leg in run.legs else "-" for leg in LEGS)]


def render_markdown(summary: Summary) -> str:
    """The whole ``summary.md``."""
    parts = [f"# Experiment `{summary.set_name}`, {summary.started}", ""]
    parts += [f"Machine: {summary.machine_text()}.", ""]
    parts += [_table(RESULT_HEADER, [result_row(run) for run in summary.runs]), ""]
    parts += [
        "Latencies and rates as `vegeta report` prints them; CPU of the HTTP side is the whole `serve` tree; "
        "Redis connections are peaks of `CLIENT LIST` sampled every 0.5 s; RSS is the peak of each side's "
        "process tree. Listen drops: connections the kernel dropped because a listen queue was full "
        "(machine-wide); each waits for a SYN retransmit, 1 s or more.",
        "",
    ]
    found = verdicts(summary.runs)
    if found:
        parts += ["## Goals", ""]
        parts += [f"- **{v.goal}**: {v.word} — {v.figure}" for v in found]
        parts.append("")
    parts += ["## Where the CPU went (CPU-seconds per 1,000 requests)", ""]
    parts += [_table(CPU_HEADER, [cpu_row(run) for run in summary.runs]), ""]
    if any(run.legs for run in summary.runs):
        parts += ["## Where the time went (ms, p50 / p99, exact, successful requests)", ""]
        parts += [_table(["scenario", *LEGS], [legs_row(run) for run in summary.runs]), ""]
        parts += [
            "client to view: Locust's start to the view building the request (Locust, network, daphne, Django); "
            "view to worker: Kafka produce, broker, consumer fetch, synthetic delay; worker to client: Redis write "
            "and publish, the waiting view, the response, Locust reading it.",
            "",
        ]
    notes = list(summary.notes)
    notes += [f"{run.name}: {warning}" for run in summary.runs for warning in run.load_warnings]
    notes += [f"{run.name}: errors: {'; '.join(run.errors)}" for run in summary.runs if run.errors]
    notes += [f"{name}: skipped (its ramp had ended)" for name in summary.skipped]
    if notes:
        parts += ["## Notes", ""]
        parts += [f"- {note}" for note in notes]
        parts.append("")
    return "\n".join(parts)


@dataclass
class Summary:
    """The runs of one invocation so far, with what the reader needs to weigh them."""

    set_name: str
    started: str
    machine: dict
    runs: list[RunFigures] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def machine_text(self) -> str:
        m = self.machine
        return ", ".join(f"{key} {value}" for key, value in m.items())

    def as_dict(self) -> dict:
        """Everything, verdicts included, as plain data for ``summary.json``."""
        runs = []
        for run in self.runs:
            data = asdict(run)
            data["name"] = run.name
            data["cpu_per_1k"] = {role: run.per_1k(role) for role in run.usage.cpu}
            verdict = run_verdict(run)
            data["verdict"] = None if verdict is None else {"met": verdict.met, "figure": verdict.figure}
            runs.append(data)
        return {
            "set": self.set_name,
            "started": self.started,
            "machine": self.machine,
            "runs": runs,
            "skipped": self.skipped,
            "goals": [{"goal": v.goal, "met": v.met, "figure": v.figure} for v in verdicts(self.runs)],
            "notes": self.notes,
        }

    def write(self, out: Path) -> tuple[Path, Path]:
        """Write ``summary.md`` and ``summary.json`` into ``out``; return their paths."""
        markdown, data = out / "summary.md", out / "summary.json"
        markdown.write_text(render_markdown(self), encoding="utf-8")
        data.write_text(json.dumps(self.as_dict(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        return markdown, data
