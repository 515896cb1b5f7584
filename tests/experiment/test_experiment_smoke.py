"""``manage.py experiment --set smoke`` end to end, against a private broker, Redis and port."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.devstack import Broker, RedisServer, free_port
from bridge.vegeta.codecs import decode

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def stack_env() -> Iterator[dict[str, str]]:
    """The environment of an experiment that finds its own broker and Redis on free loopback ports."""
    broker, store = Broker("127.0.0.1", free_port()), RedisServer("127.0.0.1", free_port())
    try:
        broker.start(timeout=15)
        store.start(timeout=15)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIDGE_", "KAFKA_", "REDIS_", "LOCUST_"))}
        env.update(
            {
                "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
                "REDIS_URL": store.url,
                "DJANGO_SECRET_KEY": "experiment-smoke-test",
                "PYTHONUNBUFFERED": "1",
            }
        )
        yield env
    finally:
        store.stop()
        broker.stop()


def test_smoke_set_writes_results_and_summary(stack_env, tmp_path):
    argv = [sys.executable, "manage.py", "experiment", "--set", "smoke", "--port", str(free_port()), "--out"]
    done = subprocess.run(
        [*argv, str(tmp_path)], cwd=ROOT, env=stack_env, capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[1/1] smoke: sending 100 req/s for 3 s" in done.stdout

    with (tmp_path / "smoke.bin").open("rb") as stream:
        results = list(decode(stream, "smoke.bin"))
    assert len(results) == 300
    assert all(r.code == 200 for r in results)
    assert sorted(r.seq for r in results) == list(range(300))

    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    (smoke,) = summary["runs"]
    assert smoke["name"] == "smoke"
    assert smoke["planned"] == smoke["requests"] == 300
    assert smoke["success"] == 1.0 and smoke["status_codes"] == {"200": 300}
    assert 0 < smoke["p50"] <= smoke["p95"] <= smoke["p99"] <= smoke["max"]
    assert smoke["usage"]["samples"] >= 2
    assert smoke["usage"]["redis_peak"]["http"] >= 1 and smoke["usage"]["redis_peak"]["consumer"] >= 1

    markdown = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "| smoke | pubsub | async | none | 1 | 100 |" in markdown
    assert "100.00 %" in markdown
