"""``vegeta report`` in Python: the same bytes as vegeta v12.13 prints.

``render(results, kind)`` accepts what follows ``-type=``: ``text`` (the
default), ``json``, ``hist[0,2ms,1s]`` and ``hdrplot``.  Text output goes
through a port of Go's ``text/tabwriter`` with vegeta's settings, JSON through
the rules of Go's ``encoding/json`` (HTML characters escaped, floats in their
shortest form, times in RFC 3339 with nanoseconds, in UTC as with ``TZ=UTC``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from bridge.vegeta.histogram import BucketsError, Histogram, parse_buckets
from bridge.vegeta.metrics import (
    MAX_DURATION,
    MIN_DURATION,
    SECOND,
    Metrics,
    go_fdiv,
    go_quo,
    to_duration,
    wrap_int64,
)
from bridge.vegeta.result import Result

MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
_UNITS = (HOUR, MINUTE, SECOND, 1_000_000, 1_000, 1)  # vegeta's reporters.go `durations`


class ReportError(ValueError):
    """The report kind or its buckets are not valid, or the metrics cannot be encoded."""


# --- durations ---------------------------------------------------------------


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


def round_duration(ns: int) -> int:
    """vegeta's text-report rounding: to one unit below the duration's own magnitude.

    3.1234567s becomes 3.123s, 1m2.5s becomes 1m3s, 1.2345ms becomes 1.235ms;
    durations under 1µs (and negative ones) are left alone.
    """
    for i, unit in enumerate(_UNITS[:-1]):
        if ns >= unit:
            return go_round(ns, _UNITS[i + 1])
    return ns


def _rounded(ns: int) -> str:
    return format_duration(round_duration(ns))


# --- Go's fmt and encoding/json ----------------------------------------------


def _fmt_fixed(x: float, prec: int) -> str:
    """Go's ``%.Nf``: correctly rounded like Python's, but ``+Inf``/``-Inf``/``NaN``."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    return f"{x:.{prec}f}"


def _json_float(x: float) -> str:
    """A float64 as Go's ``encoding/json`` writes it (shortest digits, ``e`` outside 1e-6..1e21)."""
    if math.isnan(x) or math.isinf(x):
        raise ReportError(f"json: unsupported value: {_fmt_fixed(x, 0)}")
    if x == 0:
        return "-0" if math.copysign(1.0, x) < 0 else "0"
    sign, digit_tuple, exponent = Decimal(repr(x)).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    point = len(digits) + int(exponent)  # value = 0.<digits> * 10**point
    prefix = "-" if sign else ""
    if 1e-6 <= abs(x) < 1e21:
        if point <= 0:
            return f"{prefix}0.{'0' * -point}{digits}"
        if point >= len(digits):
            return prefix + digits + "0" * (point - len(digits))
        return f"{prefix}{digits[:point]}.{digits[point:]}"
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    exp = point - 1
    # strconv writes at least two exponent digits; encoding/json trims "e-07" to "e-7".
    exp_text = f"{exp:+03d}" if exp >= 0 else f"-{-exp}"
    return f"{prefix}{mantissa}e{exp_text}"


_JSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def _json_string(s: str) -> str:
    """A string as Go's ``encoding/json`` writes it, with its default HTML escaping.

    Lone surrogates (invalid UTF-8 kept with ``surrogateescape``) become
    ``\\ufffd`` as Go's replacement of invalid bytes does.
    """
    out = ['"']
    for ch in s:
        code = ord(ch)
        if ch in _JSON_ESCAPES:
            out.append(_JSON_ESCAPES[ch])
        elif code < 0x20 or ch in "<>&" or code in (0x2028, 0x2029):
            out.append(f"\\u{code:04x}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append("\\ufffd")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _json_time(ns: int) -> str:
    """A Unix-nanosecond time as Go's ``time.Time.MarshalJSON`` in UTC."""
    secs, nanos = divmod(ns, SECOND)
    try:
        t = datetime(1970, 1, 1) + timedelta(seconds=secs)
    except OverflowError as exc:
        raise ReportError("Time.MarshalJSON: year outside of range [0,9999]") from exc
    frac = "." + f"{nanos:09d}".rstrip("0") if nanos else ""
    return f'"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}{frac}Z"'


# --- text/tabwriter, as vegeta configures it ---------------------------------
# tabwriter.NewWriter(w, 0, 8, 2, ' ', tabwriter.StripEscape): cells end at
# '\t' or '\v', lines at '\n' or '\f'; a column is the run of consecutive lines
# that have a tab-terminated cell at that index, padded to its widest cell + 2.

_ESCAPE = "\udcff"  # Go's tabwriter.Escape byte 0xff, as surrogateescape decodes it
_PADDING = 2


def _tabwrite(text: str) -> str:
    """Align ``text`` exactly as vegeta's tabwriter does."""
    out: list[str] = []
    lines: list[list[str]] = [[]]
    cell: list[str] = []
    start = 0
    escaped = False
    for i, ch in enumerate(text):
        if escaped:
            if ch == _ESCAPE:
                cell.append(text[start:i])
                start, escaped = i + 1, False
        elif ch in "\t\v\n\f":
            cell.append(text[start:i])
            start = i + 1
            lines[-1].append("".join(cell))
            cell = []
            if ch in "\n\f":
                cells = len(lines[-1])
                lines.append([])
                # A one-cell line cannot affect later columns, so Go flushes here.
                if ch == "\f" or cells == 1:
                    _format(lines, [], 0, len(lines), out)
                    lines = [[]]
        elif ch == _ESCAPE:
            cell.append(text[start:i])
            start, escaped = i + 1, True
    cell.append(text[start:])
    last = "".join(cell)
    if last:
        lines[-1].append(last)
    _format(lines, [], 0, len(lines), out)
    return "".join(out)


def _format(lines: list[list[str]], widths: list[int], line0: int, line1: int, out: list[str]) -> None:
    """Go's ``Writer.format``: find column blocks left to right, recursively."""
    column = len(widths)
    this = line0
    while this < line1:
        if column >= len(lines[this]) - 1:
            this += 1
            continue
        _write_lines(lines, widths, line0, this, out)
        line0 = this
        width = 0
        while this < line1 and column < len(lines[this]) - 1:
            width = max(width, len(lines[this][column]) + _PADDING)
            this += 1
        widths.append(width)
        _format(lines, widths, line0, this, out)
        widths.pop()
        line0 = this
        this += 1  # Go's loop post-statement also steps over the line that ended the block
    _write_lines(lines, widths, line0, line1, out)


def _write_lines(lines: list[list[str]], widths: list[int], line0: int, line1: int, out: list[str]) -> None:
    for i in range(line0, line1):
        for j, cell in enumerate(lines[i]):
            out.append(cell)
            if j < len(widths):
                out.append(" " * (widths[j] - len(cell)))
        if i + 1 != len(lines):  # the last buffered line has no newline yet
            out.append("\n")


# --- reporters ---------------------------------------------------------------


def _text_report(m: Metrics) -> str:
    lat = m.latencies
    head = (
        f"Requests\t[total, rate, throughput]\t{m.requests}, {_fmt_fixed(m.rate, 2)}, {_fmt_fixed(m.throughput, 2)}\n"
        f"Duration\t[total, attack, wait]\t{_rounded(wrap_int64(m.duration + m.wait))}, "
        f"{_rounded(m.duration)}, {_rounded(m.wait)}\n"
        f"Latencies\t[min, mean, 50, 90, 95, 99, max]\t{_rounded(lat.min)}, {_rounded(lat.mean)}, "
        f"{_rounded(lat.p50)}, {_rounded(lat.p90)}, {_rounded(lat.p95)}, {_rounded(lat.p99)}, {_rounded(lat.max)}\n"
        f"Bytes In\t[total, mean]\t{m.bytes_in.total}, {_fmt_fixed(m.bytes_in.mean, 2)}\n"
        f"Bytes Out\t[total, mean]\t{m.bytes_out.total}, {_fmt_fixed(m.bytes_out.mean, 2)}\n"
        f"Success\t[ratio]\t{_fmt_fixed(m.success * 100, 2)}%\n"
        "Status Codes\t[code:count]\t"
    )
    codes = "".join(f"{code}:{m.status_codes[code]}  " for code in sorted(m.status_codes))
    errors = "".join(f"{error}\n" for error in m.errors)
    return _tabwrite(f"{head}{codes}\nError Set:\n{errors}")


def _json_report(m: Metrics) -> str:
    lat = m.latencies
    fields = [
        f'"latencies":{{"total":{lat.total},"mean":{lat.mean},"50th":{lat.p50},"90th":{lat.p90},'
        f'"95th":{lat.p95},"99th":{lat.p99},"max":{lat.max},"min":{lat.min}}}'
    ]
    if m.histogram is not None:
        h = m.histogram
        counts = h.counts or [0] * len(h.buckets)  # Go would index a nil slice and panic here
        fields.append('"buckets":{' + ",".join(f'"{b}":{c}' for b, c in zip(h.buckets, counts, strict=True)) + "}")
    fields += [
        f'"bytes_in":{{"total":{m.bytes_in.total},"mean":{_json_float(m.bytes_in.mean)}}}',
        f'"bytes_out":{{"total":{m.bytes_out.total},"mean":{_json_float(m.bytes_out.mean)}}}',
        f'"earliest":{_json_time(m.earliest)}',
        f'"latest":{_json_time(m.latest)}',
        f'"end":{_json_time(m.end)}',
        f'"duration":{m.duration}',
        f'"wait":{m.wait}',
        f'"requests":{m.requests}',
        f'"rate":{_json_float(m.rate)}',
        f'"throughput":{_json_float(m.throughput)}',
        f'"success":{_json_float(m.success)}',
        '"status_codes":{'
        + ",".join(f"{_json_string(code)}:{m.status_codes[code]}" for code in sorted(m.status_codes))
        + "}",
        '"errors":[' + ",".join(_json_string(e) for e in m.errors) + "]",
    ]
    return "{" + ",".join(fields) + "}\n"


def _hist_report(h: Histogram) -> str:
    rows = ["Bucket\t\t#\t%\tHistogram\n"]
    last = len(h.buckets) - 1
    for i, count in enumerate(h.counts):
        ratio = go_fdiv(float(count), float(h.total))
        low = format_duration(h.buckets[i])
        high = "+Inf" if i >= last else format_duration(h.buckets[i + 1])
        bar = "#" * int(ratio * 75)
        rows.append(f"[{low},\t{high}]\t{count}\t{_fmt_fixed(ratio * 100, 2)}%\t{bar}\n")
    return _tabwrite("".join(rows))


# Quantiles of vegeta's HDR histogram plot (reporters.go `logarithmic`).
_LOGARITHMIC = (
    0.00, 0.100, 0.200, 0.300, 0.400, 0.500, 0.550, 0.600, 0.650, 0.700, 0.750, 0.775, 0.800, 0.825, 0.850,
    0.875, 0.8875, 0.900, 0.9125, 0.925, 0.9375, 0.94375, 0.950, 0.95625, 0.9625, 0.96875, 0.971875, 0.975,
    0.978125, 0.98125, 0.984375, 0.985938, 0.9875, 0.989062, 0.990625, 0.992188, 0.992969, 0.99375, 0.994531,
    0.995313, 0.996094, 0.996484, 0.996875, 0.997266, 0.997656, 0.998047, 0.998242, 0.998437, 0.998633,
    0.998828, 0.999023, 0.999121, 0.999219, 0.999316, 0.999414, 0.999512, 0.999561, 0.999609, 0.999658,
    0.999707, 0.999756, 0.99978, 0.999805, 0.999829, 0.999854, 0.999878, 0.99989, 0.999902, 0.999915,
    0.999927, 0.999939, 0.999945, 0.999951, 0.999957, 0.999963, 0.999969, 0.999973, 0.999976, 0.999979,
    0.999982, 0.999985, 0.999986, 0.999988, 0.999989, 0.999991, 0.999992, 0.999993, 0.999994, 0.999995,
    0.999996, 0.999997, 0.999998, 0.999999, 1.0,
)  # fmt: skip


def _hdrplot_report(m: Metrics) -> str:
    rows = ["Value(ms)\tPercentile\tTotalCount\t1/(1-Percentile)\n"]
    total = float(m.requests)
    for q in _LOGARITHMIC:
        d = m.latencies.quantile(q)
        msec = go_quo(d, 1_000_000)
        value = float(msec) + float(d - msec * 1_000_000) / 1e6
        one_by = 1 / (1 - q) if q < 1.0 else 10_000_000.0
        count = to_duration(q * total + 0.5)  # int64(...) truncates like a duration conversion
        rows.append(f"{_fmt_fixed(value, 6)}\t{_fmt_fixed(q, 6)}\t{count}\t{_fmt_fixed(one_by, 6)}\n")
    return _tabwrite("".join(rows))


def _parse_buckets(text: str) -> list[int]:
    try:
        return parse_buckets(text)
    except BucketsError as exc:
        raise ReportError(str(exc)) from exc


def _metrics(results: Iterable[Result], histogram: Histogram | None = None) -> Metrics:
    m = Metrics(histogram=histogram)
    for r in results:
        m.add(r)
    m.close()
    return m


def render(results: Iterable[Result], kind: str = "text", buckets: str | None = None) -> str:
    """Return what ``vegeta report -type=KIND`` prints for ``results``.

    ``kind`` is ``"text"``, ``"json"``, ``"hist[0,2ms,1s]"`` or ``"hdrplot"``;
    ``buckets`` is vegeta's ``-buckets`` flag (used by ``hist`` instead of the
    list in ``kind``, and added to ``json`` as ``"buckets"``).  The kind is
    checked before ``results`` is read.  Raises ``ReportError`` (a
    ``ValueError``) with vegeta's message for an unknown kind or bad buckets.

    Error strings holding bytes that are not UTF-8 (lone surrogates from
    ``surrogateescape``) pass through text reports unchanged, so write the
    result with ``errors="surrogateescape"``; JSON shows them as ``\ufffd``.
    """
    if len(kind) < 4:
        raise ReportError(f"invalid report type: {kind}")
    if kind == "plot":
        raise ReportError("The plot reporter has been deprecated and succeeded by the vegeta plot command")
    if kind == "text":
        return _text_report(_metrics(results))
    if kind == "json":
        histogram = Histogram(_parse_buckets(buckets)) if buckets else None
        return _json_report(_metrics(results, histogram))
    if kind == "hdrplot":
        return _hdrplot_report(_metrics(results))
    if kind.startswith("hist"):
        if not buckets:
            if len(kind) < 6:
                raise ReportError(f"bad buckets: '{kind[4:]}'")
            buckets = kind[4:]
        h = Histogram(_parse_buckets(buckets))
        for r in results:
            h.add(r.latency)
        return _hist_report(h)
    raise ReportError(f"unknown report type: {_json_string(kind)}")
