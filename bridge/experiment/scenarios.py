"""The experiment's runs as data: scenarios, the named sets they form, and the goals they are judged by.

A :class:`Scenario` is one run: a rate for a duration against one
configuration of the bridge.  :data:`SETS` names tuples of scenarios;
:func:`expand` turns a set name and the command's ``--dur`` and
``--processes`` into the list the runner works through.  Nothing here
starts a process.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bridge.durations import parse_duration
from bridge.loadtest.pacing import requests_in

#: HTTP processes when ``--processes auto`` and this invocation has not compared 1 and 2 itself.
#: Measured on the 2-core machine with set A, twice: 1 process had p99 524 / 181 ms against 837 / 383 ms
#: for 2, at a third of the memory; the second process only adds contention for the same two cores.
AUTO_PROCESSES = 1

#: The HTTP process counts set A compares under ``--processes auto``.
COMPARED_PROCESSES = (1, 2)

#: Above this rate ``--load-processes auto`` splits Locust across two processes.
#: One process sustains about 1,000 req/s (FACTS.md); past that it falls behind schedule.
ONE_LOAD_PROCESS_UP_TO = 1000.0

#: The seed's synthetic consumer delay for the "with delay" runs, in seconds.
SEED_DELAY = (3.0, 5.0)


class UnknownSet(ValueError):
    """The set name is not one of :data:`SETS`."""


@dataclass(frozen=True)
class Scenario:
    """One run: ``rate`` requests per second for ``duration`` seconds against one bridge configuration.

    ``processes`` of ``None`` means "auto" (decided by the runner).  Runs that
    share a ``ramp`` key form a ramp: the runner skips the rest once one
    misses its goal.  ``compare_processes`` asks :func:`expand` to run the
    scenario once per count in :data:`COMPARED_PROCESSES` under auto.
    """

    name: str
    rate: float
    duration: float
    wait: str = "pubsub"
    sync: bool = False
    delay: tuple[float, float] | None = None
    processes: int | None = None
    goal: str | None = None
    ramp: str | None = None
    compare_processes: bool = False
    # The seed's BRIDGE_TIMEOUT: how long the HTTP side waits for a reply.
    timeout: float = 10.0
    #: Extra environment of the bridge's processes (``(("BRIDGE_FETCH_WAIT_MS", "5"),)``), for tuning runs.
    env: tuple[tuple[str, str], ...] = ()

    @property
    def mode(self) -> str:
        """How the consumer handles messages: ``"sync"`` (one at a time) or ``"async"``."""
        return "sync" if self.sync else "async"

    @property
    def delay_text(self) -> str:
        """The consumer's synthetic delay as the table shows it: ``"3s-5s"`` or ``"none"``."""
        if self.delay is None:
            return "none"
        low, high = self.delay
        return f"{low:g}s" if low == high else f"{low:g}s-{high:g}s"

    @property
    def requests(self) -> int:
        """How many requests the run sends (vegeta's ``rate x duration``)."""
        return requests_in(self.rate, self.duration)

    def consumer_args(self, group: str) -> tuple[str, ...]:
        """``manage.py runconsumer`` options for this scenario, in consumer group ``group``."""
        args = ["--group", group, "--sync" if self.sync else "--async"]
        if self.delay is not None:
            args += ["--min-delay", f"{self.delay[0]:g}s", "--max-delay", f"{self.delay[1]:g}s"]
        return tuple(args)


@dataclass(frozen=True)
class Verdict:
    """Whether a goal was met, and the figure that decided it, in words."""

    goal: str
    met: bool
    figure: str

    @property
    def word(self) -> str:
        return "MET" if self.met else "MISSED"

    def __str__(self) -> str:
        return f"{self.goal}: {self.word} ({self.figure})"


@dataclass(frozen=True)
class LatencyGoal:
    """A run meets it with at least ``min_success`` of its requests successful and p99 at most ``max_p99`` s."""

    key: str
    text: str
    max_p99: float
    min_success: float = 1.0

    def judge(self, success: float, p99_ns: int, p99_text: str) -> Verdict:
        """The verdict for a run with success ratio ``success`` and p99 ``p99_ns`` (shown as ``p99_text``)."""
        met = success >= self.min_success and p99_ns <= self.max_p99 * 1e9
        needs = f"needs {self.min_success * 100:.2f} %, ≤ {self.max_p99:g} s"
        figure = f"success {success * 100:.2f} %, p99 {p99_text} ({needs})"
        return Verdict(self.key, met, figure)


@dataclass(frozen=True)
class ResourceGoal:
    """Goal C: Redis connections per HTTP process and of the consumer stay small, memory stops growing."""

    key: str = "C"
    text: str = (
        "at most 2 Redis connections per HTTP process at any load; the consumer a small fixed pool (≤ 3); "
        "memory of both bounded under B"
    )
    http_per_process: int = 2
    worker: int = 3
    # Under B, the peak RSS of the run's second half may exceed the first half's by this fraction
    # plus ``rss_slack_mib``: in-flight work is steady by mid-run, so more growth means a leak.
    rss_growth: float = 0.10
    rss_slack_mib: float = 8.0


GOALS: dict[str, LatencyGoal] = {
    "A": LatencyGoal("A", "1000 req/s for 60 s, no consumer delay: 100.00 % success, p99 ≤ 50 ms", 0.050),
    "B": LatencyGoal("B", "1000 req/s for 60 s, consumer delay 3-5 s: 100.00 % success, p99 ≤ 5.1 s", 5.1),
    "D": LatencyGoal("D", "a ramp step passes with 100.00 % success and p99 ≤ 100 ms", 0.100),
}
RESOURCE_GOAL = ResourceGoal()


def _e_set() -> tuple[Scenario, ...]:
    """The seed's experiment: wait strategy x consumer mode x rate x delay, 20 s each."""
    runs = []
    for wait in ("poll", "pubsub"):
        for sync in (False, True):
            for rate in (100, 500):
                for delay in (None, SEED_DELAY):
                    name = f"e-{wait}-{'sync' if sync else 'async'}-{rate}rps-{'delay' if delay else 'nodelay'}"
                    runs.append(Scenario(name, rate, 20.0, wait=wait, sync=sync, delay=delay))
    return tuple(runs)


_A = Scenario("a-pubsub-1000rps", 1000, 60.0, goal="A", compare_processes=True)
_B = Scenario("b-pubsub-1000rps-delay", 1000, 60.0, delay=SEED_DELAY, goal="B")
# Goal C compares connections at low and high load: this low-load run plus A and B.
_C_LOW = Scenario("c-pubsub-100rps", 100, 20.0, goal="C")
# Steps of 100 req/s from well below the knee measured on this machine (600-800 req/s) up to a
# ceiling no 2-core machine reaches; the ramp ends at the first step that misses.
_D = tuple(Scenario(f"d-{rate}rps", rate, 15.0, goal="D", ramp="D") for rate in range(400, 2401, 100))
_SEED = (
    Scenario("seed-poll-500rps", 500, 20.0, wait="poll"),
    Scenario("seed-pubsub-1000rps", 1000, 20.0),
    Scenario("seed-pubsub-1000rps-delay", 1000, 20.0, delay=SEED_DELAY),
)
_SMOKE = (Scenario("smoke", 100, 3.0),)


def _unique(*parts: tuple[Scenario, ...]) -> tuple[Scenario, ...]:
    seen: dict[str, Scenario] = {}
    for part in parts:
        for scenario in part:
            seen.setdefault(scenario.name, scenario)
    return tuple(seen.values())


SETS: dict[str, tuple[Scenario, ...]] = {
    "A": (_A,),
    "B": (_B,),
    "C": (_C_LOW, replace(_A, compare_processes=False), _B),
    "D": _D,
    "E": _e_set(),
    "goals": _unique((_A, _B, _C_LOW), _D),
    "seed": _SEED,
    "smoke": _SMOKE,
    "all": _unique((_A, _B, _C_LOW), _D, _e_set(), _SEED),
}


def expand(set_name: str, duration: str | None = None, processes: int | None = None) -> list[Scenario]:
    """The scenarios of ``set_name`` in run order.

    ``duration`` (a Go duration) replaces every scenario's duration.
    ``processes`` fixes the HTTP process count of every scenario; ``None``
    (auto) leaves it to the runner, except that a ``compare_processes``
    scenario becomes one run per count in :data:`COMPARED_PROCESSES`, named
    ``<name>-<n>proc``.  Raises :class:`UnknownSet` or ``ValueError`` (bad duration).
    """
    try:
        scenarios = SETS[set_name]
    except KeyError:
        raise UnknownSet(f"unknown set {set_name!r}: choose one of {', '.join(SETS)}") from None
    seconds = None if duration is None else parse_duration(duration)
    if seconds is not None and seconds <= 0:
        raise ValueError(f"duration {duration!r} must be greater than zero")
    runs = []
    for scenario in scenarios:
        if seconds is not None:
            scenario = replace(scenario, duration=seconds)
        if processes is not None:
            runs.append(replace(scenario, processes=processes))
        elif scenario.compare_processes:
            runs += [replace(scenario, name=f"{scenario.name}-{n}proc", processes=n) for n in COMPARED_PROCESSES]
        else:
            runs.append(scenario)
    return runs


def load_processes(rate: float, requested: int | None) -> int:
    """Locust processes for a run at ``rate``: ``requested`` if given, else 1 up to :data:`ONE_LOAD_PROCESS_UP_TO`."""
    if requested is not None:
        return requested
    return 1 if rate <= ONE_LOAD_PROCESS_UP_TO else 2
