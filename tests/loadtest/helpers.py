"""Real processes for load-generator tests: a daphne app on a free port, and headless locust runs.

``run_locust`` runs the project's locustfile against any base URL, so a test
against the full bridge stack needs only its own host::

    done = run_locust("http://127.0.0.1:18080", rps=200, dur="5s", out=tmp_path / "r.gob")
    results = read_results(tmp_path / "r.gob")
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from bridge.durations import parse_duration
from bridge.vegeta.codecs import decode
from bridge.vegeta.result import Result

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # the virtualenv running pytest holds daphne and locust too
REPORT_HEADER = "Requests      [total, rate, throughput]"
_SENT = re.compile(r"open model \(([^)]*)\): sent (\d+) of (\d+) planned requests")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def daphne(app: str, ready_within: float = 20.0) -> Iterator[str]:
    """Serve the ASGI ``app`` ("module:attribute") with daphne on a free port; yield its base URL.

    The server is stopped (SIGTERM, then SIGKILL after 5 s) when the block ends.
    """
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), app],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + ready_within
        while not _accepts(port):
            if server.poll() is not None:
                raise RuntimeError(f"daphne {app} exited with {server.returncode}: {server.stderr.read()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"daphne {app} not listening on port {port} within {ready_within} s")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)
        server.stderr.close()


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def run_locust(
    host: str,
    rps: float,
    dur: str,
    out: Path | str | None = None,
    processes: int = 1,
    fmt: str = "gob",
    extra: Sequence[str] = (),
    slack: float = 60.0,
) -> subprocess.CompletedProcess[str]:
    """Run ``locust -f locustfile.py --headless`` against ``host`` and return the finished process.

    ``out`` becomes ``--vegeta-out`` (with ``--vegeta-format fmt``); ``extra``
    adds options (``--timeout 1s``...).  The run is killed after ``dur`` plus
    ``slack`` seconds (``subprocess.TimeoutExpired``).
    """
    command = [str(BIN / "locust"), "-f", "locustfile.py", "--headless", "--host", host, "--rps", str(rps)]
    command += ["--dur", dur]
    if out is not None:
        command += ["--vegeta-out", str(out), "--vegeta-format", fmt]
    if processes > 1:
        command += ["--processes", str(processes)]
    command += list(extra)
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=parse_duration(dur) + slack, check=False
    )


def sent_count(done: subprocess.CompletedProcess[str]) -> tuple[int, int]:
    """``(sent, planned)`` as the run's summary line in its log (stderr) states them."""
    match = _SENT.search(done.stderr)
    if match is None:
        raise AssertionError(f"no 'open model (...): sent N of M' line in the log:\n{done.stderr[-3000:]}")
    return int(match.group(2)), int(match.group(3))


def read_results(path: Path | str) -> list[Result]:
    """Every Result in a vegeta file, its format detected."""
    with open(path, "rb") as stream:
        return list(decode(stream, str(path)))


def vegeta_rate(results: Sequence[Result]) -> float:
    """Requests per second as vegeta's report computes it: count over first-to-last start."""
    starts = [r.timestamp for r in results]
    return len(results) / ((max(starts) - min(starts)) / 1e9)
