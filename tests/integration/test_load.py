"""The load test against the whole bridge: Locust on the running stack, then vegeta's commands on its file."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bridge.processes import ROOT
from bridge.vegeta.report import render
from tests.loadtest.helpers import REPORT_HEADER, read_results, run_locust, sent_count, vegeta_rate

pytestmark = pytest.mark.integration


def _manage(*args: str, stdin: bytes | None = None) -> bytes:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, input=stdin, capture_output=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return done.stdout


def test_locust_against_the_bridge_writes_a_complete_vegeta_file(topic, env_for, launch, tmp_path):
    env = env_for(topic)
    launch.consumer(env)
    server = launch.daphne(env)
    out = tmp_path / "result.bin"
    done = run_locust(server.base, 200, "5s", out)
    assert done.returncode == 0, done.stderr[-3000:]
    assert REPORT_HEADER in done.stdout
    sent, planned = sent_count(done)
    assert sent == planned == 1000
    results = read_results(out)
    assert len(results) == sent
    assert all(r.code == 200 and json.loads(r.body)["ID"] == r.url.rsplit("/", 1)[1] for r in results)
    assert vegeta_rate(results) == pytest.approx(200, rel=0.02)

    # vegeta's commands on that file: the report is the library's, and re-encoding loses nothing.
    assert _manage("vegeta", "report", str(out)).decode() == render(results)
    as_json = _manage("vegeta", "encode", "-to=json", str(out))
    as_csv = _manage("vegeta", "encode", "-to=csv", stdin=as_json)
    back = tmp_path / "back.bin"
    back.write_bytes(_manage("vegeta", "encode", "-to=gob", stdin=as_csv))
    # Compared decoded: header keys travel in a different order through CSV, which sorts them.
    assert read_results(back) == results
    page = _manage("vegeta", "plot", str(out)).decode()
    assert page.startswith("<!DOCTYPE html>") and "</html>" in page
