"""``vegeta report`` in Python: the same bytes as vegeta v12.13 prints.

``render(results, kind)`` accepts what follows ``-type=``: ``text`` (the
default), ``json``, ``hist[0,2ms,1s]`` and ``hdrplot``.  Text output goes
through a port of Go's ``text/tabwriter`` with vegeta's settings
(``tabwriter``), JSON through the rules of Go's ``encoding/json`` (``gojson``:
HTML characters escaped, floats in their shortest form, times in RFC 3339
with nanoseconds, in UTC as with ``TZ=UTC``).
"""

from __future__ import annotations

from collections.abc import Iterable

from bridge.vegeta.errors import ReportError
from bridge.vegeta.goduration import HOUR, MINUTE, SECOND, format_duration, go_round, to_duration
from bridge.vegeta.gofmt import fmt_fixed
from bridge.vegeta.gojson import json_float, json_string, json_time
from bridge.vegeta.gomath import go_fdiv, go_quo, wrap_int64
from bridge.vegeta.histogram import BucketsError, Histogram, parse_buckets
from bridge.vegeta.metrics import Metrics
from bridge.vegeta.result import Result
from bridge.vegeta.tabwriter import tabwrite

_UNITS = (HOUR, MINUTE, SECOND, 1_000_000, 1_000, 1)  # vegeta's reporters.go `durations`


# --- durations ---------------------------------------------------------------


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


# --- reporters ---------------------------------------------------------------


def _text_report(m: Metrics) -> str:
    lat = m.latencies
    head = (
        f"Requests\t[total, rate, throughput]\t{m.requests}, {fmt_fixed(m.rate, 2)}, {fmt_fixed(m.throughput, 2)}\n"
        f"Duration\t[total, attack, wait]\t{_rounded(wrap_int64(m.duration + m.wait))}, "
        f"{_rounded(m.duration)}, {_rounded(m.wait)}\n"
        f"Latencies\t[min, mean, 50, 90, 95, 99, max]\t{_rounded(lat.min)}, {_rounded(lat.mean)}, "
        f"{_rounded(lat.p50)}, {_rounded(lat.p90)}, {_rounded(lat.p95)}, {_rounded(lat.p99)}, {_rounded(lat.max)}\n"
        f"Bytes In\t[total, mean]\t{m.bytes_in.total}, {fmt_fixed(m.bytes_in.mean, 2)}\n"
        f"Bytes Out\t[total, mean]\t{m.bytes_out.total}, {fmt_fixed(m.bytes_out.mean, 2)}\n"
        f"Success\t[ratio]\t{fmt_fixed(m.success * 100, 2)}%\n"
        "Status Codes\t[code:count]\t"
    )
    codes = "".join(f"{code}:{m.status_codes[code]}  " for code in sorted(m.status_codes))
    errors = "".join(f"{error}\n" for error in m.errors)
    return tabwrite(f"{head}{codes}\nError Set:\n{errors}")


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
        f'"bytes_in":{{"total":{m.bytes_in.total},"mean":{json_float(m.bytes_in.mean)}}}',
        f'"bytes_out":{{"total":{m.bytes_out.total},"mean":{json_float(m.bytes_out.mean)}}}',
        f'"earliest":{json_time(m.earliest)}',
        f'"latest":{json_time(m.latest)}',
        f'"end":{json_time(m.end)}',
        f'"duration":{m.duration}',
        f'"wait":{m.wait}',
        f'"requests":{m.requests}',
        f'"rate":{json_float(m.rate)}',
        f'"throughput":{json_float(m.throughput)}',
        f'"success":{json_float(m.success)}',
        '"status_codes":{'
        + ",".join(f"{json_string(code)}:{m.status_codes[code]}" for code in sorted(m.status_codes))
        + "}",
        '"errors":[' + ",".join(json_string(e) for e in m.errors) + "]",
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
        rows.append(f"[{low},\t{high}]\t{count}\t{fmt_fixed(ratio * 100, 2)}%\t{bar}\n")
    return tabwrite("".join(rows))


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
        rows.append(f"{fmt_fixed(value, 6)}\t{fmt_fixed(q, 6)}\t{count}\t{fmt_fixed(one_by, 6)}\n")
    return tabwrite("".join(rows))


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
    raise ReportError(f"unknown report type: {json_string(kind)}")
