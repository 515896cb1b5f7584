"""Faults under load: the consumer killed, Redis and the broker restarted, no consumer at all.

Each test sends paced traffic while it injects its fault, then checks that no
request was lost (every one answered, none later than its deadline plus
``SLACK``), that every 200 carries its own request's id, and prints its figures
on a ``RELIABILITY`` line (``pytest -s`` shows them).
"""

from __future__ import annotations

import json
import os
import re
import time

import pytest
from confluent_kafka import Producer

from bridge.devstack import Broker, RedisServer, ensure_topic, topic_partitions
from bridge.messages import new_request

from .processes import bridge_env
from .traffic import ReplySpy, Tally, first_success_after, health, request, send

pytestmark = pytest.mark.integration

# What a client may wait beyond the deadline: event-loop turns and a busy 2-core machine, never a second wait.
SLACK = 2.0


def _assert_own_replies(outcomes) -> None:
    for o in outcomes:
        if o.status == 200:
            assert o.json()["ID"] == o.inquiry_id, (o.inquiry_id, o.body)


def _assert_idle(port: int) -> None:
    """The server holds no waiter any more: none leaked."""
    deadline = time.monotonic() + 5
    while (in_flight := health(port)["in_flight"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert in_flight == 0


def test_consumer_killed_under_load_every_request_is_still_answered(topic, env_for, launch, redis_server, broker):
    """kill -9 of the consumer mid-load, restarted at once: every request gets its own 200 (at-least-once)."""
    env = env_for(topic, BRIDGE_TIMEOUT="20s")
    group = f"{topic}-group"
    # A delay keeps messages in flight at the moment of the kill: fetched, not yet replied.
    consumer_args = ("--min-delay", "200ms")
    consumers = [launch.consumer(env, *consumer_args, group=group)]
    server = launch.daphne(env)
    spy = ReplySpy(redis_server.url)
    moments: dict[str, float] = {}
    try:

        def kill_and_restart() -> None:
            consumers[0].kill()
            moments["killed"] = time.monotonic()
            consumers.append(launch.consumer(env, *consumer_args, group=group, wait=False))

        begin = time.monotonic()
        outcomes = send(server.port, 150, 30, timeout=35, ids=lambda n: f"kill-{n}", events=[(2.0, kill_and_restart)])
        assert consumers[1].wait_for(r"assigned partitions \[\d", timeout=5)
        tally = Tally("consumer kill -9 + restart", 20.0, SLACK, outcomes)
        tally.assert_none_lost()
        assert tally.by_status == {"200": 150}, tally.by_status
        _assert_own_replies(outcomes)
        killed_at = moments["killed"] - begin
        after_kill = [o for o in outcomes if o.started >= killed_at]
        recovered = first_success_after(outcomes, killed_at)
        redelivered_by_kill = spy.duplicates

        # A redelivery of a request whose reply is already written (what the kill
        # caused above) does no harm: replay 20 answered requests once more, with
        # a fresh deadline so the worker does not skip them as expired.
        replay = sorted(spy.reply_to.items())[:20]
        producer = Producer({"bootstrap.servers": broker.bootstrap})
        for cid, (instance, inquiry_id) in replay:
            producer.produce(topic, new_request(inquiry_id, cid, instance, time.time() + 30), cid.encode())
        assert producer.flush(10) == 0
        wait_until = time.monotonic() + 15
        while any(spy.published[cid] < 2 for cid, _ in replay) and time.monotonic() < wait_until:
            time.sleep(0.1)
        assert all(spy.published[cid] >= 2 for cid, _ in replay)
        _assert_idle(server.port)
        status, _, body = request(server.port, "/inquiry/after-replay", timeout=10)
        assert status == 200 and json.loads(body)["ID"] == "after-replay"
        assert "Traceback" not in server.process.output
    finally:
        spy.close()
    tally.extra.update(
        killed_at_s=round(killed_at, 2),
        longest_after_kill_s=round(max(o.seconds for o in after_kill), 3),
        recovery_s=round(recovered.ended - killed_at, 2),
        redelivered=redelivered_by_kill,
        replayed_harmlessly=len(replay),
    )
    tally.report()


def test_consumer_absent_means_504_at_the_deadline_and_no_waiter_leaks(topic, env_for, launch):
    server = launch.daphne(env_for(topic, BRIDGE_TIMEOUT="2s"))
    outcomes = send(server.port, 120, 40, timeout=15, ids=lambda n: f"absent-{n}")
    tally = Tally("no consumer", 2.0, SLACK, outcomes)
    tally.assert_none_lost()
    assert tally.by_status == {"504": 120}, tally.by_status
    # 504 comes at the deadline, not before.
    assert min(o.seconds for o in outcomes) >= 2.0
    _assert_idle(server.port)
    tally.extra["in_flight_after"] = 0
    tally.report()


def test_expired_backlog_after_an_outage_is_skipped_without_its_work(broker, env_for, launch):
    """Requests sent while no consumer ran are expired when it starts: it skips them before the delay."""
    # One partition: the consumer meets the backlog first and the fresh request last.
    topic = f"backlog-{os.getpid()}"
    ensure_topic(broker.bootstrap, topic, 1, timeout=15)
    env = env_for(topic, BRIDGE_TIMEOUT="2s")
    server = launch.daphne(env)
    backlog = send(server.port, 60, 40, timeout=15, ids=lambda n: f"backlog-{n}")
    assert {o.status for o in backlog} == {504}
    # One message at a time, 300 ms of work each: doing the work of 60 expired
    # requests first would take 18 s, and the fresh request would miss its 2 s.
    started = time.monotonic()
    consumer = launch.consumer(env, "--sync", "--min-delay", "300ms", group=f"{topic}-late")
    assigned = time.monotonic()
    status, _, body = request(server.port, "/inquiry/fresh", timeout=15)
    answered = time.monotonic()
    assert status == 200 and json.loads(body)["ID"] == "fresh", body
    assert consumer.stop() == 0
    stopped = re.search(r"stopped: replied (\d+), skipped (\d+) malformed and (\d+) expired", consumer.output)
    assert stopped is not None, consumer.output
    assert tuple(map(int, stopped.groups())) == (1, 0, 60)
    # Logged at a bounded rate, not once per message.
    assert 1 <= consumer.output.count("skipped a request whose deadline had passed") <= 3
    tally = Tally("expired backlog", 2.0, SLACK, backlog)
    tally.extra.update(
        consumer_join_s=round(assigned - started, 2),
        fresh_request_after_backlog_s=round(answered - assigned, 3),
        expired_skipped=60,
    )
    tally.report()


@pytest.fixture
def own_redis():
    """A Redis of this test's own, which it may stop and start without disturbing the others."""
    server = RedisServer()
    server.start()
    yield server
    server.stop()


def test_redis_restarted_under_load(topic, broker, own_redis, launch):
    env = bridge_env(broker.bootstrap, own_redis.url, topic, BRIDGE_TIMEOUT="5s")
    launch.consumer(env, "--min-delay", "500ms", group=f"{topic}-group")
    server = launch.daphne(env)
    moments: dict[str, float] = {}

    def stop_redis() -> None:
        moments["stopped"] = time.monotonic()
        own_redis.stop()

    def start_redis() -> None:
        own_redis.start()
        moments["started"] = time.monotonic()

    begin = time.monotonic()
    outcomes = send(
        server.port, 320, 40, timeout=20, ids=lambda n: f"redis-{n}", events=[(2.0, stop_redis), (3.5, start_redis)]
    )
    stopped_at, started_at = moments["stopped"] - begin, moments["started"] - begin
    tally = Tally("Redis restart", 5.0, SLACK, outcomes)
    tally.assert_none_lost()
    assert set(tally.by_status) <= {"200", "503", "504"}, tally.by_status
    _assert_own_replies(outcomes)
    # Sent before Redis went away, answered after it came back: replies written
    # (by the worker's retries) while the HTTP process was resubscribing.
    bridged = [o for o in outcomes if o.status == 200 and o.started < stopped_at and o.ended > started_at]
    assert bridged, "no waiter survived the outage"
    recovered = first_success_after(outcomes, started_at)
    assert recovered is not None, "no request succeeded after Redis came back"
    # Steady again: the last second of traffic all succeeded.
    assert all(o.status == 200 for o in outcomes if o.started > outcomes[-1].started - 1.0)
    _assert_idle(server.port)
    tally.extra.update(
        outage_s=round(started_at - stopped_at, 2),
        waiters_across_outage_answered=len(bridged),
        recovery_s=round(recovered.ended - started_at, 2),
    )
    tally.report()


def test_broker_restarted_under_load_recovers_without_restarts(redis_server, launch):
    """A Tansu broker restarts empty; the consumer re-creates its topic and everything resumes by itself."""
    own_broker = Broker()
    own_broker.start()
    processes = ()
    try:
        ensure_topic(own_broker.bootstrap, "restart-test", 4, timeout=15)
        env = bridge_env(own_broker.bootstrap, redis_server.url, "restart-test", BRIDGE_TIMEOUT="10s")
        consumer = launch.consumer(env, group="restart-group")
        server = launch.daphne(env)
        processes = (server.process, consumer)
        moments: dict[str, float] = {}

        def stop_broker() -> None:
            moments["stopped"] = time.monotonic()
            own_broker.stop()

        def start_broker() -> None:
            own_broker.start()
            moments["started"] = time.monotonic()

        begin = time.monotonic()
        outcomes = send(
            server.port,
            180,
            10,
            timeout=25,
            ids=lambda n: f"broker-{n}",
            events=[(2.0, stop_broker), (4.0, start_broker)],
        )
        stopped_at, started_at = moments["stopped"] - begin, moments["started"] - begin
        tally = Tally("broker restart (topic lost)", 10.0, SLACK, outcomes)
        tally.assert_none_lost()
        assert set(tally.by_status) <= {"200", "503", "504"}, tally.by_status
        _assert_own_replies(outcomes)
        # A request the broker cannot take fails after the delivery timeout (2 s), not at its deadline.
        failed_fast = [o.seconds for o in outcomes if o.status == 503]
        assert failed_fast and max(failed_fast) <= 2.0 + SLACK
        recovered = first_success_after(outcomes, started_at)
        assert recovered is not None, consumer.output[-3000:]
        assert all(o.status == 200 for o in outcomes if o.started > outcomes[-1].started - 2.0)
        assert "topic restart-test was missing from the broker; created it with 4 partitions" in consumer.output
        assert topic_partitions(own_broker.bootstrap, "restart-test") == 4
        _assert_idle(server.port)
    finally:
        # Before the broker goes: a consumer stopping without one waits for it.
        for process in processes:
            process.stop()
        own_broker.stop()
    tally.extra.update(
        outage_s=round(started_at - stopped_at, 2),
        longest_503_s=round(max(failed_fast), 3),
        recovery_s=round(recovered.ended - started_at, 2),
    )
    tally.report()
