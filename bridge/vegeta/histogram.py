"""vegeta's latency histogram and the bucket syntax of ``-type='hist[0,2ms,1s]'``.

Buckets are durations in nanoseconds.  A latency lands in the first bucket
``i`` with ``buckets[i] <= latency < buckets[i+1]``; anything that matches no
such range (beyond the last bound, or below the first) lands in the last one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

_UNITS = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,  # micro sign
    "\u03bcs": 1_000,  # Greek small letter mu
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_LIMIT = 1 << 63


class BucketsError(ValueError):
    """A bucket list or one of its durations could not be parsed."""


def _quote(s: str) -> str:
    """Quote ``s`` roughly as Go's time package does in its error messages."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_duration(text: str) -> int:
    """Go's ``time.ParseDuration``: ``"1.5s"``, ``"2h45m"``, ``"-300ms"``, ``"0"`` -> nanoseconds.

    Raises ``BucketsError`` with Go's message for malformed or overflowing input.
    """
    invalid = BucketsError(f"time: invalid duration {_quote(text)}")
    s = text
    neg = False
    if s and s[0] in "+-":
        neg = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        raise invalid
    total = 0
    while s:
        if not (s[0] == "." or "0" <= s[0] <= "9"):
            raise invalid
        i = _count_digits(s)
        whole = int(s[:i]) if i else 0
        if whole > _LIMIT:
            raise invalid
        pre, s = i > 0, s[i:]
        frac, scale, post = 0, 1.0, False
        if s.startswith("."):
            s = s[1:]
            i = _count_digits(s)
            frac, scale = _leading_fraction(s[:i])
            post, s = i > 0, s[i:]
        if not pre and not post:
            raise invalid  # no digits, e.g. ".s"
        i = 0
        while i < len(s) and s[i] != "." and not "0" <= s[i] <= "9":
            i += 1
        if i == 0:
            raise BucketsError(f"time: missing unit in duration {_quote(text)}")
        unit_name, s = s[:i], s[i:]
        unit = _UNITS.get(unit_name)
        if unit is None:
            raise BucketsError(f"time: unknown unit {_quote(unit_name)} in duration {_quote(text)}")
        if whole > _LIMIT // unit:
            raise invalid
        value = whole * unit
        if frac > 0:
            # Go scales the fraction in float64, which is exact enough for hours.
            value += int(float(frac) * (float(unit) / scale))
            if value > _LIMIT:
                raise invalid
        total += value
        if total > _LIMIT:
            raise invalid
    if neg:
        return -total
    if total > _LIMIT - 1:
        raise invalid
    return total


def _count_digits(s: str) -> int:
    i = 0
    while i < len(s) and "0" <= s[i] <= "9":
        i += 1
    return i


def _leading_fraction(digits: str) -> tuple[int, float]:
    """Go's ``leadingFraction``: stop gaining precision once uint64 would overflow."""
    x, scale = 0, 1.0
    for ch in digits:
        if x > (_LIMIT - 1) // 10:
            break
        y = x * 10 + int(ch)
        if y > _LIMIT:
            break
        x, scale = y, scale * 10
    return x, scale


def parse_buckets(text: str) -> list[int]:
    """Parse ``"[0,2ms,1s]"`` as vegeta's ``Buckets.UnmarshalText``.

    A first bound above zero gets a ``0`` bucket in front of it.
    """
    if len(text) < 2 or text[0] != "[" or text[-1] != "]":
        raise BucketsError(f"bad buckets: {text}")
    buckets: list[int] = []
    for i, part in enumerate(text[1:-1].split(",")):
        bound = parse_duration(part.strip())
        if i == 0 and bound > 0:
            buckets.append(0)
        buckets.append(bound)
    return buckets


@dataclass
class Histogram:
    """Counts of latencies per bucket (``vegeta.Histogram``)."""

    buckets: list[int]
    counts: list[int] = field(default_factory=list)
    total: int = 0

    def add(self, latency: int) -> None:
        """Count one latency (nanoseconds) in its bucket."""
        buckets = self.buckets
        if len(self.counts) != len(buckets):
            self.counts = [0] * len(buckets)
        last = len(buckets) - 1
        i = 0
        while i < last and not buckets[i] <= latency < buckets[i + 1]:
            i += 1
        self.total += 1
        self.counts[i] += 1
