"""Go's ``time.Duration`` for durations held as int nanoseconds: its range, text, rounding and conversions.

A duration is an int64; results that leave that range wrap or saturate as
Go's do.
"""

from __future__ import annotations

import math

from bridge.vegeta.gomath import go_quo, wrap_int64

SECOND = 1_000_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
MIN_DURATION = -(1 << 63)
MAX_DURATION = (1 << 63) - 1


def seconds(d: int) -> float:
    """``time.Duration.Seconds``: whole and fractional seconds converted apart."""
    sec = go_quo(d, SECOND)
    return float(sec) + float(d - sec * SECOND) / 1e9


def to_duration(x: float) -> int:
    """``time.Duration(x)`` for a float64, with amd64's answer for NaN and overflow."""
    if math.isnan(x) or not -9.223372036854775808e18 <= x < 9.223372036854775808e18:
        return MIN_DURATION
    return int(x)


def format_duration(ns: int) -> str:
    """Go's ``time.Duration.String``: ``"1h2m3.5s"``, ``"1.5ms"``, ``"250µs"``, ``"0s"``.

    ``ns`` is taken as an int64, wrapping like a Go conversion would.
    """
    d = wrap_int64(ns)
    neg = d < 0
    u = -d if neg else d
    if u < SECOND:
        if u == 0:
            return "0s"
        prec, unit = (0, "ns") if u < 1_000 else (3, "\u00b5s") if u < 1_000_000 else (6, "ms")
        frac, u = _fraction(u, prec)
        text = f"{u}{frac}{unit}"
    else:
        frac, u = _fraction(u, 9)
        text = f"{u % 60}{frac}s"
        u //= 60
        if u > 0:
            text = f"{u % 60}m{text}"
            u //= 60
            if u > 0:
                text = f"{u}h{text}"
    return "-" + text if neg else text


def _fraction(v: int, prec: int) -> tuple[str, int]:
    """Split off ``prec`` decimal digits as ``".5"`` (trailing zeros dropped, or ``""``)."""
    if prec == 0:
        return "", v
    v, digits = divmod(v, 10**prec)
    return ("." + f"{digits:0{prec}d}".rstrip("0") if digits else ""), v


def go_round(d: int, m: int) -> int:
    """Go's ``time.Duration.Round``: to the nearest multiple of ``m``, halves away from zero."""
    if m <= 0:
        return d
    r = d - go_quo(d, m) * m  # Go's remainder takes the sign of d
    if d < 0:
        r = -r
        if r + r < m:
            return d + r
        d1 = wrap_int64(d - m + r)
        return d1 if d1 < d else MIN_DURATION
    if r + r < m:
        return d - r
    d1 = wrap_int64(d + m - r)
    return d1 if d1 > d else MAX_DURATION
