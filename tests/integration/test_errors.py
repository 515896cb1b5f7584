"""Every error the HTTP edge promises: a JSON body with a clear message, a bounded wait, no stack trace."""

from __future__ import annotations

import json

import pytest
from confluent_kafka import Consumer, Producer

from bridge.devstack import Broker, ensure_topic, free_port

from .processes import bridge_env, get

pytestmark = pytest.mark.integration


def _assert_json_error(reply, status: int, words: str) -> None:
    assert reply.status == status, reply.body
    assert reply.headers["Content-Type"] == "application/json"
    doc = json.loads(reply.body)
    assert set(doc) == {"error"} and words in doc["error"], doc
    assert b"Traceback" not in reply.body


@pytest.fixture
def server(topic, env_for, launch):
    return launch.daphne(env_for(topic, BRIDGE_TIMEOUT="2s"))


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/inquiry/", "empty"),
        ("/inquiry/" + "x" * 129, "longer than 128"),
        ("/inquiry/a%2Fb", "only contain"),
        ("/inquiry/a%00b", "only contain"),
        ("/inquiry/a%20b", "only contain"),
        ("/inquiry/%C3%A9", "only contain"),
        ("/inquiry/a/b", "only contain"),
    ],
)
def test_invalid_ids_get_400(server, path, words):
    _assert_json_error(get(server.base + path), 400, words)


def test_other_methods_get_405(server):
    reply = get(f"{server.base}/inquiry/1", method="POST")
    _assert_json_error(reply, 405, "use GET")
    assert reply.headers["Allow"] == "GET"


def test_unknown_paths_get_a_json_404(server):
    _assert_json_error(get(f"{server.base}/nothing/here"), 404, "not found")


def test_no_consumer_means_504_at_the_deadline(server):
    reply = get(f"{server.base}/inquiry/7")
    _assert_json_error(reply, 504, "deadline")
    assert 2.0 <= reply.seconds < 5.0


def test_redis_unreachable_gives_503(topic, broker, launch):
    dead_redis = f"redis://127.0.0.1:{free_port()}/0"
    server = launch.daphne(bridge_env(broker.bootstrap, dead_redis, topic))
    first = get(f"{server.base}/inquiry/1")
    _assert_json_error(first, 503, "Redis")
    again = get(f"{server.base}/inquiry/1")
    _assert_json_error(again, 503, "Redis")
    assert again.seconds < 1.0  # known down: refused at once, not after another connect timeout


def test_broker_stopped_gives_503_well_before_the_deadline(redis_server, launch):
    broker = Broker()
    broker.start()
    try:
        ensure_topic(broker.bootstrap, "down-test", 4, timeout=15)
        server = launch.daphne(bridge_env(broker.bootstrap, redis_server.url, "down-test", BRIDGE_TIMEOUT="10s"))
        get(f"{server.base}/health")  # connect the process before the broker goes away
        broker.stop()
        reply = get(f"{server.base}/inquiry/1")
        _assert_json_error(reply, 503, "Kafka")
        assert reply.seconds < 5.0
    finally:
        broker.stop()


def _take_one_request(broker: str, topic: str) -> dict:
    consumer = Consumer(
        {
            "bootstrap.servers": broker,
            "group.id": f"{topic}-spy",
            "auto.offset.reset": "earliest",
            "session.timeout.ms": 6000,
            "heartbeat.interval.ms": 500,
            "max.poll.interval.ms": 10000,
            "fetch.wait.max.ms": 10,
        }
    )
    consumer.subscribe([topic])
    try:
        for _ in range(300):
            message = consumer.poll(0.1)
            if message is not None and not message.error():
                return json.loads(message.value())
        raise AssertionError("the request never reached Kafka")
    finally:
        consumer.close()


@pytest.mark.parametrize("wait", ["pubsub", "poll"])
def test_a_malformed_reply_in_redis_gives_502(topic, env_for, launch, broker, redis_server, wait):
    import concurrent.futures

    import redis

    server = launch.daphne(env_for(topic, BRIDGE_WAIT=wait, BRIDGE_TIMEOUT="30s"))
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(get, f"{server.base}/inquiry/9")
        request = _take_one_request(broker.bootstrap, topic)
        client = redis.Redis.from_url(redis_server.url)
        client.set(f"bridge:reply:{request['cid']}", b"<html>not json</html>", ex=60)
        if request["reply_to"]:
            client.publish(f"bridge:replies:{request['reply_to']}", request["cid"].encode() + b" <html>not json</html>")
        reply = pending.result(timeout=30)
    _assert_json_error(reply, 502, "not JSON")


def test_malformed_messages_are_skipped_and_the_worker_goes_on(topic, env_for, launch, broker):
    env = env_for(topic)
    consumer = launch.consumer(env)
    server = launch.daphne(env)
    producer = Producer({"bootstrap.servers": broker.bootstrap})
    junk = (
        b"not json",
        b"[]",
        b'{"ID": 5}',
        b'{"ID":"1","cid":"x","reply_to":"../etc","deadline":1e12}',
        b"\xff" * 70000,
    )
    for message in junk:
        producer.produce(topic, message)
    producer.flush(10)
    consumer.wait_for("skipped a malformed message", timeout=30)
    reply = get(f"{server.base}/inquiry/after-junk")
    assert reply.status == 200 and reply.json()["ID"] == "after-junk"
    assert consumer.proc.poll() is None
