"""The open-model schedule: when each request of an attack is due, and whether sending kept up.

An attack at ``rate`` requests/s sends ``total`` requests; request ``i`` (0-based)
is due ``i / rate`` seconds after the attack's start, whether or not earlier
requests have returned.  With several load-generating processes each takes a
*share*: every ``stride``-th request from ``offset``, so the shares interleave
into exactly the whole schedule and the global index ``i`` names a request
across processes (it is the vegeta ``seq``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# due_count() multiplies seconds by the rate; i / rate * rate can land a hair
# below i, which would report a request as not yet due at its own due time.
_EPSILON = 1e-9


def requests_in(rate: float, duration: float) -> int:
    """How many requests an attack of ``rate`` req/s sends in ``duration`` seconds (vegeta's ``rate x duration``)."""
    if rate <= 0 or duration <= 0:
        return 0
    return math.floor(rate * duration + _EPSILON)


@dataclass(frozen=True, slots=True)
class Schedule:
    """One process's share of an attack: global indices ``offset``, ``offset + stride``, ... below ``total``."""

    rate: float
    total: int
    offset: int = 0
    stride: int = 1

    def __post_init__(self) -> None:
        if self.rate <= 0:
            raise ValueError(f"rate must be positive, not {self.rate}")
        if self.stride < 1 or not 0 <= self.offset < self.stride:
            raise ValueError(f"offset {self.offset} and stride {self.stride}: need 0 <= offset < stride")

    def __len__(self) -> int:
        """How many requests this share sends."""
        return max(0, -(-(self.total - self.offset) // self.stride))

    def index(self, j: int) -> int:
        """The global index (vegeta ``seq``) of this share's ``j``-th request."""
        return self.offset + j * self.stride

    def due(self, j: int) -> float:
        """Seconds after the attack's start at which this share's ``j``-th request is due."""
        return (self.offset + j * self.stride) / self.rate

    def due_count(self, elapsed: float) -> int:
        """How many of this share's requests are due ``elapsed`` seconds after the start (due time <= elapsed)."""
        if elapsed < 0:
            return 0
        last_due = math.floor(elapsed * self.rate + _EPSILON)  # the highest global index due by now
        if last_due < self.offset:
            return 0
        return min(len(self), (last_due - self.offset) // self.stride + 1)


@dataclass(frozen=True, slots=True)
class Pace:
    """How sending went: requests sent and the first and last actual start, in Unix ns."""

    sent: int
    first_ns: int
    last_ns: int

    @property
    def span(self) -> float:
        """Seconds from the first start to the last."""
        return (self.last_ns - self.first_ns) / 1e9

    @property
    def rate(self) -> float:
        """Starts per second, ``(sent - 1) / span``: exactly the target when every start kept its spacing.

        vegeta's report divides ``sent`` by the span instead, which reads
        ``sent / (sent - 1)`` above the target even for perfect pacing.
        """
        if self.sent < 2 or self.last_ns <= self.first_ns:
            return 0.0
        return (self.sent - 1) / self.span


def behind_schedule(pace: Pace, target: float, tolerance: float = 0.01) -> str | None:
    """A warning when the achieved send rate is more than ``tolerance`` below ``target`` req/s, else None."""
    if pace.sent < 2 or pace.rate >= target * (1 - tolerance):
        return None
    return (
        f"behind schedule: sent {pace.sent} requests in {pace.span:.3f} s = {pace.rate:.1f} req/s, "
        f"target {target:g} req/s ({100 * (1 - pace.rate / target):.1f} % short); "
        "the load generator is the bottleneck: use --processes N"
    )


def late_starts(max_lag: float, limit: float = 0.1) -> str | None:
    """A warning when a request started more than ``limit`` seconds after its due time, else None.

    A process that falls behind catches up in bursts, so the overall rate can
    look right while the server saw the load in clumps.
    """
    if max_lag <= limit:
        return None
    return (
        f"requests started up to {max_lag * 1000:.0f} ms after their due time (sent in bursts to catch up); "
        "the load generator was saturated at times: use --processes N"
    )
