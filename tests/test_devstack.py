"""The local infrastructure launcher, against real Tansu and redis-server processes on free loopback ports."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
from confluent_kafka.admin import AdminClient

from bridge.devstack import (
    BinaryNotFoundError,
    Broker,
    DevStack,
    DevStackError,
    RedisServer,
    TopicError,
    ensure_topic,
    free_port,
    is_loopback,
    kafka_answers,
    port_open,
    redis_answers,
    split_host_port,
    topic_partitions,
)

pytestmark = pytest.mark.integration

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture
def broker() -> Iterator[Broker]:
    server = Broker("127.0.0.1", free_port())
    try:
        server.start(timeout=15)
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer("127.0.0.1", free_port())
    try:
        server.start(timeout=15)
        yield server
    finally:
        server.stop()


@pytest.fixture
def listener() -> Iterator[tuple[str, int]]:
    """A socket that accepts connections and never says a word: neither Kafka nor Redis."""
    sock = socket.socket()
    try:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()
    finally:
        sock.close()


def metadata_partitions(bootstrap: str, topic: str) -> int | None:
    """The partition count as a plain AdminClient sees it, independent of the code under test."""
    topics = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=5).topics
    return len(topics[topic].partitions) if topic in topics else None


def ping(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False
    finally:
        client.close()


# Ports and probes.


def test_free_port_is_free_until_something_listens() -> None:
    port = free_port()
    assert not port_open("127.0.0.1", port)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen(1)
        assert port_open("127.0.0.1", port)


@pytest.mark.parametrize(
    ("address", "expected"),
    [("127.0.0.1:9092", ("127.0.0.1", 9092)), ("localhost", ("localhost", 9092)), ("[::1]:19092", ("::1", 19092))],
)
def test_split_host_port(address: str, expected: tuple[str, int]) -> None:
    assert split_host_port(address) == expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("10.0.0.1", False),
        ("kafka.internal", False),
    ],
)
def test_is_loopback(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected


# Broker.


def test_broker_starts_answers_and_stops(broker: Broker) -> None:
    assert broker.running
    assert broker.bootstrap == f"127.0.0.1:{broker.port}"
    assert kafka_answers(broker.bootstrap, timeout=2)
    assert broker.version.startswith("Tansu ")
    assert broker.stop() == 0
    assert not broker.running
    assert not port_open("127.0.0.1", broker.port)
    assert broker.stop() is None


def test_broker_restart_forgets_topics_and_ensure_topic_creates_again(broker: Broker) -> None:
    assert ensure_topic(broker.bootstrap, "orders", 3, timeout=10)
    assert metadata_partitions(broker.bootstrap, "orders") == 3
    old_pid = broker.pid
    broker.restart(timeout=15)
    assert broker.running and broker.pid != old_pid
    assert metadata_partitions(broker.bootstrap, "orders") is None
    assert ensure_topic(broker.bootstrap, "orders", 3, timeout=10)
    assert metadata_partitions(broker.bootstrap, "orders") == 3


def test_broker_stops_at_once_with_a_client_connected(broker: Broker) -> None:
    # Tansu lingers ~5 s on SIGTERM while clients are connected; Broker stops it with SIGINT.
    ensure_topic(broker.bootstrap, "busy", 1, timeout=10)
    admin = AdminClient({"bootstrap.servers": broker.bootstrap, "log.connection.close": False})
    admin.list_topics(timeout=5)
    began = time.monotonic()
    broker.stop()
    assert time.monotonic() - began < 2


def test_broker_kill_looks_like_a_crash_and_start_recovers(broker: Broker) -> None:
    broker.kill()
    assert not broker.running
    assert broker.returncode == -signal.SIGKILL
    broker.start(timeout=15)
    assert kafka_answers(broker.bootstrap, timeout=2)


def test_broker_refuses_a_busy_port(listener: tuple[str, int]) -> None:
    host, port = listener
    with pytest.raises(DevStackError, match="already in use"):
        Broker(host, port).start(timeout=5)


def test_broker_refuses_a_non_loopback_address() -> None:
    with pytest.raises(DevStackError, match="loopback"):
        Broker("0.0.0.0", free_port())


def test_broker_names_a_missing_binary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(BinaryNotFoundError, match="Tansu"):
        Broker(binary=str(tmp_path / "tansu")).start(timeout=5)
    monkeypatch.setenv("CALF_TANSU_BIN", str(tmp_path / "tansu"))
    with pytest.raises(BinaryNotFoundError, match="CALF_TANSU_BIN"):
        Broker().start(timeout=5)


def test_broker_that_exits_while_starting_is_reported(tmp_path: Path) -> None:
    fake = tmp_path / "tansu"
    fake.write_text("#!/bin/sh\necho 'no such storage engine' >&2\nexit 3\n")
    fake.chmod(0o755)
    server = Broker(binary=str(fake))
    with pytest.raises(DevStackError, match=r"exited with status 3(.|\n)*no such storage engine"):
        server.start(timeout=5)
    assert not server.running and server.log_path is None


# Topics.


def test_ensure_topic_is_idempotent_and_sets_the_partition_count(broker: Broker) -> None:
    assert ensure_topic(broker.bootstrap, "poc-test", 4, timeout=10) is True
    assert ensure_topic(broker.bootstrap, "poc-test", 4, timeout=10) is False
    # An existing topic is left as it is, whatever was asked for.
    assert ensure_topic(broker.bootstrap, "poc-test", 2, timeout=10) is False
    assert metadata_partitions(broker.bootstrap, "poc-test") == 4
    assert topic_partitions(broker.bootstrap, "poc-test") == 4
    assert topic_partitions(broker.bootstrap, "absent") is None


def test_ensure_topic_tolerates_a_creation_race(broker: Broker) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: ensure_topic(broker.bootstrap, "raced", 3, timeout=10), range(4)))
    assert results.count(True) == 1
    assert metadata_partitions(broker.bootstrap, "raced") == 3


def test_ensure_topic_without_a_broker_fails_in_bounded_time() -> None:
    began = time.monotonic()
    with pytest.raises(TopicError, match="did not answer"):
        ensure_topic(f"127.0.0.1:{free_port()}", "t", 1, timeout=1)
    assert time.monotonic() - began < 5


def test_ensure_topic_rejects_nonsense(broker: Broker) -> None:
    with pytest.raises(ValueError, match="partitions"):
        ensure_topic(broker.bootstrap, "t", 0, timeout=5)


# Redis.


def test_redis_server_answers_ping_then_stops(redis_server: RedisServer) -> None:
    assert redis_server.url == f"redis://127.0.0.1:{redis_server.port}/0"
    assert ping(redis_server.url)
    assert redis_server.version.startswith("redis-server ")
    assert redis_server.stop() == 0
    assert not ping(redis_server.url)
    assert not redis_answers(redis_server.url, timeout=0.5)


def test_redis_server_restart_keeps_nothing(redis_server: RedisServer) -> None:
    client = redis.Redis.from_url(redis_server.url, socket_timeout=2)
    try:
        client.set("k", "v")
        redis_server.restart(timeout=15)
        assert client.get("k") is None
        assert client.config_get("save") == {"save": ""}
        assert client.config_get("appendonly") == {"appendonly": "no"}
    finally:
        client.close()


def test_redis_server_log_goes_to_the_given_file(tmp_path: Path) -> None:
    log = tmp_path / "redis.log"
    server = RedisServer(log_path=log)
    try:
        server.start(timeout=15)
        assert server.log_path == log
    finally:
        server.stop()
    assert "Ready to accept connections" in log.read_text()


# DevStack.


def test_devstack_starts_what_is_missing_and_stops_it() -> None:
    bootstrap, url = f"127.0.0.1:{free_port()}", f"redis://127.0.0.1:{free_port()}/0"
    stack = DevStack(bootstrap, url, "t1", 2)
    try:
        lines = stack.start()
        assert re.match(r"Kafka 127\.0\.0\.1:\d+: started Tansu \S+ \(pid \d+, memory storage", lines[0])
        assert re.match(r"Redis 127\.0\.0\.1:\d+: started redis-server \S+ \(pid \d+, no persistence", lines[1])
        assert lines[2] == "topic t1: created with 2 partitions"
        assert kafka_answers(bootstrap, timeout=2) and ping(url)
        assert metadata_partitions(bootstrap, "t1") == 2
        assert stack.check() == []
    finally:
        stopped = stack.stop()
    assert [line.split(":")[2].split()[0] for line in stopped] == ["stopped", "stopped"]
    assert not kafka_answers(bootstrap, timeout=0.5) and not ping(url)


def test_devstack_leaves_running_servers_alone(broker: Broker, redis_server: RedisServer) -> None:
    ensure_topic(broker.bootstrap, "t1", 4, timeout=10)
    with DevStack(broker.bootstrap, redis_server.url, "t1", 4) as stack:
        assert not stack.started_anything
    assert broker.running and redis_server.running
    assert ping(redis_server.url)
    stack = DevStack(broker.bootstrap, redis_server.url, "t1", 8)
    lines = stack.start()
    assert lines == [
        f"Kafka {broker.bootstrap}: already running, left alone",
        f"Redis 127.0.0.1:{redis_server.port}: already running, left alone",
        "topic t1: already exists with 4 partitions (8 requested; left as it is)",
    ]
    assert stack.stop() == []
    assert ping(redis_server.url)


def test_devstack_starts_only_kafka_when_redis_runs(redis_server: RedisServer) -> None:
    stack = DevStack(f"127.0.0.1:{free_port()}", redis_server.url, "t1", 1)
    try:
        lines = stack.start()
        assert "started Tansu" in lines[0]
        assert lines[1].endswith("already running, left alone")
    finally:
        stopped = stack.stop()
    assert len(stopped) == 1 and stopped[0].startswith("Kafka ")
    assert ping(redis_server.url)


def test_devstack_uses_a_running_cluster_named_by_a_list(broker: Broker, redis_server: RedisServer) -> None:
    with DevStack(f"{broker.bootstrap},127.0.0.1:{free_port()}", redis_server.url, "t1", 1) as stack:
        assert not stack.started_anything
    assert metadata_partitions(broker.bootstrap, "t1") == 1
    with pytest.raises(DevStackError, match="no broker answers"):
        DevStack(f"127.0.0.1:{free_port()},127.0.0.1:{free_port()}", redis_server.url, probe_timeout=0.5).start()


def test_devstack_binds_localhost_to_127_0_0_1_only() -> None:
    # Tansu given "localhost" as its listener binds every interface; the stack must not let it.
    stack = DevStack(f"localhost:{free_port()}", f"redis://localhost:{free_port()}/0", "t1", 1)
    try:
        stack.start()
        assert stack.broker is not None and stack.redis is not None
        assert stack.broker.host == stack.redis.host == "127.0.0.1"
        assert kafka_answers(stack.bootstrap, timeout=2) and ping(stack.redis_url)
    finally:
        stack.stop()


def test_devstack_never_starts_on_a_non_loopback_address() -> None:
    # 0.0.0.0 is checked locally (nothing listens there) and would expose the broker to the network.
    with pytest.raises(DevStackError, match="only started on a loopback"):
        DevStack(f"0.0.0.0:{free_port()}", f"redis://127.0.0.1:{free_port()}/0").start()
    with pytest.raises(DevStackError, match="only started on a loopback"):
        DevStack(f"127.0.0.1:{free_port()}", f"redis://0.0.0.0:{free_port()}/0").start()


def test_devstack_rejects_a_port_taken_by_something_else(listener: tuple[str, int]) -> None:
    host, port = listener
    with pytest.raises(DevStackError, match="does not answer as a Kafka broker"):
        DevStack(f"{host}:{port}", f"redis://127.0.0.1:{free_port()}/0", probe_timeout=0.5).start()
    with pytest.raises(DevStackError, match="PING"):
        DevStack(f"127.0.0.1:{free_port()}", f"redis://{host}:{port}/0", probe_timeout=0.5).start()


def test_devstack_stops_kafka_when_redis_cannot_start(tmp_path: Path) -> None:
    bootstrap = f"127.0.0.1:{free_port()}"
    stack = DevStack(bootstrap, f"redis://127.0.0.1:{free_port()}/0", redis_binary=str(tmp_path / "redis-server"))
    with pytest.raises(BinaryNotFoundError, match="redis-server"):
        stack.start()
    assert not stack.started_anything
    host, port = bootstrap.split(":")
    assert not port_open(host, int(port))


def test_devstack_check_reports_a_dead_child() -> None:
    stack = DevStack(f"127.0.0.1:{free_port()}", f"redis://127.0.0.1:{free_port()}/0", "t1", 1)
    try:
        stack.start()
        assert stack.redis is not None
        stack.redis.kill()
        [failure] = stack.check()
        assert failure.startswith(f"Redis 127.0.0.1:{stack.redis.port}: redis-server")
        assert f"exited unexpectedly with status {-signal.SIGKILL}" in failure
    finally:
        stack.stop()


# The management command, as a real process.


class CommandProcess:
    """``manage.py devstack`` as a child, with its stdout read line by line by a thread."""

    def __init__(self, *args: str) -> None:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "pocsite.settings"}
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "devstack", *args],
            cwd=PROJECT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def wait_for(self, prefix: str, timeout: float) -> list[str]:
        """Lines up to and including the first one starting with ``prefix``."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise AssertionError(f"no {prefix!r} within {timeout}s; saw {self.seen}") from None
            if line is None:
                raise AssertionError(f"exited before {prefix!r}: {self.seen}, stderr: {self.stderr()}")
            self.seen.append(line)
            if line.startswith(prefix):
                return self.seen

    def finish(self, timeout: float) -> int:
        returncode = self.proc.wait(timeout)
        self._reader.join(timeout)
        while (line := self.lines.get_nowait()) is not None:
            self.seen.append(line)
        return returncode

    def stderr(self) -> str:
        assert self.proc.stderr is not None
        return self.proc.stderr.read() if self.proc.poll() is not None else ""

    def close(self) -> None:
        # The command's children live in their own process groups: killing the command alone would
        # orphan them, so a failed test first asks it to stop them.
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_command_runs_until_a_signal_and_stops_what_it_started(stop_signal: signal.Signals) -> None:
    kafka_port, redis_port = free_port(), free_port()
    bootstrap, url = f"127.0.0.1:{kafka_port}", f"redis://127.0.0.1:{redis_port}/0"
    command = CommandProcess("--broker", bootstrap, "--redis-url", url, "--topic", "t1")
    try:
        lines = command.wait_for("Ready", timeout=30)
        assert lines[-1] == "Ready. Ctrl+C to stop."
        assert "topic t1: created with 4 partitions" in lines
        assert kafka_answers(bootstrap, timeout=2) and ping(url)
        assert metadata_partitions(bootstrap, "t1") == 4
        command.proc.send_signal(stop_signal)
        assert command.finish(timeout=15) == 0
        assert sum(": stopped " in line for line in command.seen) == 2
        assert not port_open("127.0.0.1", kafka_port) and not port_open("127.0.0.1", redis_port)
    finally:
        command.close()


def test_command_leaves_running_servers_alone(broker: Broker, redis_server: RedisServer) -> None:
    command = CommandProcess("--broker", broker.bootstrap, "--redis-url", redis_server.url, "--topic", "t1")
    try:
        lines = command.wait_for("Ready", timeout=30)
        assert "Everything was already running; nothing will be stopped on exit." in lines
        command.proc.send_signal(signal.SIGTERM)
        assert command.finish(timeout=15) == 0
        assert not any(": stopped " in line for line in command.seen)
        assert kafka_answers(broker.bootstrap, timeout=2) and ping(redis_server.url)
    finally:
        command.close()


def test_command_exits_non_zero_when_a_child_dies() -> None:
    command = CommandProcess(
        "--broker", f"127.0.0.1:{free_port()}", "--redis-url", f"redis://127.0.0.1:{free_port()}/0"
    )
    try:
        lines = command.wait_for("Ready", timeout=30)
        [redis_line] = [line for line in lines if line.startswith("Redis ")]
        pid = int(re.search(r"pid (\d+)", redis_line).group(1))
        os.kill(pid, signal.SIGKILL)
        assert command.finish(timeout=15) == 1
        assert "exited unexpectedly" in command.stderr()
        assert any(line.startswith("Kafka ") and ": stopped " in line for line in command.seen)
    finally:
        command.close()


def test_command_turns_a_refusal_into_a_command_error() -> None:
    command = CommandProcess("--broker", f"0.0.0.0:{free_port()}")
    try:
        assert command.finish(timeout=30) == 1
        assert "CommandError: Kafka 0.0.0.0:" in command.stderr()
    finally:
        command.close()
