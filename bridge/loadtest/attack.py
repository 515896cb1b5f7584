"""Sends one process's share of an open-model attack (gevent only: Locust processes).

A scheduler loop spawns one greenlet per request at its due time, never
waiting for earlier requests: a slow server gets more requests in flight, not
fewer sent.  When the process falls behind (the loop woke late, or the CPU is
saturated) every overdue request is spawned at once, as vegeta's pacer does.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import gevent
import gevent.pool

from bridge.loadtest.client import Client, Reply
from bridge.loadtest.options import Plan
from bridge.loadtest.recorder import TRANSPORT_ERRORS, DeadlineExceeded, Recorder, error_text
from bridge.vegeta.result import Result

# Past their own deadline, requests need only a moment to record their result.
_JOIN_GRACE = 1.0


@dataclass(frozen=True, slots=True)
class ShareSummary:
    """What one share did: requests planned and started, and the worst delay of a start after its due time (s)."""

    planned: int
    sent: int
    max_lag: float


class Attack:
    """Runs ``plan``'s share: GET ``path(id)`` on schedule, each Result to ``emit``."""

    def __init__(self, plan: Plan, path: Callable[[int], str], emit: Callable[[Result], None]) -> None:
        host, port, self._prefix = plan.address
        self._plan = plan
        self._path = path
        self._emit = emit
        self._client = Client(host, port)
        self._recorder = Recorder(plan.attack)
        self._origin = plan.origin  # URLs are origin + path, and the path has the base URL's prefix
        self._ids = random.Random()  # seeded per process: forked workers must not draw the same ids
        self._sent = 0
        self._t0_ns = 0  # perf_counter_ns() at which request 0 is due
        self._interval_ns = 1e9 / plan.rate  # between global requests
        self._max_lag_ns = 0.0  # the most any request started after its due time

    def run(self) -> ShareSummary:
        """Send the share on schedule, then wait (at most the timeout) for the requests in flight."""
        schedule = self._plan.schedule
        count = len(schedule)
        sleep, clock = gevent.sleep, time.perf_counter  # the clock of latencies and lags, too
        requests = gevent.pool.Group()  # owns the request greenlets, so they can be joined and killed
        spawn = requests.spawn
        now = clock()
        # A common wall-clock start lets shares on several processes interleave exactly.
        t0 = now if self._plan.start is None else now + (self._plan.start - time.time())
        self._t0_ns = int(t0 * 1e9)
        sent = 0
        try:
            while sent < count:
                due = schedule.due_count(clock() - t0)
                while sent < due:
                    spawn(self._send, schedule.index(sent))
                    sent += 1
                self._sent = sent
                if sent < count:
                    sleep(max(0.0, schedule.due(sent) - (clock() - t0)))
            requests.join(timeout=self._plan.timeout + _JOIN_GRACE)
        finally:
            # Normally empty; on Locust stopping the user this takes its requests down with it.
            requests.kill(block=False)
            self._client.close()
        return self.summary()

    def summary(self) -> ShareSummary:
        """What the share has done so far."""
        return ShareSummary(planned=len(self._plan.schedule), sent=self._sent, max_lag=self._max_lag_ns / 1e9)

    def _send(self, seq: int) -> None:
        path = self._prefix + self._path(self._ids.randrange(self._plan.vars))
        url = self._origin + path
        reply = Reply()
        timestamp = time.time_ns()
        began = time.perf_counter_ns()
        # Late by more than the scheduler's wake-up: the process is saturated and sends in bursts.
        lag = began - self._t0_ns - seq * self._interval_ns
        if lag > self._max_lag_ns:
            self._max_lag_ns = lag
        deadline = gevent.Timeout.start_new(self._plan.timeout)
        try:
            self._client.get(path, reply)
            result = self._recorder.response(seq, url, timestamp, time.perf_counter_ns() - began, reply)
        except gevent.Timeout as exc:
            if exc is not deadline:
                raise  # someone else's timeout: not ours to record
            result = self._failure(seq, url, timestamp, began, reply, DeadlineExceeded())
        except TRANSPORT_ERRORS as exc:  # every way the exchange fails on the wire is a code-0 result
            result = self._failure(seq, url, timestamp, began, reply, exc)
        finally:
            deadline.close()
        self._emit(result)

    def _failure(self, seq: int, url: str, timestamp: int, began: int, reply: Reply, exc: BaseException) -> Result:
        latency = time.perf_counter_ns() - began
        error = error_text(self._recorder.method, url, self._client.target, reply.stage, exc)
        return self._recorder.failure(seq, url, timestamp, latency, error)
