"""What the bridge's processes use while a run is under way, sampled in a background thread.

A :class:`Sampler` watches process trees by role (``http``: the ``serve``
process and its daphne children; ``consumer``; the broker and Redis when the
run started them), every ``interval`` seconds from :meth:`~Sampler.start` to
:meth:`~Sampler.stop`:

- CPU seconds per role over the window (a process that appears later, such as
  a restarted daphne child, counts from zero);
- peak RSS per role (the tree's sum at one sample), and the peaks of the first
  and second half of the window, so growth can be told from a plateau;
- the machine's TCP listen-queue drops (``ListenDrops`` of ``/proc/net/netstat``):
  a connection dropped there waits for a SYN retransmit, 1 s or more; the
  counter is machine-wide, so another process's drops count too;
- Redis connections per role from ``CLIENT LIST``, grouped by the name prefix
  the bridge gives them (``bridge-http-<pid>``, ``bridge-worker-<pid>``) and
  counted only for pids of the watched tree, so another team's bridge on the
  same Redis is not counted.

The load generator's CPU is what this process's reaped children used during
the window (Locust runs as our child and is reaped before :meth:`stop`);
``other`` is the machine's busy time that none of the above explains.
"""

from __future__ import annotations

import itertools
import resource
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import psutil
import redis

MIB = 1024 * 1024

#: The ``CLIENT LIST`` name prefix of each role's Redis connections (see ``bridge.config.client_name``).
CONNECTION_PREFIXES = {"http": "bridge-http-", "consumer": "bridge-worker-"}


@dataclass
class Usage:
    """What the watched processes used in one window; CPU in seconds, memory in MiB."""

    seconds: float
    cpu: dict[str, float]
    rss_peak_mib: dict[str, float]
    rss_halves_mib: dict[str, tuple[float, float]]
    redis_peak: dict[str, int]
    redis_process_peak: dict[str, int]
    samples: int
    redis_misses: int = 0
    listen_drops: int = 0
    series: list[dict] = field(default_factory=list, repr=False)


@dataclass(frozen=True)
class Contention:
    """CPU used by processes outside this experiment over a short look, in percent of one core."""

    percent: float
    top: tuple[str, ...]

    def __str__(self) -> str:
        if not self.top:
            return f"{self.percent:.0f} % of a core elsewhere"
        return f"{self.percent:.0f} % of a core elsewhere ({', '.join(self.top)})"


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def _machine_busy() -> float:
    times = psutil.cpu_times()
    idle = times.idle + getattr(times, "iowait", 0.0) + getattr(times, "steal", 0.0)
    return sum(times) - idle


def _reaped_children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def listen_drops(netstat: str = "/proc/net/netstat") -> int:
    """The machine's count of connections dropped because a listen queue was full (0 where unknown)."""
    try:
        with open(netstat, encoding="ascii") as stats:
            lines = stats.read().splitlines()
    except OSError:
        return 0
    for names, values in itertools.pairwise(lines):
        if names.startswith("TcpExt:") and values.startswith("TcpExt:"):
            fields = dict(zip(names.split()[1:], values.split()[1:], strict=False))
            return int(fields.get("ListenDrops", 0))
    return 0


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Sampler:
    """Samples the process trees rooted at ``roots`` (role → pid) and the Redis at ``redis_url``.

    At most ``max_samples`` samples are taken, so a forgotten sampler stops by itself.
    """

    def __init__(
        self, roots: Mapping[str, int], redis_url: str, interval: float = 0.5, max_samples: int = 7200
    ) -> None:
        self.roots = dict(roots)
        self.interval = interval
        self.max_samples = max_samples
        self._redis = redis.Redis.from_url(
            redis_url, socket_connect_timeout=1.0, socket_timeout=2.0, client_name="experiment-sampler"
        )
        self._procs: dict[int, psutil.Process] = {}
        self._baseline: dict[int, float] = {}  # CPU seconds of a pid when first seen
        self._last: dict[int, tuple[str, float]] = {}  # pid -> (role, CPU seconds at its last sample)
        self._series: list[dict] = []
        self._redis_misses = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._began = 0.0
        self._start_marks: tuple[float, float, float] = (0.0, 0.0, 0.0)
        self._drops = 0

    def start(self) -> None:
        """Take the first sample (the CPU baseline) and keep sampling in a background thread."""
        self._began = time.monotonic()
        self._start_marks = (_machine_busy(), _reaped_children_cpu(), _own_cpu())
        self._drops = listen_drops()
        self._sample(first=True)
        self._thread = threading.Thread(target=self._loop, name="experiment-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> Usage:
        """Stop sampling, take a last sample, and sum up the window."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.interval + 5.0)
        self._sample()
        seconds = time.monotonic() - self._began
        machine0, children0, own0 = self._start_marks
        cpu = {role: 0.0 for role in self.roots}
        for pid, (role, last) in self._last.items():
            cpu[role] += last - self._baseline[pid]
        cpu["loadgen"] = _reaped_children_cpu() - children0
        cpu["experiment"] = _own_cpu() - own0
        cpu["machine"] = _machine_busy() - machine0
        cpu["other"] = max(0.0, cpu["machine"] - sum(v for k, v in cpu.items() if k != "machine"))
        self._redis.close()
        return Usage(
            seconds=seconds,
            cpu=cpu,
            rss_peak_mib={role: max((s["rss"][role] for s in self._series), default=0.0) for role in self.roots},
            rss_halves_mib={role: self._halves(role) for role in self.roots},
            redis_peak={role: max((s["redis"][role] for s in self._series), default=0) for role in CONNECTION_PREFIXES},
            redis_process_peak={
                role: max((s["redis_per_process"][role] for s in self._series), default=0)
                for role in CONNECTION_PREFIXES
            },
            samples=len(self._series),
            redis_misses=self._redis_misses,
            listen_drops=listen_drops() - self._drops,
            series=self._series,
        )

    def _loop(self) -> None:
        while not self._stop.wait(self.interval) and len(self._series) < self.max_samples:
            self._sample()

    def _halves(self, role: str) -> tuple[float, float]:
        middle = len(self._series) // 2
        first = [s["rss"][role] for s in self._series[:middle]]
        second = [s["rss"][role] for s in self._series[middle:]]
        return max(first, default=0.0), max(second, default=0.0)

    def _tree(self, root: int) -> list[psutil.Process]:
        try:
            top = self._procs.get(root) or psutil.Process(root)
            tree = [top, *top.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []
        # Cached objects: psutil then notices a reused pid instead of mixing two processes.
        return [self._procs.setdefault(p.pid, p) for p in tree]

    def _sample(self, first: bool = False) -> None:
        pids: dict[str, set[int]] = {}
        rss: dict[str, float] = {}
        cpu: dict[str, float] = {}
        for role, root in self.roots.items():
            pids[role], rss[role], cpu[role] = set(), 0.0, 0.0
            for process in self._tree(root):
                try:
                    used = _cpu(process)
                    resident = process.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
                # A process first seen after the start began within the window: count it from zero.
                self._baseline.setdefault(process.pid, used if first else 0.0)
                self._last[process.pid] = (role, used)
                pids[role].add(process.pid)
                rss[role] += resident / MIB
                cpu[role] += used - self._baseline[process.pid]
        total, per_process = self._connections(pids)
        self._series.append(
            {
                "t": round(time.monotonic() - self._began, 3),
                "cpu": {k: round(v, 3) for k, v in cpu.items()},
                "rss": {k: round(v, 1) for k, v in rss.items()},
                "redis": total,
                "redis_per_process": per_process,
            }
        )

    def _connections(self, pids: dict[str, set[int]]) -> tuple[dict[str, int], dict[str, int]]:
        counts: dict[str, dict[int, int]] = {role: {} for role in CONNECTION_PREFIXES}
        try:
            clients = self._redis.client_list()
        except (redis.RedisError, OSError):
            self._redis_misses += 1
            clients = []
        for client in clients:
            name = client.get("name", "")
            for role, prefix in CONNECTION_PREFIXES.items():
                if not name.startswith(prefix):
                    continue
                pid = name[len(prefix) :]
                if pid.isdigit() and int(pid) in pids.get(role, ()):
                    counts[role][int(pid)] = counts[role].get(int(pid), 0) + 1
        total = {role: sum(by_pid.values()) for role, by_pid in counts.items()}
        per_process = {role: max(by_pid.values(), default=0) for role, by_pid in counts.items()}
        return total, per_process


def contention(interval: float = 1.0, top: int = 3) -> Contention:
    """CPU that processes other than this one and its descendants use over ``interval`` seconds."""
    me = psutil.Process()
    ours = {me.pid, *(p.pid for p in me.children(recursive=True))}
    watched = []
    for process in psutil.process_iter(["name"]):
        if process.pid in ours:
            continue
        try:
            process.cpu_percent(None)
        except psutil.Error:
            continue
        watched.append(process)
    time.sleep(interval)
    busy = []
    for process in watched:
        try:
            percent = process.cpu_percent(None)
        except psutil.Error:
            continue
        if percent > 0:
            busy.append((percent, process.pid, process.info["name"]))
    busy.sort(reverse=True)
    return Contention(
        percent=sum(p for p, _, _ in busy),
        top=tuple(f"{name} {pid} {percent:.0f} %" for percent, pid, name in busy[:top] if percent >= 5),
    )
