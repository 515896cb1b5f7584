"""The load generator's pure parts: schedule math, pace checks, Results as vegeta records them, options, spooling."""

from __future__ import annotations

import argparse
import errno
import io
import socket
from dataclasses import dataclass, field, fields
from pathlib import Path

import configargparse
import pytest

from bridge.loadtest.collect import Spool, export, pack, unpack
from bridge.loadtest.options import DEFAULT_HOST, AttackConfig, OptionError, Plan, add_arguments, check_host
from bridge.loadtest.pacing import Pace, Schedule, behind_schedule, late_starts, requests_in
from bridge.loadtest.recorder import (
    BODY,
    DIAL,
    HEADERS,
    WRITE,
    DeadlineExceeded,
    MalformedResponse,
    Recorder,
    ServerClosed,
    canonical_header,
    error_text,
)
from bridge.vegeta.codecs import FORMATS, decode, open_encoder
from bridge.vegeta.result import Result

URL = "http://127.0.0.1:8080/inquiry/42"
TARGET = "127.0.0.1:8080"
T0 = 1_700_000_000_000_000_000  # Unix ns

# --- schedule --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "duration", "total"),
    [(200, 5, 1000), (1000, 10, 10_000), (3.3, 10, 33), (0.5, 1, 0), (100, 0, 0), (7, 1.0 / 7 * 3, 3)],
)
def test_requests_in_is_rate_times_duration(rate: float, duration: float, total: int) -> None:
    assert requests_in(rate, duration) == total


def test_whole_schedule_is_due_at_i_over_rate() -> None:
    schedule = Schedule(rate=200, total=1000)
    assert len(schedule) == 1000
    assert [schedule.due(j) for j in (0, 1, 999)] == [0.0, 0.005, 4.995]
    assert [schedule.index(j) for j in (0, 1, 999)] == [0, 1, 999]


@pytest.mark.parametrize(
    ("elapsed", "due"),
    [(-0.1, 0), (0.0, 1), (0.0049, 1), (0.005, 2), (0.0051, 2), (1.0, 201), (4.995, 1000), (60.0, 1000)],
)
def test_due_count_includes_the_request_due_right_now(elapsed: float, due: int) -> None:
    assert Schedule(rate=200, total=1000).due_count(elapsed) == due


def test_due_count_is_exact_at_every_due_time() -> None:
    # i / rate * rate can come out a hair below i; the request must still count as due.
    for rate in (3.0, 7.0, 49.0, 1000.0, 333.3):
        schedule = Schedule(rate=rate, total=500)
        assert all(schedule.due_count(schedule.due(j)) == j + 1 for j in range(len(schedule)))


@pytest.mark.parametrize("stride", [1, 2, 3, 4, 7])
def test_shares_interleave_into_exactly_the_whole_schedule(stride: int) -> None:
    shares = [Schedule(rate=100, total=1001, offset=k, stride=stride) for k in range(stride)]
    indices = sorted(s.index(j) for s in shares for j in range(len(s)))
    assert indices == list(range(1001))
    for share in shares:
        assert [share.due(j) for j in range(len(share))] == [share.index(j) / 100 for j in range(len(share))]


def test_a_share_counts_only_its_own_due_requests() -> None:
    second_of_two = Schedule(rate=100, total=10, offset=1, stride=2)  # global 1, 3, 5, 7, 9
    assert len(second_of_two) == 5
    assert [second_of_two.due_count(t) for t in (0.0, 0.01, 0.029, 0.03, 1.0)] == [0, 1, 1, 2, 5]


def test_share_without_requests() -> None:
    assert len(Schedule(rate=100, total=2, offset=2, stride=3)) == 0


@pytest.mark.parametrize(("rate", "offset", "stride"), [(0, 0, 1), (-1, 0, 1), (10, 1, 1), (10, -1, 2), (10, 0, 0)])
def test_schedule_rejects_impossible_shares(rate: float, offset: int, stride: int) -> None:
    with pytest.raises(ValueError, match=r"rate|offset"):
        Schedule(rate=rate, total=10, offset=offset, stride=stride)


# --- pace -----------------------------------------------------------------------


def test_pace_of_a_perfect_schedule_is_the_target() -> None:
    pace = Pace(sent=1000, first_ns=T0, last_ns=T0 + 999 * 5_000_000)  # 200 req/s
    assert pace.span == pytest.approx(4.995)
    assert pace.rate == pytest.approx(200.0)
    assert behind_schedule(pace, 200) is None


def test_within_one_percent_is_on_schedule() -> None:
    stretched = Pace(sent=1001, first_ns=T0, last_ns=T0 + int(5.049e9))  # 198.0 req/s: 0.99 %
    assert behind_schedule(stretched, 200) is None


def test_more_than_one_percent_short_is_behind_schedule() -> None:
    pace = Pace(sent=10_001, first_ns=T0, last_ns=T0 + 12_500_000_000)  # 800 req/s
    warning = behind_schedule(pace, 1000)
    assert warning is not None
    assert "behind schedule: sent 10001 requests in 12.500 s = 800.0 req/s, target 1000 req/s" in warning
    assert "20.0 % short" in warning
    assert "--processes" in warning


def test_late_starts_warn_beyond_a_tenth_of_a_second() -> None:
    assert late_starts(0.0) is None
    assert late_starts(0.1) is None
    warning = late_starts(0.148)
    assert warning is not None
    assert "up to 148 ms after their due time" in warning
    assert "--processes" in warning


@pytest.mark.parametrize("sent", [0, 1])
def test_too_few_requests_have_no_pace(sent: int) -> None:
    pace = Pace(sent=sent, first_ns=T0, last_ns=T0)
    assert pace.rate == 0.0
    assert behind_schedule(pace, 100) is None


# --- results -------------------------------------------------------------------


@dataclass
class FakeReply:
    """What recorder.Reply promises: a parsed response."""

    status_code: int = 200
    reason: str = "OK"
    fields: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | bytearray = b""


def test_a_2xx_response_becomes_a_successful_result() -> None:
    reply = FakeReply(
        200,
        "OK",
        [("content-type", "application/json"), ("X-MULTI", "a"), ("x-multi", "b"), ("Server", "daphne")],
        bytearray(b'{"ID": "42"}'),
    )
    result = Recorder("smoke").response(seq=7, url=URL, timestamp=T0, latency=1_500_000, reply=reply)
    assert result == Result(
        attack="smoke",
        seq=7,
        code=200,
        timestamp=T0,
        latency=1_500_000,
        bytes_out=0,
        bytes_in=12,
        error="",
        body=b'{"ID": "42"}',
        method="GET",
        url=URL,
        headers={"Content-Type": ["application/json"], "X-Multi": ["a", "b"], "Server": ["daphne"]},
    )
    assert type(result.body) is bytes
    assert result.ok


@pytest.mark.parametrize(("code", "reason"), [(301, "Moved Permanently"), (304, "Not Modified")])
def test_a_3xx_response_is_a_success(code: int, reason: str) -> None:
    result = Recorder().response(0, URL, T0, 1, FakeReply(code, reason))
    assert (result.code, result.error, result.ok) == (code, "", True)


@pytest.mark.parametrize(
    ("code", "reason", "error"),
    [
        (504, "Gateway Time-out", "504 Gateway Time-out"),  # the server's own reason phrase, as Go keeps it
        (504, "Gateway Timeout", "504 Gateway Timeout"),
        (404, "Not Found", "404 Not Found"),
        (500, "", "500"),
        (199, "Custom", "199 Custom"),
    ],
)
def test_a_non_2xx_3xx_response_keeps_its_code_and_status_line(code: int, reason: str, error: str) -> None:
    result = Recorder().response(3, URL, T0, 2_000, FakeReply(code, reason, [("Content-Length", "2")], b"no"))
    assert (result.code, result.error, result.body, result.bytes_in, result.ok) == (code, error, b"no", 2, False)
    assert result.headers == {"Content-Length": ["2"]}


def test_a_timeout_awaiting_headers_is_code_0_with_gos_text() -> None:
    error = error_text("GET", URL, TARGET, HEADERS, DeadlineExceeded())
    result = Recorder("a").failure(seq=9, url=URL, timestamp=T0, latency=30_000_000_000, error=error)
    assert result == Result(
        attack="a",
        seq=9,
        code=0,
        timestamp=T0,
        latency=30_000_000_000,
        error=f'Get "{URL}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)',
        method="GET",
        url=URL,
    )
    assert not result.ok


HEADERS_DEADLINE = f'Get "{URL}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
BODY_DEADLINE = "context deadline exceeded (Client.Timeout or context cancellation while reading body)"


@pytest.mark.parametrize(
    ("stage", "exc", "text"),
    [
        (DIAL, DeadlineExceeded(), HEADERS_DEADLINE),
        (WRITE, DeadlineExceeded(), HEADERS_DEADLINE),
        (BODY, DeadlineExceeded(), BODY_DEADLINE),
        (
            DIAL,
            ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"),
            f'Get "{URL}": dial tcp {TARGET}: connect: connection refused',
        ),
        (
            DIAL,
            socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
            f'Get "{URL}": dial tcp: lookup 127.0.0.1: no such host',
        ),
        (
            HEADERS,
            ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"),
            f'Get "{URL}": read tcp {TARGET}: read: connection reset by peer',
        ),
        (WRITE, BrokenPipeError(errno.EPIPE, "Broken pipe"), f'Get "{URL}": write tcp {TARGET}: write: broken pipe'),
        (HEADERS, ServerClosed(partial=False), f'Get "{URL}": EOF'),
        (HEADERS, ServerClosed(partial=True), f'Get "{URL}": unexpected EOF'),
        (BODY, ServerClosed(partial=True), "unexpected EOF"),
        (
            HEADERS,
            MalformedResponse("bad status line"),
            f'Get "{URL}": net/http: HTTP/1.x transport connection broken: malformed HTTP response',
        ),
        (
            DIAL,
            OSError(errno.EMFILE, "Too many open files"),
            f'Get "{URL}": dial tcp {TARGET}: connect: too many open files',
        ),
    ],
)
def test_transport_errors_read_as_go_writes_them(stage: str, exc: BaseException, text: str) -> None:
    assert error_text("GET", URL, TARGET, stage, exc) == text


@pytest.mark.parametrize(
    ("name", "canonical"),
    [("content-type", "Content-Type"), ("X-REQUEST-ID", "X-Request-Id"), ("etag", "Etag"), ("bad name", "bad name")],
)
def test_header_names_are_canonical_as_in_go(name: str, canonical: str) -> None:
    assert canonical_header(name) == canonical


# --- collection -----------------------------------------------------------------


def _result(seq: int) -> Result:
    return Result("a", seq, 200, T0 + seq * 1_000_000, 2_000 + seq, 0, 3, "", b"abc", "GET", URL, {"X": ["1", "2"]})


def test_pack_unpack_round_trips_every_field() -> None:
    original = _result(5)
    assert len(pack(original)) == len(fields(Result))
    assert unpack(pack(original)) == original
    # as a msgpack round trip (Locust's messages) hands it back: lists for tuples
    assert unpack(list(pack(original))) == original


def test_spool_reads_back_every_batch_in_order_and_knows_the_pace() -> None:
    spool = Spool()
    try:
        spool.add([pack(_result(s)) for s in (2, 0)])
        spool.add([])
        spool.add([pack(_result(s)) for s in (1, 3)])
        assert [r.seq for r in spool] == [2, 0, 1, 3]
        assert [r.seq for r in spool] == [2, 0, 1, 3]  # again, from the start
        spool.add([pack(_result(4))])  # after reading: appended, not written over
        assert [r.seq for r in spool] == [2, 0, 1, 3, 4]
        assert spool.pace == Pace(sent=5, first_ns=T0, last_ns=T0 + 4_000_000)
    finally:
        spool.close()


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_writes_one_decodable_file(tmp_path: Path, fmt: str) -> None:
    spool = Spool()
    spool.add([pack(_result(s)) for s in range(50)])
    spool.add([pack(_result(s)) for s in range(50, 120)])
    path = tmp_path / f"out.{fmt}"
    assert export(spool, str(path), fmt) == 120
    with path.open("rb") as stream:
        assert list(decode(stream)) == list(spool)
    assert not (tmp_path / f"out.{fmt}.partial").exists()
    if fmt == "gob":
        assert path.read_bytes().count(b"Result") == 1  # one stream: the type is defined once


# --- options ---------------------------------------------------------------------


def _options(**given: object) -> argparse.Namespace:
    defaults = {
        "rps": 100.0,
        "dur": "5s",
        "vars": 1_000_000,
        "timeout": "30s",
        "vegeta_out": "",
        "vegeta_format": "gob",
        "attack_name": "",
        "run_time": None,
    }
    return argparse.Namespace(**{**defaults, **given})


def test_defaults_are_vegetas() -> None:
    config = AttackConfig.from_options(_options())
    assert config == AttackConfig(rate=100.0, duration=5.0, vars=1_000_000, timeout=30.0, out="", fmt="gob", attack="")
    assert config.total == 500


def test_run_time_wins_over_dur() -> None:
    assert AttackConfig.from_options(_options(dur="1m", run_time=7)).duration == 7.0


@pytest.mark.parametrize(
    ("given", "option"),
    [
        ({"rps": 0}, "--rps"),
        ({"rps": 0.1, "dur": "1s"}, "--rps"),
        ({"dur": "5x"}, "--dur"),
        ({"vars": 0}, "--vars"),
        ({"timeout": "0s"}, "--timeout"),
        ({"vegeta_format": "xml"}, "--vegeta-format"),
        ({"vegeta_out": "/no/such/directory/results.bin"}, "--vegeta-out"),
    ],
)
def test_bad_options_are_named(given: dict[str, object], option: str) -> None:
    with pytest.raises(OptionError, match=option):
        AttackConfig.from_options(_options(**given))


def test_options_register_with_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    # Locust's parser is a configargparse parser; importing locust itself here would monkey-patch pytest's process.
    parser = configargparse.ArgumentParser()
    add_arguments(parser)
    monkeypatch.setenv("LOCUST_RPS", "250")
    monkeypatch.setenv("LOCUST_VEGETA_FORMAT", "csv")
    parsed = parser.parse_args(["--dur", "2s", "--attack-name", "smoke"])
    config = AttackConfig.from_options(parsed)
    assert (config.rate, config.duration, config.fmt, config.attack, config.timeout) == (250.0, 2.0, "csv", "smoke", 30)


@pytest.mark.parametrize("url", ["https://127.0.0.1:8443", "127.0.0.1:8080", "http://", "http://h:1/?q=1"])
def test_only_plain_http_base_urls_are_targets(url: str) -> None:
    with pytest.raises(OptionError, match="--host"):
        check_host(url)


def test_plan_survives_a_message_and_knows_its_address() -> None:
    config = AttackConfig.from_options(_options(rps=200, dur="5s", attack_name="x"))
    plan = Plan.share(config, check_host("http://127.0.0.1:18080/base/"), offset=1, stride=2, start=1.5)
    assert Plan.from_message(plan.as_message()) == plan
    assert plan.address == ("127.0.0.1", 18080, "/base")
    assert plan.origin == "http://127.0.0.1:18080"
    assert (len(plan.schedule), plan.schedule.index(0)) == (500, 1)
    assert Plan.share(config, check_host(DEFAULT_HOST), 0, 1, None).address == ("localhost", 8080, "")


def test_results_are_plain_bytes_for_the_encoders() -> None:
    # the gob encoder is handed exactly what Recorder builds
    result = Recorder().response(0, URL, T0, 1, FakeReply(body=bytearray(b"x")))
    stream = io.BytesIO()
    encoder = open_encoder("gob", stream)
    encoder.encode(result)
    encoder.flush()
    stream.seek(0)
    assert list(decode(stream)) == [result]
