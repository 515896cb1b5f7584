"""Graceful stops: SIGTERM lets work in flight finish and exits 0; a second signal exits at once."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time

import pytest

from bridge.devstack import free_port, port_open
from bridge.processes import Process

from .traffic import ReplySpy, health, refused, request, send

pytestmark = pytest.mark.integration

DELAY = 1.0


def _start_serve(env: dict[str, str], processes: int) -> tuple[Process, int]:
    """``manage.py serve`` on a free port; returns once every daphne process has answered /health."""
    port = free_port()
    argv = [sys.executable, "manage.py", "serve", "--port", str(port), "--processes", str(processes), "--grace", "10s"]
    process = Process("serve", argv, env)
    deadline = time.monotonic() + 30
    instances: set[str] = set()
    while len(instances) < processes:
        if process.proc.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"serve did not start:\n{process.output}")
        if port_open("127.0.0.1", port):
            instances.add(health(port)["instance"])
        else:
            time.sleep(0.05)
    return process, port


def _wait_in_flight(port: int, expected: int, processes: int) -> None:
    """Until the daphne processes behind ``port`` hold ``expected`` waiting requests between them."""
    latest: dict[str, int] = {}
    deadline = time.monotonic() + 10
    while sum(latest.values()) < expected or len(latest) < processes:
        assert time.monotonic() < deadline, f"in flight: {latest}"
        doc = health(port)
        latest[doc["instance"]] = doc["in_flight"]


class Background:
    """``send`` on a thread of its own, so the test can act while the requests wait."""

    def __init__(self, port: int, count: int, prefix: str) -> None:
        self.outcomes = []
        self.begin = time.monotonic()  # about when the requests' clock starts
        self._thread = threading.Thread(
            target=lambda: self.outcomes.extend(send(port, count, 1000, timeout=30, ids=lambda n: f"{prefix}-{n}"))
        )
        self._thread.start()

    def join(self) -> list:
        self._thread.join(40)
        assert not self._thread.is_alive()
        return self.outcomes


@pytest.mark.parametrize("processes", [1, 2])
def test_sigterm_to_serve_finishes_requests_in_flight_and_refuses_new_connections(topic, env_for, launch, processes):
    env = env_for(topic, BRIDGE_TIMEOUT="10s")
    launch.consumer(env, "--min-delay", f"{DELAY}s", group=f"{topic}-group")
    serve, port = _start_serve(env, processes)
    try:
        requests = Background(port, 20, "drain")
        _wait_in_flight(port, 20, processes)
        signalled = time.monotonic()
        serve.signal(signal.SIGTERM)
        while not refused(port) and serve.proc.poll() is None and time.monotonic() - signalled < 10:
            time.sleep(0.02)
        refused_at = time.monotonic()
        assert refused(port), "still accepting connections after SIGTERM"
        outcomes = requests.join()
        assert [o.status for o in outcomes] == [200] * 20, [(o.status, o.error) for o in outcomes]
        assert all(o.json()["ID"] == o.inquiry_id for o in outcomes)
        # New connections were refused while the requests in flight still waited for their replies.
        assert refused_at < requests.begin + max(o.ended for o in outcomes)
        assert serve.proc.wait(20) == 0, serve.output[-3000:]
        exited_after = time.monotonic() - signalled
        refused_after = refused_at - signalled
    finally:
        serve.kill()
    print(
        f"\nSHUTDOWN serve --processes {processes}: 20 in flight answered 200, "
        f"refused new connections after {refused_after:.3f}s, exit 0 after {exited_after:.2f}s"
    )


def test_sigterm_to_runconsumer_finishes_messages_and_commits_them(topic, env_for, launch, redis_server):
    env = env_for(topic, BRIDGE_TIMEOUT="10s")
    group = f"{topic}-group"
    consumer = launch.consumer(env, "--min-delay", f"{DELAY}s", group=group)
    server = launch.daphne(env)
    spy = ReplySpy(redis_server.url)
    try:
        requests = Background(server.port, 20, "commit")
        _wait_in_flight(server.port, 20, 1)
        time.sleep(0.3)  # the consumer fetches within milliseconds: the 20 are in its hands
        consumer.signal(signal.SIGTERM)
        stopping = consumer.wait_for(r"stopping: (\d+) messages in flight, (\d+) not started", timeout=5)
        in_flight, not_started = map(int, stopping.groups())
        assert in_flight > 0 and not_started == 0
        assert consumer.proc.wait(15) == 0, consumer.output[-3000:]
        # Every message in flight at the signal was finished, not abandoned.
        assert f"stopped: replied {in_flight}," in consumer.output
        # A new member of the group starts after the committed offsets: nothing is processed twice
        # (no deadline has passed, so a redelivered request would be replied to again).
        successor = launch.consumer(env, group=group)
        outcomes = requests.join()
        assert [o.status for o in outcomes] == [200] * 20
        status, _, _ = request(server.port, "/inquiry/after-stop", timeout=15)
        assert status == 200
        assert successor.stop() == 0
        replied_again = int(re.search(r"stopped: replied (\d+),", successor.output).group(1))
        assert replied_again == 21 - in_flight, successor.output[-2000:]
        assert spy.duplicates == 0
        assert len(spy.published) == 21
    finally:
        spy.close()
    print(f"\nSHUTDOWN runconsumer SIGTERM: {in_flight} in flight finished and committed, none processed twice")


def test_second_signal_to_runconsumer_exits_at_once(topic, env_for, launch):
    env = env_for(topic, BRIDGE_TIMEOUT="3s")
    consumer = launch.consumer(env, "--min-delay", "5s", group=f"{topic}-group")
    server = launch.daphne(env)
    requests = Background(server.port, 5, "forced")
    _wait_in_flight(server.port, 5, 1)
    time.sleep(0.3)
    consumer.signal(signal.SIGTERM)
    consumer.wait_for(r"finishing messages in flight", timeout=5)
    signalled = time.monotonic()
    consumer.signal(signal.SIGTERM)
    try:
        code = consumer.proc.wait(4)  # well before the 5 s of work in flight would end
    except subprocess.TimeoutExpired:
        pytest.fail("runconsumer did not exit on the second signal")
    exited_after = time.monotonic() - signalled
    assert code == 130
    assert re.search(r"second SIGTERM: exiting now", consumer.output)
    assert {o.status for o in requests.join()} == {504}
    print(f"\nSHUTDOWN runconsumer second SIGTERM: exit 130 after {exited_after:.3f}s")
