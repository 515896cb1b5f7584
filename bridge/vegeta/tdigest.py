"""The merging t-digest that vegeta's latency percentiles come from.

vegeta v12 estimates percentiles with ``github.com/influxdata/tdigest`` v0.0.1
at compression 100.  Matching its answers to the nanosecond needs more than
the same algorithm: the same float64 operations in the same order, the same
(unstable) order that Go's ``sort.Sort`` leaves equal means in (``gosort``),
and the same ``math.Sin``/``math.Asin`` results (``gomath``).  Everything here
is float64 arithmetic, evaluated left to right as Go does on amd64 (no fused
multiply-add).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from itertools import pairwise
from operator import itemgetter

from bridge.vegeta.gomath import HALF_PI, go_asin, go_sin
from bridge.vegeta.gosort import Centroid, go_sort_centroids


def _sort_by_mean(d: list[Centroid]) -> list[Centroid]:
    """Return ``d`` ordered as Go's unstable sort orders it.

    Equal means in a different order only change the result when their weights
    differ, so Python's (fast) sort is used unless that is the case.
    """
    fast = sorted(d, key=itemgetter(0))
    for left, right in pairwise(fast):
        if left[0] == right[0] and left[1] != right[1]:
            go_sort_centroids(d)
            return d
    return fast


class TDigest:
    """influxdata/tdigest v0.0.1's ``TDigest``: ``add`` samples, read ``quantile``."""

    def __init__(self, compression: float = 100.0) -> None:
        self.compression = compression
        self._max_processed = int(2 * math.ceil(compression))
        self._max_unprocessed = int(8 * math.ceil(compression))
        self._processed: list[list[float]] = []  # [mean, weight], merged in place
        self._unprocessed: list[Centroid] = []
        self._cumulative: list[float] = []
        self._processed_weight = 0.0
        self._unprocessed_weight = 0.0
        self._min = 1.7976931348623157e308  # math.MaxFloat64
        self._max = -1.7976931348623157e308

    def add(self, x: float, w: float = 1.0) -> None:
        """Add sample ``x`` with positive weight ``w`` (vegeta uses 1); NaN is ignored, as in Go."""
        if math.isnan(x):
            return
        self._unprocessed.append((x, w))
        self._unprocessed_weight += w
        if len(self._processed) > self._max_processed or len(self._unprocessed) > self._max_unprocessed:
            self._process()

    def count(self) -> float:
        """Total weight added so far."""
        self._process()
        total = 0.0
        for _, weight in self._processed:
            total += weight
        return total

    def quantile(self, q: float) -> float:
        """Estimate the ``q`` quantile (0..1); NaN when empty or ``q`` is out of range."""
        self._process()
        processed = self._processed
        if q < 0 or q > 1 or not processed:
            return math.nan
        if len(processed) == 1:
            return processed[0][0]
        index = q * self._processed_weight
        first_mean, first_weight = processed[0]
        if index <= first_weight / 2.0:
            return self._min + 2.0 * index / first_weight * (first_mean - self._min)
        cumulative = self._cumulative
        lower = bisect_left(cumulative, index)  # sort.Search(cumulative[i] >= index)
        if lower + 1 != len(cumulative):
            z1 = index - cumulative[lower - 1]
            z2 = cumulative[lower] - index
            return _weighted_average(processed[lower - 1][0], z2, processed[lower][0], z1)
        z1 = index - self._processed_weight - processed[lower - 1][1] / 2.0
        z2 = (processed[lower - 1][1] / 2.0) - z1
        return _weighted_average(processed[-1][0], z1, self._max, z2)

    def _process(self) -> None:
        if not self._unprocessed and len(self._processed) <= self._max_processed:
            return
        # Go appends the processed centroids after the new samples, then sorts.
        merged = _sort_by_mean(self._unprocessed + [(m, w) for m, w in self._processed])
        self._processed_weight += self._unprocessed_weight
        self._unprocessed_weight = 0.0
        total = self._processed_weight
        last = [merged[0][0], merged[0][1]]
        processed = [last]
        so_far = merged[0][1]
        limit = total * self._integrated_q(1.0)
        for mean, weight in merged[1:]:
            projected = so_far + weight
            if projected <= limit:
                so_far = projected
                last[1] += weight  # Centroid.Add: weight first, then the mean moves
                last[0] += weight * (mean - last[0]) / last[1]
            else:
                k1 = self._integrated_location(so_far / total)
                limit = total * self._integrated_q(k1 + 1.0)
                so_far += weight
                last = [mean, weight]
                processed.append(last)
        self._processed = processed
        self._min = min(self._min, processed[0][0])
        self._max = max(self._max, processed[-1][0])
        self._update_cumulative()
        self._unprocessed = []

    def _update_cumulative(self) -> None:
        cumulative = []
        prev = 0.0
        for _, weight in self._processed:
            cumulative.append(prev + weight / 2.0)
            prev = prev + weight
        cumulative.append(prev)
        self._cumulative = cumulative

    def _integrated_q(self, k: float) -> float:
        c = self.compression
        return (go_sin(min(k, c) * math.pi / c - HALF_PI) + 1.0) / 2.0

    def _integrated_location(self, q: float) -> float:
        return self.compression * (go_asin(2.0 * q - 1.0) + HALF_PI) / math.pi


def _weighted_average(x1: float, w1: float, x2: float, w2: float) -> float:
    if x1 <= x2:
        return _weighted_average_sorted(x1, w1, x2, w2)
    return _weighted_average_sorted(x2, w2, x1, w1)


def _weighted_average_sorted(x1: float, w1: float, x2: float, w2: float) -> float:
    x = (x1 * w1 + x2 * w2) / (w1 + w2)
    return max(x1, min(x, x2))
