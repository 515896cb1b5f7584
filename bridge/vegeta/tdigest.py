"""The merging t-digest that vegeta's latency percentiles come from.

vegeta v12 estimates percentiles with ``github.com/influxdata/tdigest`` v0.0.1
at compression 100.  Matching its answers to the nanosecond needs more than
the same algorithm: the same float64 operations in the same order, the same
(unstable) order that Go's ``sort.Sort`` leaves equal means in, and the same
``math.Sin``/``math.Asin`` results, which Go computes in pure Go (Cephes
polynomials) rather than with the C library that Python's ``math`` uses.
Everything here is float64 arithmetic, evaluated left to right as Go does on
amd64 (no fused multiply-add).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from itertools import pairwise
from operator import itemgetter

# A centroid is (mean, weight); tuples keep the hot loops cheap.
Centroid = tuple[float, float]

_HALF_PI = math.pi / 2.0  # Go folds Pi/2 exactly, and halving math.pi is exact
_QUARTER_PI = math.pi / 4.0
_FOUR_OVER_PI = 4.0 / math.pi  # equals the correctly rounded constant 4/Pi

# Cephes sine and cosine coefficients, as in Go's math/sin.go.
_SIN = (
    1.58962301576546568060e-10,
    -2.50507477628578072866e-8,
    2.75573136213857245213e-6,
    -1.98412698295895385996e-4,
    8.33333333332211858878e-3,
    -1.66666666666666307295e-1,
)
_COS = (
    -1.13585365213876817300e-11,
    2.08757008419747316778e-9,
    -2.75573141792967388112e-7,
    2.48015872888517045348e-5,
    -1.38888888888730564116e-3,
    4.16666666666665929218e-2,
)
# Pi/4 split into three parts for the extended-precision argument reduction.
_PI4A = 7.85398125648498535156e-1
_PI4B = 3.77489470793079817668e-8
_PI4C = 2.69515142907905952645e-15
_REDUCE_THRESHOLD = float(1 << 29)


def go_sin(x: float) -> float:
    """Go's ``math.Sin`` for ``|x| < 2**29`` (the t-digest needs ``|x| <= pi/2``)."""
    if x == 0 or math.isnan(x):
        return x
    if math.isinf(x):
        return math.nan
    sign = x < 0
    if sign:
        x = -x
    assert x < _REDUCE_THRESHOLD, "Payne-Hanek reduction is not needed by the t-digest"
    j = int(x * _FOUR_OVER_PI)
    y = float(j)
    if j & 1:  # map zeros to origin
        j += 1
        y += 1
    j &= 7
    z = ((x - y * _PI4A) - y * _PI4B) - y * _PI4C
    if j > 3:
        sign = not sign
        j -= 4
    zz = z * z
    if j in (1, 2):
        c = _COS
        y = 1.0 - 0.5 * zz + zz * zz * ((((((c[0] * zz) + c[1]) * zz + c[2]) * zz + c[3]) * zz + c[4]) * zz + c[5])
    else:
        s = _SIN
        y = z + z * zz * ((((((s[0] * zz) + s[1]) * zz + s[2]) * zz + s[3]) * zz + s[4]) * zz + s[5])
    return -y if sign else y


# Cephes arctangent rational approximation, as in Go's math/atan.go.
_ATAN_P = (
    -8.750608600031904122785e-01,
    -1.615753718733365076637e01,
    -7.500855792314704667340e01,
    -1.228866684490136173410e02,
    -6.485021904942025371773e01,
)
_ATAN_Q = (
    2.485846490142306297962e01,
    1.650270098316988542046e02,
    4.328810604912902668951e02,
    4.853903996359136964868e02,
    1.945506571482613964425e02,
)


def _xatan(x: float) -> float:
    """Cephes arctangent series, valid on [0, 0.66]."""
    p, q = _ATAN_P, _ATAN_Q
    z = x * x
    z = (
        z
        * ((((p[0] * z + p[1]) * z + p[2]) * z + p[3]) * z + p[4])
        / (((((z + q[0]) * z + q[1]) * z + q[2]) * z + q[3]) * z + q[4])
    )
    return x * z + x


def _satan(x: float) -> float:
    """Arctangent of a positive argument, reduced to [0, 0.66] first."""
    morebits = 6.123233995736765886130e-17  # pi/2 = PIO2 + morebits
    if x <= 0.66:
        return _xatan(x)
    if x > 2.41421356237309504880:  # tan(3*pi/8)
        return _HALF_PI - _xatan(1 / x) + morebits
    return _QUARTER_PI + _xatan((x - 1) / (x + 1)) + 0.5 * morebits


def go_asin(x: float) -> float:
    """Go's ``math.Asin`` (pure Go on every platform but s390x)."""
    if x == 0:
        return x
    sign = x < 0
    if sign:
        x = -x
    if x > 1:
        return math.nan
    temp = math.sqrt(1 - x * x)  # Go's Sqrt is the correctly rounded hardware one
    temp = _HALF_PI - _satan(temp / x) if x > 0.7 else _satan(x / temp)
    return -temp if sign else temp


# --- Go's sort.Sort (pdqsort, Go 1.19 and later) over centroids by mean ---------
#
# Only the order of equal means depends on these details, and only when those
# centroids differ in weight; TDigest uses Python's sort when that cannot happen.

_XORSHIFT_SHIFTS = (13, 17, 5)  # Go 1.19-1.23 (vegeta v12.13's releases use 1.22)
_MASK64 = (1 << 64) - 1


def go_sort_centroids(d: list[Centroid]) -> None:
    """Sort ``d`` in place by mean exactly as Go's ``sort.Sort`` would permute it."""
    n = len(d)
    if n > 1:
        _pdqsort(d, 0, n, n.bit_length())


def _insertion_sort(d: list[Centroid], a: int, b: int) -> None:
    for i in range(a + 1, b):
        j = i
        while j > a and d[j][0] < d[j - 1][0]:
            d[j], d[j - 1] = d[j - 1], d[j]
            j -= 1


def _sift_down(d: list[Centroid], lo: int, hi: int, first: int) -> None:
    root = lo
    while True:
        child = 2 * root + 1
        if child >= hi:
            return
        if child + 1 < hi and d[first + child][0] < d[first + child + 1][0]:
            child += 1
        if not d[first + root][0] < d[first + child][0]:
            return
        d[first + root], d[first + child] = d[first + child], d[first + root]
        root = child


def _heap_sort(d: list[Centroid], a: int, b: int) -> None:
    first, hi = a, b - a
    for i in range((hi - 1) // 2, -1, -1):
        _sift_down(d, i, hi, first)
    for i in range(hi - 1, -1, -1):
        d[first], d[first + i] = d[first + i], d[first]
        _sift_down(d, 0, i, first)


def _break_patterns(d: list[Centroid], a: int, b: int) -> None:
    length = b - a
    if length < 8:
        return
    s1, s2, s3 = _XORSHIFT_SHIFTS
    state = length
    modulus = 1 << length.bit_length()
    mid = a + (length // 4) * 2
    for idx in range(mid - 1, mid + 2):
        state ^= (state << s1) & _MASK64
        state ^= state >> s2
        state ^= (state << s3) & _MASK64
        other = state & (modulus - 1)
        if other >= length:
            other -= length
        d[idx], d[a + other] = d[a + other], d[idx]


def _choose_pivot(d: list[Centroid], a: int, b: int) -> tuple[int, int]:
    """Return (pivot index, hint): hint 1 increasing, 2 decreasing, 0 unknown."""
    length = b - a
    swaps = 0

    def median(x: int, y: int, z: int) -> int:
        nonlocal swaps
        if d[y][0] < d[x][0]:
            swaps += 1
            x, y = y, x
        if d[z][0] < d[y][0]:
            swaps += 1
            y, z = z, y
        if d[y][0] < d[x][0]:
            swaps += 1
            x, y = y, x
        return y

    i, j, k = a + length // 4, a + length // 4 * 2, a + length // 4 * 3
    if length >= 8:
        if length >= 50:  # Tukey's ninther
            i = median(i - 1, i, i + 1)
            j = median(j - 1, j, j + 1)
            k = median(k - 1, k, k + 1)
        j = median(i, j, k)
    if swaps == 0:
        return j, 1
    if swaps == 12:
        return j, 2
    return j, 0


def _partial_insertion_sort(d: list[Centroid], a: int, b: int) -> bool:
    i = a + 1
    for _ in range(5):
        while i < b and not d[i][0] < d[i - 1][0]:
            i += 1
        if i == b:
            return True
        if b - a < 50:
            return False
        d[i], d[i - 1] = d[i - 1], d[i]
        if i - a >= 2:
            j = i - 1
            while j >= 1:  # Go scans down to index 1, not to a
                if not d[j][0] < d[j - 1][0]:
                    break
                d[j], d[j - 1] = d[j - 1], d[j]
                j -= 1
        if b - i >= 2:
            for j in range(i + 1, b):
                if not d[j][0] < d[j - 1][0]:
                    break
                d[j], d[j - 1] = d[j - 1], d[j]
    return False


def _partition_equal(d: list[Centroid], a: int, b: int, pivot: int) -> int:
    d[a], d[pivot] = d[pivot], d[a]
    p = d[a][0]
    i, j = a + 1, b - 1
    while True:
        while i <= j and not p < d[i][0]:
            i += 1
        while i <= j and p < d[j][0]:
            j -= 1
        if i > j:
            return i
        d[i], d[j] = d[j], d[i]
        i += 1
        j -= 1


def _partition(d: list[Centroid], a: int, b: int, pivot: int) -> tuple[int, bool]:
    d[a], d[pivot] = d[pivot], d[a]
    p = d[a][0]
    i, j = a + 1, b - 1
    while i <= j and d[i][0] < p:
        i += 1
    while i <= j and not d[j][0] < p:
        j -= 1
    if i > j:
        d[j], d[a] = d[a], d[j]
        return j, True
    d[i], d[j] = d[j], d[i]
    i += 1
    j -= 1
    while True:
        while i <= j and d[i][0] < p:
            i += 1
        while i <= j and not d[j][0] < p:
            j -= 1
        if i > j:
            break
        d[i], d[j] = d[j], d[i]
        i += 1
        j -= 1
    d[j], d[a] = d[a], d[j]
    return j, False


def _pdqsort(d: list[Centroid], a: int, b: int, limit: int) -> None:
    was_balanced = was_partitioned = True
    while True:
        length = b - a
        if length <= 12:
            _insertion_sort(d, a, b)
            return
        if limit == 0:
            _heap_sort(d, a, b)
            return
        if not was_balanced:
            _break_patterns(d, a, b)
            limit -= 1
        pivot, hint = _choose_pivot(d, a, b)
        if hint == 2:
            d[a:b] = d[a:b][::-1]
            pivot = (b - 1) - (pivot - a)
            hint = 1
        if was_balanced and was_partitioned and hint == 1 and _partial_insertion_sort(d, a, b):
            return
        if a > 0 and not d[a - 1][0] < d[pivot][0]:
            a = _partition_equal(d, a, b, pivot)
            continue
        mid, was_partitioned = _partition(d, a, b, pivot)
        left, right = mid - a, b - mid
        threshold = length // 8
        if left < right:
            was_balanced = left >= threshold
            _pdqsort(d, a, mid, limit)
            a = mid + 1
        else:
            was_balanced = right >= threshold
            _pdqsort(d, mid + 1, b, limit)
            b = mid


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
        return (go_sin(min(k, c) * math.pi / c - _HALF_PI) + 1.0) / 2.0

    def _integrated_location(self, q: float) -> float:
        return self.compression * (go_asin(2.0 * q - 1.0) + _HALF_PI) / math.pi


def _weighted_average(x1: float, w1: float, x2: float, w2: float) -> float:
    if x1 <= x2:
        return _weighted_average_sorted(x1, w1, x2, w2)
    return _weighted_average_sorted(x2, w2, x1, w1)


def _weighted_average_sorted(x1: float, w1: float, x2: float, w2: float) -> float:
    x = (x1 * w1 + x2 * w2) / (w1 + w2)
    return max(x1, min(x, x2))
