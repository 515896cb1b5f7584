"""A private broker and Redis for the integration tests, on free ports, stopped at the end.

Nothing here touches a developer's running stack (127.0.0.1:9092, :6379).
"""

from __future__ import annotations

import itertools
import os

import pytest

from bridge.devstack import Broker, RedisServer, ensure_topic

from .processes import bridge_env, start_consumer, start_daphne

_topics = itertools.count(1)


@pytest.fixture(scope="session")
def broker():
    server = Broker()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server():
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def topic(broker) -> str:
    """A fresh topic with 4 partitions, so tests never see each other's messages."""
    name = f"it-{os.getpid()}-{next(_topics)}"
    ensure_topic(broker.bootstrap, name, 4, timeout=15)
    return name


@pytest.fixture
def env_for(broker, redis_server):
    """Build a bridge environment for a topic, with extra variables."""

    def build(topic: str, **extra: str) -> dict[str, str]:
        return bridge_env(broker.bootstrap, redis_server.url, topic, **extra)

    return build


@pytest.fixture
def launch():
    """Start consumers and servers; every one is stopped when the test ends."""
    started = []

    class Launcher:
        def consumer(self, env, *args, **kwargs):
            process = start_consumer(env, *args, **kwargs)
            started.append(process)
            return process

        def daphne(self, env):
            server = start_daphne(env)
            started.append(server.process)
            return server

    yield Launcher()
    for process in reversed(started):
        process.stop()
