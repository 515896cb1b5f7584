"""The request path end to end: real daphne, real runconsumer, real broker and Redis, over HTTP."""

from __future__ import annotations

import itertools
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest

from .processes import get

pytestmark = pytest.mark.integration


def _ask_many(base: str, ids: list[str], workers: int = 200):
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda i: (i, get(f"{base}/inquiry/{i}")), ids))


def _processed_at(reply) -> datetime:
    return datetime.fromisoformat(reply.json()["ProcessedAt"].replace("Z", "+00:00"))


@pytest.mark.parametrize("wait", ["pubsub", "poll"])
def test_reply_carries_the_requested_id(topic, env_for, launch, wait):
    env = env_for(topic, BRIDGE_WAIT=wait)
    launch.consumer(env, "--min-delay", "0s")
    server = launch.daphne(env)
    reply = get(f"{server.base}/inquiry/42")
    assert reply.status == 200, reply.body
    assert reply.headers["Content-Type"] == "application/json"
    doc = reply.json()
    assert doc["ID"] == "42"
    assert set(doc) >= {"ID", "Name", "Date", "Currency", "Amount", "RequestedAt", "ProcessedAt"}
    if wait == "poll":
        # The seed's strategy looks every 500 ms, so no reply can come sooner.
        assert reply.seconds >= 0.5


def test_concurrent_requests_for_the_same_ids_each_get_their_own_reply(topic, env_for, launch):
    env = env_for(topic)
    launch.consumer(env, "--min-delay", "50ms", "--max-delay", "200ms")
    server = launch.daphne(env)
    ids = [str(n % 5) for n in range(200)]
    answers = _ask_many(server.base, ids)
    assert [r.status for _, r in answers] == [200] * 200
    assert all(r.json()["ID"] == i for i, r in answers)
    # Every reply is a different document (its own amount and timestamps): none was handed to two requests.
    assert len({r.body for _, r in answers}) == 200


def test_sync_consumer_handles_one_message_at_a_time(topic, env_for, launch):
    env = env_for(topic)
    consumer = launch.consumer(env, "--sync", "--min-delay", "150ms")
    assert "sync" in consumer.output
    server = launch.daphne(env)
    answers = _ask_many(server.base, [str(n) for n in range(8)], workers=8)
    assert all(r.status == 200 for _, r in answers)
    times = sorted(_processed_at(r) for _, r in answers)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    # One at a time: each reply waits out its own delay after the previous one.
    assert min(gaps) >= 0.14, gaps


def test_async_consumer_overlaps_delays(topic, env_for, launch):
    env = env_for(topic)
    launch.consumer(env, "--async", "--min-delay", "1s")
    server = launch.daphne(env)
    answers = _ask_many(server.base, [str(n) for n in range(20)], workers=20)
    assert all(r.status == 200 for _, r in answers)
    times = sorted(_processed_at(r) for _, r in answers)
    # Twenty one-second delays handled one by one would span 19 s; concurrently they overlap.
    assert (times[-1] - times[0]).total_seconds() < 10


def test_health_reports_the_strategy_and_redis(topic, env_for, launch):
    server = launch.daphne(env_for(topic, BRIDGE_WAIT="poll"))
    reply = get(f"{server.base}/health")
    assert reply.status == 200
    doc = json.loads(reply.body)
    assert doc["wait"] == "poll" and doc["redis"] == "up" and doc["in_flight"] == 0
