"""A second consumer joins the group while requests flow: the partitions are shared and no request fails."""

from __future__ import annotations

import re
import threading
import time

import pytest

from .processes import get

pytestmark = pytest.mark.integration


def test_second_consumer_joins_while_requests_flow(topic, env_for, launch):
    env = env_for(topic)
    group = f"{topic}-group"
    first = launch.consumer(env, group=group)
    server = launch.daphne(env)
    results: list[int] = []
    stop = threading.Event()

    def traffic() -> None:
        n = 0
        while not stop.is_set() and n < 2000:  # bounded in count as well as in time
            results.append(get(f"{server.base}/inquiry/{n}", timeout=30).status)
            n += 1
            time.sleep(0.01)

    sender = threading.Thread(target=traffic)
    sender.start()
    try:
        time.sleep(1)
        mark = first.line_count
        second = launch.consumer(env, group=group)
        # Both members end up with a share of the 4 partitions.
        first.wait_for(r"assigned partitions \[\d(, \d)?\]", timeout=60, start=mark)
        time.sleep(3)
    finally:
        stop.set()
        sender.join(60)
    assert results and all(status == 200 for status in results), results
    assert second.stop() == 0
    replied = int(re.search(r"stopped: replied (\d+)", second.output).group(1))
    assert replied > 0, second.output
