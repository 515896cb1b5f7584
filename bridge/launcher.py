"""The whole bridge on one machine, as child processes: what ``demo`` and ``experiment`` run.

:class:`LocalStack` starts (through :class:`~bridge.devstack.DevStack`) a broker
and Redis where none answers, then one ``runconsumer`` and one ``serve``
process with the given options, and waits until the consumer has its
partitions and the server answers ``/health``.  :func:`run_load` drives the
Locust attack of ``locustfile.py`` against it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bridge.config import BridgeConfig
from bridge.devstack import DevStack, port_open
from bridge.processes import ROOT, Process


class StackError(RuntimeError):
    """A part of the local stack did not start or stopped unexpectedly."""


@dataclass(frozen=True)
class StackOptions:
    """One configuration of the bridge: how it waits, how the consumer behaves, how many HTTP processes."""

    wait: str = "pubsub"
    consumer_args: tuple[str, ...] = ()
    processes: int = 1
    port: int = 8080
    extra_env: dict[str, str] = field(default_factory=dict)


class LocalStack:
    """Infrastructure plus a consumer and an HTTP server for one :class:`StackOptions`."""

    def __init__(self, config: BridgeConfig, options: StackOptions, topic: str | None = None) -> None:
        self.config = config
        self.options = options
        self.topic = topic or config.kafka.topic
        self.devstack = DevStack(config.kafka.bootstrap_servers, config.redis.url, self.topic, config.kafka.partitions)
        self.consumer: Process | None = None
        self.server: Process | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.options.port}"

    def env(self) -> dict[str, str]:
        """The environment of the bridge's processes."""
        env = dict(os.environ)
        env.update(
            {
                "KAFKA_BOOTSTRAP_SERVERS": self.config.kafka.bootstrap_servers,
                "REDIS_URL": self.config.redis.url,
                "BRIDGE_TOPIC": self.topic,
                "BRIDGE_WAIT": self.options.wait,
                "PYTHONUNBUFFERED": "1",
                **self.options.extra_env,
            }
        )
        return env

    def start_infrastructure(self) -> list[str]:
        """Start what does not answer yet; the status lines say what was started and what was found."""
        return self.devstack.start()

    def start(self, timeout: float = 90.0) -> None:
        """Start the consumer and the server; return once both are ready."""
        if port_open("127.0.0.1", self.options.port):
            raise StackError(f"port {self.options.port} is already taken; stop what listens there or pick another")
        manage = [sys.executable, str(ROOT / "manage.py")]
        env = self.env()
        self.consumer = Process("runconsumer", [*manage, "runconsumer", *self.options.consumer_args], env)
        self.server = Process(
            "serve",
            [*manage, "serve", "--port", str(self.options.port), "--processes", str(self.options.processes)],
            env,
        )
        try:
            self.consumer.wait_for(r"assigned partitions \[", timeout)
            self._wait_healthy(timeout)
        except AssertionError as exc:
            self.stop()
            raise StackError(str(exc)) from None

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.server.proc.poll() is not None:
                raise StackError(f"the server exited:\n{self.server.output[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        raise StackError(f"the server did not become healthy within {timeout}s:\n{self.server.output[-3000:]}")

    def ask(self, inquiry_id: str) -> dict:
        """One request, as a client would send it."""
        with urllib.request.urlopen(f"{self.base_url}/inquiry/{inquiry_id}", timeout=30) as response:
            return json.loads(response.read())

    def stop(self) -> list[str]:
        """Stop the server and the consumer (gracefully), then whatever infrastructure this stack started."""
        for process in (self.server, self.consumer):
            if process is not None:
                process.stop()
        return self.devstack.stop()

    def __enter__(self) -> LocalStack:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def run_load(
    host: str,
    rps: float,
    duration: str,
    out: Path,
    processes: int = 1,
    extra: tuple[str, ...] = (),
    capture: bool = False,
) -> subprocess.CompletedProcess:
    """Run ``locustfile.py`` headless against ``host``; results go to ``out`` in vegeta's gob format."""
    argv = [
        str(Path(sys.executable).parent / "locust"),
        "-f",
        str(ROOT / "locustfile.py"),
        "--headless",
        "--only-summary",
        "--host",
        host,
        "--rps",
        str(rps),
        "--dur",
        duration,
        "--vegeta-out",
        str(out),
        *(("--processes", str(processes)) if processes > 1 else ()),
        *extra,
    ]
    return subprocess.run(argv, cwd=ROOT, text=True, capture_output=capture, check=False)
