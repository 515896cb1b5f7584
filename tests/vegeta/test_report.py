"""``render`` against what vegeta v12.13 printed, and the Go details it rests on."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bridge.vegeta import gob
from bridge.vegeta.codecs import FORMATS, decode
from bridge.vegeta.errors import ReportError
from bridge.vegeta.goduration import MAX_DURATION, MIN_DURATION, format_duration, go_round
from bridge.vegeta.gojson import json_float
from bridge.vegeta.gomath import go_asin, go_sin
from bridge.vegeta.gosort import go_sort_centroids
from bridge.vegeta.histogram import BucketsError, Histogram, parse_buckets, parse_duration
from bridge.vegeta.metrics import GO_ZERO_TIME, Metrics
from bridge.vegeta.report import render, round_duration
from bridge.vegeta.result import Result
from bridge.vegeta.tabwriter import tabwrite
from bridge.vegeta.tdigest import TDigest

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "vegeta"
HIST_KINDS = {
    "small": "hist[0,2ms,4ms,1s]",
    "varied": "hist[0,1ms,5ms,50ms,200ms,1s,5s]",
    "multiheader": "hist[0,1ms,5ms,50ms,200ms,1s,5s]",
}
FOLDERS = sorted(HIST_KINDS)
MS = 1_000_000
SEC = 1_000_000_000


def _load(folder: str, encoding: str = "gob") -> list[Result]:
    with (REFERENCE / folder / f"results.{encoding}").open("rb") as stream:
        return list(decode(stream))


def _expected(folder: str, name: str) -> bytes:
    return (REFERENCE / folder / name).read_bytes()


# --- byte for byte against vegeta ---------------------------------------------
# vegeta printed the same report.txt for all three encodings; report.json and
# hist.txt were made from the gob file, and must follow from the others too.


@pytest.mark.parametrize("encoding", FORMATS)
@pytest.mark.parametrize("folder", FOLDERS)
def test_text_report_matches_vegeta(folder: str, encoding: str) -> None:
    assert render(_load(folder, encoding)).encode("utf-8") == _expected(folder, "report.txt")


@pytest.mark.parametrize("encoding", FORMATS)
@pytest.mark.parametrize("folder", FOLDERS)
def test_json_report_matches_vegeta(folder: str, encoding: str) -> None:
    assert render(_load(folder, encoding), "json").encode("utf-8") == _expected(folder, "report.json")


@pytest.mark.parametrize("encoding", FORMATS)
@pytest.mark.parametrize("folder", FOLDERS)
def test_hist_report_matches_vegeta(folder: str, encoding: str) -> None:
    assert render(_load(folder, encoding), HIST_KINDS[folder]).encode("utf-8") == _expected(folder, "hist.txt")


def test_render_streams_straight_from_the_decoder() -> None:
    with (REFERENCE / "varied" / "results.csv").open("rb") as stream:
        assert render(decode(stream)).encode("utf-8") == _expected("varied", "report.txt")


def test_zero_time_agrees_with_the_decoders() -> None:
    """A gob result without a timestamp decodes to the time Metrics treats as Go's zero time."""
    assert GO_ZERO_TIME == gob.GO_ZERO_TIME


# --- no results -----------------------------------------------------------------
# Metrics.Close returns early without results, so everything stays zero and the
# times stay Go's zero time; the histogram has no rows (Counts is only sized by Add).


def test_empty_text_report() -> None:
    assert render([]) == (
        "Requests      [total, rate, throughput]         0, 0.00, 0.00\n"
        "Duration      [total, attack, wait]             0s, 0s, 0s\n"
        "Latencies     [min, mean, 50, 90, 95, 99, max]  0s, 0s, 0s, 0s, 0s, 0s, 0s\n"
        "Bytes In      [total, mean]                     0, 0.00\n"
        "Bytes Out     [total, mean]                     0, 0.00\n"
        "Success       [ratio]                           0.00%\n"
        "Status Codes  [code:count]                      \n"
        "Error Set:\n"
    )


def test_empty_json_report() -> None:
    zero = '"0001-01-01T00:00:00Z"'
    assert render([], "json") == (
        '{"latencies":{"total":0,"mean":0,"50th":0,"90th":0,"95th":0,"99th":0,"max":0,"min":0},'
        '"bytes_in":{"total":0,"mean":0},"bytes_out":{"total":0,"mean":0},'
        f'"earliest":{zero},"latest":{zero},"end":{zero},"duration":0,"wait":0,"requests":0,'
        '"rate":0,"throughput":0,"success":0,"status_codes":{},"errors":[]}\n'
    )


def test_empty_hist_report_is_only_the_header() -> None:
    assert render([], "hist[0,1ms]") == "Bucket    #  %  Histogram\n"


# --- report kinds ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("txt", "invalid report type: txt"),
        ("plot", "The plot reporter has been deprecated and succeeded by the vegeta plot command"),
        ("yaml", 'unknown report type: "yaml"'),
        ("hist", "bad buckets: ''"),
        ("hist[", "bad buckets: '['"),
        ("hist[]", 'time: invalid duration ""'),
        ("hist0,1ms", "bad buckets: 0,1ms"),
        ("hist[0,fast]", 'time: invalid duration "fast"'),
        ("hist[0,5]", 'time: missing unit in duration "5"'),
        ("hist[0,5d]", 'time: unknown unit "d" in duration "5d"'),
    ],
)
def test_bad_kind_raises_report_error(kind: str, message: str) -> None:
    with pytest.raises(ReportError) as caught:
        render([], kind)
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)


def test_bad_kind_is_rejected_before_results_are_read() -> None:
    def results() -> list[Result]:
        raise AssertionError("results were read")

    with pytest.raises(ReportError):
        render(iter(results, None), "nope")


def test_buckets_argument_overrides_hist_and_extends_json() -> None:
    latencies = [1 * MS, 3 * MS, 3 * MS, 2 * SEC]
    results = [Result(code=200, timestamp=i * MS, latency=lat) for i, lat in enumerate(latencies)]
    assert render(results, "hist", buckets="[0,2ms,4ms,1s]") == render(results, "hist[0,2ms,4ms,1s]")
    report = json.loads(render(results, "json", buckets="[2ms,4ms]"))
    assert report["buckets"] == {"0": 1, "2000000": 2, "4000000": 1}
    assert list(report)[:2] == ["latencies", "buckets"]


def test_hdrplot_rows() -> None:
    results = [Result(code=200, timestamp=i, latency=(i + 1) * MS) for i in range(10)]
    lines = render(results, "hdrplot").splitlines()
    assert lines[0] == "Value(ms)  Percentile  TotalCount  1/(1-Percentile)"
    assert lines[1] == "1.000000   0.000000    0           1.000000"
    assert lines[6] == "5.500000   0.500000    5           2.000000"
    assert lines[-1] == "10.000000  1.000000    10          10000000.000000"
    assert len(lines) == 1 + 94  # the header and one row per quantile of vegeta's table


# --- metrics arithmetic -----------------------------------------------------------


def test_metrics_match_vegetas_own_test_vector() -> None:
    """lib/metrics_test.go TestMetrics_Add: 10000 results, 12 t-digest passes."""
    m = Metrics()
    codes, errors = (500, 200, 302), ("Internal server error", "")
    for i in range(1, 10_001):
        m.add(
            Result(
                code=codes[i % 3],
                timestamp=(i - 1) * SEC,
                latency=i * 1_000,
                bytes_in=1024,
                bytes_out=512,
                error=errors[i % 2],
            )
        )
    m.close()
    lat = m.latencies
    # vegeta's test allows 1ns of slack; these are the exact Go values.
    assert (lat.total, lat.mean, lat.p50, lat.p90, lat.p95, lat.p99, lat.max, lat.min) == (
        50_005 * MS,
        5_000_500,
        5_000_500,
        9_000_500,
        9_500_500,
        9_900_500,
        10 * MS,
        1_000,
    )
    assert (m.rate, m.throughput, m.success) == (1.000100010001, 0.6667660098349737, 0.6667)
    assert (m.duration, m.wait, m.requests) == (9_999 * SEC, 10 * MS, 10_000)
    assert m.status_codes == {"500": 3333, "200": 3334, "302": 3333}
    assert m.errors == ["Internal server error"]
    assert (m.bytes_in.total, m.bytes_in.mean) == (10_240_000, 1024.0)
    assert (m.bytes_out.total, m.bytes_out.mean) == (5_120_000, 512.0)


def test_single_result_rate_is_not_divided() -> None:
    """With a zero attack duration Close skips the division: rate = requests."""
    text = render([Result(code=200, timestamp=10**18, latency=5)])
    assert text.splitlines()[0] == "Requests      [total, rate, throughput]         1, 1.00, 1.00"
    assert text.splitlines()[1] == "Duration      [total, attack, wait]             5ns, 0s, 5ns"


@pytest.mark.parametrize(
    ("latencies", "minimum"),
    [([0, 5], 5), ([5, 0], 0), ([5, 0, 7], 7), ([3, 1, 2], 1), ([0, 0], 0)],
)
def test_zero_latency_minimum_follows_go(latencies: list[int], minimum: int) -> None:
    m = Metrics()
    for i, lat in enumerate(latencies):
        m.add(Result(timestamp=i, latency=lat))
    m.close()
    assert m.latencies.min == minimum


def test_errors_are_distinct_in_first_seen_order() -> None:
    m = Metrics()
    for error in ["b", "", "a", "b", "c", "a"]:
        m.add(Result(timestamp=1, error=error))
    assert m.errors == ["b", "a", "c"]


def test_status_codes_sort_as_text() -> None:
    results = [Result(code=code, timestamp=1) for code in (504, 0, 1000, 200, 99)]
    line = render(results).splitlines()[-2]
    assert line.endswith("0:1  1000:1  200:1  504:1  99:1  ")


def test_json_escapes_like_go() -> None:
    error = 'a<b>&"\\\n\t\x01\x08\x0c\u2028\u2029é\x7f'
    encoded = render([Result(timestamp=1, error=error)], "json")
    assert encoded.endswith('"errors":["a\\u003cb\\u003e\\u0026\\"\\\\\\n\\t\\u0001\\b\\f\\u2028\\u2029é\x7f"]}\n')


def test_bytes_that_are_not_utf8_pass_through_text_and_become_fffd_in_json() -> None:
    error = b"bad \xfe\xc3 byte".decode("utf-8", "surrogateescape")
    results = [Result(timestamp=1, error=error)]
    assert render(results).endswith(f"Error Set:\n{error}\n")
    assert render(results, "json").endswith('"errors":["bad \\ufffd\\ufffd byte"]}\n')


def test_byte_0xff_is_tabwriters_escape_and_vanishes_from_text() -> None:
    """vegeta's tabwriter uses StripEscape, and 0xff is its Escape byte."""
    error = b"a\xffb\tc\xffd".decode("utf-8", "surrogateescape")
    assert render([Result(timestamp=1, error=error)]).endswith("Error Set:\nab\tcd\n")


def test_json_times_keep_nanoseconds_and_trim_zeros() -> None:
    report = json.loads(render([Result(timestamp=1_704_067_200_000_000_010, latency=990)], "json"))
    assert report["earliest"] == "2024-01-01T00:00:00.00000001Z"
    assert report["end"] == "2024-01-01T00:00:00.000001Z"


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (0.0, "0"),
        (8.0, "8"),
        (0.1, "0.1"),
        (-2.5, "-2.5"),
        (123456789.0, "123456789"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (1.5e22, "1.5e+22"),
        (1e-6, "0.000001"),
        (1e-7, "1e-7"),
        (1.5e-10, "1.5e-10"),
        (5e-324, "5e-324"),
        (0.19920318725099603, "0.19920318725099603"),
    ],
)
def test_json_floats_like_go(value: float, encoded: str) -> None:
    assert json_float(value) == encoded


def test_json_refuses_infinity_like_go() -> None:
    with pytest.raises(ReportError, match=r"json: unsupported value: \+Inf"):
        json_float(math.inf)


# --- durations --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (0, "0s"),
        (1, "1ns"),
        (999, "999ns"),
        (1_000, "1µs"),
        (1_500, "1.5µs"),
        (1 * MS, "1ms"),
        (1_234_567, "1.234567ms"),
        (SEC, "1s"),
        (61 * SEC + 500 * MS, "1m1.5s"),
        (3600 * SEC, "1h0m0s"),
        (-1_500, "-1.5µs"),
        (MAX_DURATION, "2562047h47m16.854775807s"),
        (MIN_DURATION, "-2562047h47m16.854775808s"),
    ],
)
def test_format_duration_like_go(ns: int, text: str) -> None:
    assert format_duration(ns) == text


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (999, "999ns"),  # below 1µs: untouched
        (1_234, "1.234µs"),  # µs magnitude rounds to ns: unchanged
        (1_234_499, "1.234ms"),
        (1_234_500, "1.235ms"),  # halves round away from zero
        (2_201_200_000, "2.201s"),
        (10_040 * MS, "10.04s"),
        (59_999_600 * 1_000, "1m0s"),  # 59.9996s rounds to the millisecond
        (90 * 60 * SEC + 29_600 * MS, "1h30m0s"),  # hours round to the minute
        (90 * 60 * SEC + 30 * SEC, "1h31m0s"),
        (-5 * SEC, "-5s"),  # negative durations are left alone
        (MAX_DURATION, "2562047h47m0s"),
    ],
)
def test_round_duration_like_vegeta(ns: int, text: str) -> None:
    assert format_duration(round_duration(ns)) == text


def test_go_round_edges() -> None:
    assert go_round(-1_500, 1_000) == -2_000
    assert go_round(-1_499, 1_000) == -1_000
    assert go_round(1_500, 0) == 1_500
    assert go_round(MAX_DURATION - 1, 1_000) == MAX_DURATION  # would overflow: saturates
    assert go_round(MIN_DURATION + 1, 1_000) == MIN_DURATION


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("0", 0),
        ("-0", 0),
        ("2ms", 2 * MS),
        ("1.5s", 1_500 * MS),
        ("1h2m", 3_720 * SEC),
        ("-300ms", -300 * MS),
        ("+5s", 5 * SEC),
        (".5s", 500 * MS),
        ("1.s", SEC),
        ("1us", 1_000),
        ("1µs", 1_000),
        ("1μs", 1_000),
        ("1.0000000001h", 3_600 * SEC + 360),  # the fraction is scaled in float64
        ("9223372036854775807ns", MAX_DURATION),
        ("-9223372036854775808ns", MIN_DURATION),
    ],
)
def test_parse_duration_like_go(text: str, ns: int) -> None:
    assert parse_duration(text) == ns


@pytest.mark.parametrize("text", ["", "-", "1", "1x", ".s", "s", "1s2", "9223372036854775808ns", "3000000h"])
def test_parse_duration_rejects_like_go(text: str) -> None:
    with pytest.raises(BucketsError):
        parse_duration(text)


def test_parse_buckets_adds_a_zero_bucket_and_trims_spaces() -> None:
    assert parse_buckets("[0,2ms,4ms,1s]") == [0, 2 * MS, 4 * MS, SEC]
    assert parse_buckets("[ 2ms , 4ms ]") == [0, 2 * MS, 4 * MS]
    assert parse_buckets("[0]") == [0]


def test_histogram_puts_unmatched_latencies_last() -> None:
    h = Histogram([0, 2 * MS, 4 * MS])
    for latency in (-1, 0, 2 * MS - 1, 2 * MS, 5 * MS):
        h.add(latency)
    assert (h.counts, h.total) == ([2, 1, 2], 5)


# --- tabwriter ----------------------------------------------------------------------


def test_tabwriter_columns_end_where_a_line_lacks_the_cell() -> None:
    text = "aaaa\tbbb\td\naa\tb\tdd\na\t\naa\tcccc\teee\n"
    assert tabwrite(text) == "aaaa  bbb  d\naa    b    dd\na     \naa    cccc  eee\n"


def test_tabwriter_one_cell_line_restarts_columns() -> None:
    assert tabwrite("a\tb\nplain\nlonger\tc\n") == "a  b\nplain\nlonger  c\n"


def test_tabwriter_strips_escapes_and_keeps_their_tabs() -> None:
    assert tabwrite("\udcffx\ty\udcff\tz\nab\tc\n") == "x\ty  z\nab   c\n"


# --- t-digest -------------------------------------------------------------------------


def test_tdigest_empty_is_nan() -> None:
    assert math.isnan(TDigest().quantile(0.5))


def test_tdigest_single_value() -> None:
    t = TDigest()
    t.add(42.0)
    assert [t.quantile(q) for q in (0.0, 0.5, 1.0)] == [42.0, 42.0, 42.0]


def test_tdigest_interpolates_between_centroids() -> None:
    t = TDigest()
    for x in range(1, 11):
        t.add(float(x))
    assert [t.quantile(q) for q in (0.0, 0.05, 0.5, 0.9, 1.0)] == [1.0, 1.0, 5.5, 9.5, 10.0]
    assert math.isnan(t.quantile(1.5))
    assert t.count() == 10.0


def test_tdigest_ignores_nan() -> None:
    t = TDigest()
    t.add(math.nan)
    t.add(3.0)
    assert t.count() == 1.0


def test_go_trigonometry_is_close_to_libm_but_its_own() -> None:
    """Go's Cephes ports are within an ulp or two of libm, and not always equal to it."""
    differ = 0
    for i in range(-1000, 1001):
        x = i * (math.pi / 2) / 1000
        assert abs(go_sin(x) - math.sin(x)) <= math.ulp(math.sin(x))
        y = i / 1000
        # Asin loses a little near +-1, where sqrt(1 - x*x) cancels.
        assert abs(go_asin(y) - math.asin(y)) <= 2 * math.ulp(math.asin(y))
        differ += go_sin(x) != math.sin(x) or go_asin(y) != math.asin(y)
    assert differ > 0
    assert go_asin(1.0) == math.pi / 2
    assert go_asin(-1.0) == -math.pi / 2
    assert math.isnan(go_asin(1.5))


def test_go_sort_short_inputs_are_insertion_sorted_stably() -> None:
    d = [(1.0, 1.0), (0.0, 5.0), (1.0, 2.0), (1.0, 3.0)]
    go_sort_centroids(d)
    assert d == [(0.0, 5.0), (1.0, 1.0), (1.0, 2.0), (1.0, 3.0)]


@pytest.mark.parametrize("pattern", ["random", "sorted", "reversed", "few_values", "organ_pipe"])
def test_go_sort_sorts_long_inputs(pattern: str) -> None:
    n = 1_500
    keys = {
        "random": [(i * 7_919) % 1_009 for i in range(n)],
        "sorted": list(range(n)),
        "reversed": list(range(n, 0, -1)),
        "few_values": [i % 3 for i in range(n)],
        "organ_pipe": [min(i, n - i) for i in range(n)],
    }[pattern]
    d = [(float(k), float(i)) for i, k in enumerate(keys)]
    go_sort_centroids(d)
    assert [m for m, _ in d] == sorted(float(k) for k in keys)
    assert sorted(w for _, w in d) == [float(i) for i in range(n)]
