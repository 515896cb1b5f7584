"""Go's ``sort.Sort`` (pdqsort, Go 1.19 and later) over t-digest centroids by mean.

Go's sort is not stable: centroids with equal means come out in an order
that only this exact port of its steps reproduces.  That order matters to
the t-digest only when such centroids differ in weight.
"""

from __future__ import annotations

# A centroid is (mean, weight); tuples keep the hot loops cheap.
Centroid = tuple[float, float]


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
