"""Real processes for integration tests: the consumer and daphne, started as a user would start them.

Each process's output is drained by a thread into memory, so a test can wait for
a line (``wait_for``) and the pipe can never fill up and block the child.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bridge.devstack import free_port, port_open
from bridge.processes import Process

BIN = Path(sys.executable).parent


def bridge_env(broker: str, redis_url: str, topic: str, **extra: str) -> dict[str, str]:
    """The environment of a bridge process pointed at the test stack."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIDGE_", "KAFKA_", "REDIS_"))}
    env.update(
        {
            "KAFKA_BOOTSTRAP_SERVERS": broker,
            "REDIS_URL": redis_url,
            "BRIDGE_TOPIC": topic,
            "DJANGO_SECRET_KEY": "integration-tests",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


def start_consumer(env: dict[str, str], *args: str, group: str | None = None, wait: bool = True) -> Process:
    """``manage.py runconsumer``; returns once the group has assigned it partitions (unless ``wait`` is False)."""
    argv = [sys.executable, "manage.py", "runconsumer", *args]
    if group is not None:
        argv += ["--group", group]
    process = Process("runconsumer", argv, env)
    if wait:
        process.wait_for(r"assigned partitions \[", timeout=60)
    return process


@dataclass
class Server:
    """A daphne process serving the bridge."""

    process: Process
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> int:
        return self.process.stop()


def start_daphne(env: dict[str, str]) -> Server:
    """``daphne pocsite.asgi:application`` on a free port; returns once the port accepts connections."""
    port = free_port()
    argv = [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "pocsite.asgi:application"]
    process = Process("daphne", argv, env)
    deadline = time.monotonic() + 30
    while not port_open("127.0.0.1", port):
        if process.proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"daphne did not start:\n{process.output}")
        time.sleep(0.05)
    return Server(process, port)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    def json(self):
        return json.loads(self.body)


def get(url: str, timeout: float = 30.0, method: str = "GET") -> Reply:
    """One HTTP request; an HTTP error status is a normal :class:`Reply`, not an exception."""
    request = urllib.request.Request(url, method=method)
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
            return Reply(response.status, dict(response.headers), body, time.monotonic() - started)
    except urllib.error.HTTPError as exc:
        with contextlib.closing(exc):
            return Reply(exc.code, dict(exc.headers), exc.read(), time.monotonic() - started)
