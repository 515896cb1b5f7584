"""Real headless locust runs against a bare daphne app: counts, pace, one vegeta file, the report.

Each run takes its duration plus a few seconds of Locust start-up; pace is
asserted only as loosely as the brief asks (2 %), on a schedule of 200 req/s.
"""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.vegeta.result import Result
from tests.loadtest.helpers import REPORT_HEADER, daphne, read_results, run_locust, sent_count, vegeta_rate

pytestmark = pytest.mark.integration

RPS, DUR, SECONDS = 200, "5s", 5


@pytest.fixture(scope="module")
def echo() -> Iterator[str]:
    with daphne("tests.loadtest.echo_app:app") as url:
        yield url


def _check_complete_run(done: subprocess.CompletedProcess[str], host: str, out: Path) -> list[Result]:
    assert done.returncode == 0, done.stderr[-3000:]
    sent, planned = sent_count(done)
    assert sent == planned == RPS * SECONDS
    results = read_results(out)
    assert len(results) == sent
    assert sorted(r.seq for r in results) == list(range(sent))  # unique across processes, none missing
    assert {(r.code, r.error, r.method) for r in results} == {(200, "", "GET")}
    assert all(r.url.startswith(f"{host}/inquiry/") for r in results)
    assert vegeta_rate(results) == pytest.approx(RPS, rel=0.02)
    assert "behind schedule" not in done.stderr
    # stdout is vegeta's text report alone (Locust logs and prints its statistics on stderr)
    assert done.stdout.startswith(f"{REPORT_HEADER}         {sent}, ")
    assert done.stdout.rstrip().endswith("Error Set:")
    assert "Response time percentiles" in done.stderr
    return results


def test_one_process_sends_every_request_on_schedule(echo: str, tmp_path: Path) -> None:
    out = tmp_path / "results.gob"
    results = _check_complete_run(run_locust(echo, rps=RPS, dur=DUR, out=out), echo, out)
    for r in results[:10]:
        assert json.loads(r.body)["ID"] == r.url.rsplit("/", 1)[1]  # the echo answered this very request
        assert r.headers["Content-Type"] == ["application/json"]
        assert r.bytes_in == len(r.body)


def test_two_processes_write_one_complete_file(echo: str, tmp_path: Path) -> None:
    out = tmp_path / "results.gob"
    _check_complete_run(run_locust(echo, rps=RPS, dur=DUR, out=out, processes=2), echo, out)
    assert out.read_bytes().count(b"Result") == 1  # a single gob stream: the type is defined once


def test_non_2xx_answers_keep_code_and_status_text(echo: str, tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = run_locust(f"{echo}/status/504", rps=20, dur="1s", out=out, fmt="json")
    results = read_results(out)
    assert len(results) == sent_count(done)[0] == 20
    assert {(r.code, r.error) for r in results} == {(504, "504 Gateway Time-out")}
    assert all(r.url == f"{echo}/status/504/inquiry/{json.loads(r.body)['ID']}" for r in results)
    assert "504:20" in done.stdout


def test_no_answer_within_the_timeout_is_code_0(tmp_path: Path) -> None:
    with socket.socket() as silent:  # listens, never answers: connections wait in the backlog
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        host = f"http://127.0.0.1:{silent.getsockname()[1]}"
        out = tmp_path / "results.csv"
        done = run_locust(host, rps=10, dur="1s", out=out, fmt="csv", extra=["--timeout", "500ms"])
    results = read_results(out)
    assert len(results) == sent_count(done)[0] == 10
    for r in results:
        assert r.code == 0
        assert r.error == f'Get "{r.url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
        assert r.latency >= 500_000_000
    assert done.returncode == 1  # Locust's exit code when requests failed


def test_refused_connections_are_code_0(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: connecting is refused
        out = tmp_path / "results.gob"
        done = run_locust(f"http://127.0.0.1:{port}", rps=10, dur="1s", out=out)
    results = read_results(out)
    assert len(results) == sent_count(done)[0] == 10
    assert {r.error.split(": ", 1)[1] for r in results} == {f"dial tcp 127.0.0.1:{port}: connect: connection refused"}
