"""vegeta's ``Metrics``: accumulate results with ``add``, derive the rest in ``close``.

The arithmetic follows vegeta v12.13's lib/metrics.go step for step: integer
totals wrap like Go's uint64/int64, rates are float64 divisions by
``time.Duration.Seconds()``, and float-to-duration conversions truncate toward
zero (a NaN or out-of-range value becomes the minimum duration, as on amd64).
Times are Unix nanoseconds; Go's zero ``time.Time`` is ``GO_ZERO_TIME``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bridge.vegeta.goduration import MAX_DURATION, MIN_DURATION, seconds, to_duration
from bridge.vegeta.gomath import go_fdiv, wrap_int64
from bridge.vegeta.gotime import GO_ZERO_TIME
from bridge.vegeta.histogram import Histogram
from bridge.vegeta.result import Result
from bridge.vegeta.tdigest import TDigest

_U64 = (1 << 64) - 1


def _sub_times(t: int, u: int) -> int:
    """``time.Time.Sub``: the difference, saturated to the duration range."""
    return max(MIN_DURATION, min(MAX_DURATION, t - u))


@dataclass
class LatencyMetrics:
    """Latency summary in nanoseconds; percentiles are t-digest estimates."""

    total: int = 0
    mean: int = 0
    p50: int = 0
    p90: int = 0
    p95: int = 0
    p99: int = 0
    max: int = 0
    min: int = 0
    estimator: TDigest = field(default_factory=lambda: TDigest(100.0), repr=False)

    def add(self, latency: int) -> None:
        """Add one latency, as ``LatencyMetrics.Add``."""
        self.total += latency
        if latency > self.max:
            self.max = latency
        # Go's test also lets the next latency replace a minimum of zero.
        if latency < self.min or self.min == 0:
            self.min = latency
        self.estimator.add(float(latency))

    def quantile(self, nth: float) -> int:
        """The ``nth`` quantile as a duration (minimum duration when there are no samples)."""
        return to_duration(self.estimator.quantile(nth))


@dataclass
class ByteMetrics:
    """Total and mean bytes per request."""

    total: int = 0
    mean: float = 0.0


@dataclass
class Metrics:
    """Everything ``vegeta report`` prints for text and JSON.

    Call ``add`` for every result, then ``close`` once.  Set ``histogram``
    before adding to also bucket latencies (vegeta's ``-buckets`` for JSON).
    """

    latencies: LatencyMetrics = field(default_factory=LatencyMetrics)
    histogram: Histogram | None = None
    bytes_in: ByteMetrics = field(default_factory=ByteMetrics)
    bytes_out: ByteMetrics = field(default_factory=ByteMetrics)
    earliest: int = GO_ZERO_TIME
    latest: int = GO_ZERO_TIME
    end: int = GO_ZERO_TIME
    duration: int = 0
    wait: int = 0
    requests: int = 0
    rate: float = 0.0
    throughput: float = 0.0
    success: float = 0.0
    status_codes: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    _successes: int = field(default=0, init=False, repr=False)
    _seen_errors: set[str] = field(default_factory=set, init=False, repr=False)

    def add(self, r: Result) -> None:
        """Account for one result (``Metrics.Add``)."""
        self.requests += 1
        code = str(r.code)
        self.status_codes[code] = self.status_codes.get(code, 0) + 1
        self.bytes_out.total += r.bytes_out
        self.bytes_in.total += r.bytes_in
        self.latencies.add(r.latency)

        ts = r.timestamp
        if self.earliest == GO_ZERO_TIME or self.earliest > ts:
            self.earliest = ts
        if ts > self.latest:
            self.latest = ts
        end = ts + r.latency
        if end > self.end:
            self.end = end

        if 200 <= r.code < 400:
            self._successes += 1
        if r.error and r.error not in self._seen_errors:
            self._seen_errors.add(r.error)
            self.errors.append(r.error)
        if self.histogram is not None:
            self.histogram.add(r.latency)

    def close(self) -> None:
        """Derive rates, means and percentiles (``Metrics.Close``); a no-op without results."""
        if self.requests == 0:
            return
        # Totals are Go uint64/int64 counters: wrap them as Go would have.
        self.requests &= _U64
        self.bytes_in.total &= _U64
        self.bytes_out.total &= _U64
        self.latencies.total = wrap_int64(self.latencies.total)

        requests = float(self.requests)
        self.rate = requests
        self.throughput = float(self._successes)
        self.duration = _sub_times(self.latest, self.earliest)
        self.wait = _sub_times(self.end, self.latest)
        secs = seconds(self.duration)
        if secs > 0:
            self.rate /= secs
            self.throughput = go_fdiv(self.throughput, seconds(wrap_int64(self.duration + self.wait)))

        self.bytes_in.mean = float(self.bytes_in.total) / requests
        self.bytes_out.mean = float(self.bytes_out.total) / requests
        self.success = float(self._successes) / requests
        lat = self.latencies
        lat.mean = to_duration(float(lat.total) / requests)
        lat.p50 = lat.quantile(0.50)
        lat.p90 = lat.quantile(0.90)
        lat.p95 = lat.quantile(0.95)
        lat.p99 = lat.quantile(0.99)
