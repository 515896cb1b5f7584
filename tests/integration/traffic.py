"""Load for fault tests: N requests at R per second from a thread pool, each outcome recorded.

:func:`send` paces requests on a fixed schedule (an open model: a slow answer
does not delay the next request) and returns one :class:`Outcome` per request;
:class:`Tally` sums them up in the figures the reliability table reports, and
:class:`ReplySpy` counts the replies the worker publishes, to see redeliveries.
Every run is bounded in count and in time.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import redis


@dataclass
class Outcome:
    """One request: when it started (seconds since the run began), how it ended, and what came back."""

    index: int
    inquiry_id: str
    started: float
    seconds: float
    status: int | None = None  # None: no HTTP answer at all
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    error: str | None = None

    @property
    def ended(self) -> float:
        return self.started + self.seconds

    def json(self):
        return json.loads(self.body)


def request(port: int, path: str, timeout: float, host: str = "127.0.0.1") -> tuple[int, dict[str, str], bytes]:
    """One GET on a fresh connection: status, headers (lower-case names) and body; raises OSError on no answer."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        conn.close()


def send(
    port: int,
    count: int,
    rate: float,
    *,
    timeout: float,
    ids: Callable[[int], str] = str,
    workers: int = 200,
    events: Sequence[tuple[float, Callable[[], None]]] = (),
) -> list[Outcome]:
    """Send ``count`` GET /inquiry/<ids(n)> at ``rate`` per second; each waits at most ``timeout`` seconds.

    ``events`` are ``(seconds, action)`` pairs run on the calling thread at those
    times after the start (kill a process, restart a server...); they delay no request.
    Returns when every request has ended, in the order they were sent.
    """
    outcomes: list[Outcome | None] = [None] * count
    begin = time.monotonic()

    def one(n: int) -> None:
        inquiry_id = ids(n)
        started = time.monotonic()
        outcome = Outcome(n, inquiry_id, started - begin, 0.0)
        try:
            outcome.status, outcome.headers, outcome.body = request(port, f"/inquiry/{inquiry_id}", timeout)
        except (OSError, http.client.HTTPException) as exc:
            outcome.error = f"{type(exc).__name__}: {exc}"
        outcome.seconds = time.monotonic() - started
        outcomes[n] = outcome

    def pace(pool: ThreadPoolExecutor) -> None:
        for n in range(count):
            delay = begin + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, n)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="traffic") as pool:
        pacer = threading.Thread(target=pace, args=(pool,), name="traffic-pacer")
        pacer.start()
        for at, action in sorted(events, key=lambda event: event[0]):
            delay = begin + at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            action()
        pacer.join()
    return [o for o in outcomes if o is not None]


@dataclass
class Tally:
    """The figures of one fault test: what was sent, what came back, and how late."""

    name: str
    deadline: float
    slack: float
    outcomes: list[Outcome]
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def sent(self) -> int:
        return len(self.outcomes)

    @property
    def answered(self) -> int:
        return sum(1 for o in self.outcomes if o.status is not None)

    @property
    def by_status(self) -> dict[str, int]:
        counts = Counter("none" if o.status is None else str(o.status) for o in self.outcomes)
        return dict(sorted(counts.items()))

    @property
    def lost(self) -> list[Outcome]:
        """Requests with no HTTP answer, or one later than the deadline plus the slack."""
        return [o for o in self.outcomes if o.status is None or o.seconds > self.deadline + self.slack]

    @property
    def longest(self) -> float:
        return max((o.seconds for o in self.outcomes), default=0.0)

    def summary(self) -> dict[str, object]:
        return {
            "test": self.name,
            "sent": self.sent,
            "answered": self.answered,
            "status": self.by_status,
            "lost": len(self.lost),
            "longest_s": round(self.longest, 3),
            "deadline_s": self.deadline,
            **self.extra,
        }

    def report(self, record_property: Callable[[str, object], None] | None = None) -> None:
        """Print the figures on one ``RELIABILITY {json}`` line (shown with ``pytest -s``) and record them."""
        doc = self.summary()
        print(f"\nRELIABILITY {json.dumps(doc)}")
        if record_property is not None:
            record_property("reliability", json.dumps(doc))

    def assert_none_lost(self) -> None:
        lost = self.lost
        assert not lost, f"{len(lost)} requests lost, first: {lost[:3]}"


def first_success_after(outcomes: Sequence[Outcome], moment: float) -> Outcome | None:
    """The earliest-ending 200 among requests sent at or after ``moment`` (seconds since the run began)."""
    good = [o for o in outcomes if o.status == 200 and o.started >= moment]
    return min(good, key=lambda o: o.ended, default=None)


def refused(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a TCP connection to ``host:port`` is refused outright."""
    try:
        with socket.create_connection((host, port), timeout=2.0):
            return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False


def health(port: int) -> dict:
    """``GET /health`` of the server on ``port``, whatever its status."""
    _, _, body = request(port, "/health", timeout=10)
    return json.loads(body)


class ReplySpy:
    """Counts every reply the worker publishes, per correlation id, on every reply channel of one Redis."""

    def __init__(self, url: str) -> None:
        self.published: Counter[str] = Counter()
        self.reply_to: dict[str, tuple[str, str]] = {}  # cid -> (instance, inquiry id)
        self._client = redis.Redis.from_url(url)
        self._pubsub = self._client.pubsub()
        self._pubsub.psubscribe("bridge:replies:*")
        self._pubsub.get_message(timeout=5)  # the psubscribe confirmation
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, name="reply-spy", daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        while not self._stop.is_set():
            message = self._pubsub.get_message(timeout=0.2)
            if message is None or message["type"] != "pmessage":
                continue
            cid, _, reply = message["data"].partition(b" ")
            cid = cid.decode()
            self.published[cid] += 1
            instance = message["channel"].decode().rsplit(":", 1)[1]
            self.reply_to[cid] = (instance, json.loads(reply)["ID"])

    @property
    def duplicates(self) -> int:
        """Replies published more than once for the same request: redeliveries."""
        return sum(n - 1 for n in self.published.values() if n > 1)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._pubsub.close()
        self._client.close()
