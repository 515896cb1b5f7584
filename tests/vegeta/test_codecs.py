"""vegeta's gob, JSON and CSV encodings: against files vegeta wrote, in round trips, and at the edges."""

from __future__ import annotations

import io
import os
import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

import pytest

from bridge.vegeta import codecs, csvfmt, gob, gotime, jsonfmt
from bridge.vegeta.codecs import FORMATS, DecodeError, EncodeError, UnknownFormat
from bridge.vegeta.gobschema import LEGACY_FIELDS, RESULT_FIELDS
from bridge.vegeta.gotime import GO_ZERO_TIME
from bridge.vegeta.gotypes import go_string
from bridge.vegeta.result import Result

DATA = Path(__file__).resolve().parent.parent / "data" / "vegeta"
PROJECT = Path(__file__).resolve().parents[2]
FOLDERS = ("small", "varied", "multiheader")
DETERMINISTIC = ("small", "varied")  # one header key: no Go map order in the bytes
COUNTS = {"small": 5, "varied": 400, "multiheader": 40}
DECODERS: dict[str, Callable[[BinaryIO], Iterator[Result]]] = {
    "gob": gob.decode,
    "json": jsonfmt.decode,
    "csv": csvfmt.decode,
}


def reference(folder: str, fmt: str) -> bytes:
    return (DATA / folder / f"results.{fmt}").read_bytes()


def decoded(folder: str, fmt: str) -> list[Result]:
    return list(DECODERS[fmt](io.BytesIO(reference(folder, fmt))))


def encoded(fmt: str, results: list[Result]) -> bytes:
    out = io.BytesIO()
    encoder = codecs.open_encoder(fmt, out)
    for result in results:
        encoder.encode(result)
    encoder.flush()
    return out.getvalue()


# --- the reference files ------------------------------------------------------------------


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_encoding_of_a_folder_decodes_to_the_same_results(folder: str) -> None:
    from_gob, from_json, from_csv = (decoded(folder, fmt) for fmt in FORMATS)
    assert len(from_gob) == COUNTS[folder]
    # dict equality ignores key order, which Go's maps shuffle in multiheader/.
    assert from_gob == from_json
    assert from_gob == from_csv


def test_small_decodes_to_the_values_vegeta_wrote() -> None:
    results = decoded("small", "gob")
    assert [r.code for r in results] == [200, 200, 500, 0, 504]
    assert [r.latency for r in results] == [1_000_000, 2_000_000, 3_000_000, 1_000_000_000, 10_000_000_000]
    assert [r.timestamp for r in results] == [1_704_067_200_000_000_000 + i * 10_000_000 for i in range(5)]
    first, refused = results[0], results[3]
    assert first == Result(
        attack="Inquiry Test",
        seq=0,
        code=200,
        timestamp=1_704_067_200_000_000_000,
        latency=1_000_000,
        bytes_out=20,
        bytes_in=10,
        body=b'{"id":"1"}',
        method="GET",
        url="http://localhost:8080/inquiry/1",
        headers={"Content-Type": ["application/json"]},
    )
    assert (refused.error, refused.body, refused.headers, refused.bytes_in) == ("connection refused", b"", {}, 0)


def test_varied_covers_what_it_promises() -> None:
    results = decoded("varied", "json")
    assert max(r.seq for r in results) > 2**33
    assert min(r.latency for r in results) < 1_000
    assert any("<" in r.error and "é" in r.error for r in results)
    assert {r.code for r in results} >= {0, 200, 500, 504}


def test_multiheader_has_results_with_two_header_keys() -> None:
    assert any(len(r.headers) == 2 for r in decoded("multiheader", "gob"))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("folder", DETERMINISTIC)
def test_encoding_reproduces_vegetas_bytes(folder: str, fmt: str) -> None:
    for source in FORMATS:
        assert encoded(fmt, decoded(folder, source)) == reference(folder, fmt), f"{source} -> {fmt}"


@pytest.mark.parametrize("fmt", FORMATS)
def test_multiheader_reencodes_byte_for_byte_in_its_own_key_order(fmt: str) -> None:
    # Decoding keeps each file's header order, so re-encoding a file gives it back.
    assert encoded(fmt, decoded("multiheader", fmt)) == reference("multiheader", fmt)


def test_multiheader_csv_is_deterministic_from_any_source() -> None:
    # CSV sorts header keys, as http.Header.Write does.
    assert encoded("csv", decoded("multiheader", "gob")) == reference("multiheader", "csv")


# --- round trips --------------------------------------------------------------------------

ROUND_TRIP_CASES = {
    "zero values, Unix epoch": Result(),
    "largest values": Result(
        attack="a",
        seq=2**64 - 1,
        code=65_535,
        timestamp=2**63 - 1,
        latency=2**63 - 1,
        bytes_out=2**64 - 1,
        bytes_in=2**64 - 1,
    ),
    "negative latency, before 1970": Result(timestamp=-1, latency=-(2**63)),
    "text that needs escaping": Result(
        attack='Attack "one", <two> & three',
        error=' leading space, "quotes", new\nline, a\rb, tab\t, \x01\x7f, \u2028\u2029, é✓😀, \\., ',
        method="POST",
        url="http://localhost:8080/inquiry/1?a=1&b=<2>",
        timestamp=1_704_067_200_120_000_000,
    ),
    "binary body, several headers": Result(
        code=201,
        body=bytes(range(256)),
        headers={"Content-Type": ["application/json"], "Set-Cookie": ["a=1; Path=/", "b=2"], "X-Empty": [""]},
        timestamp=1_773_500_966_536_826_816,
    ),
    "only a timestamp with nanoseconds": Result(timestamp=1_704_067_200_000_000_001),
}


@pytest.mark.parametrize("case", ROUND_TRIP_CASES)
@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_through_each_encoder_and_decoder(fmt: str, case: str) -> None:
    results = [ROUND_TRIP_CASES[case], replace(ROUND_TRIP_CASES[case], seq=7)]
    data = encoded(fmt, results)
    assert list(DECODERS[fmt](io.BytesIO(data))) == results
    detected, back = codecs.detect(io.BytesIO(data))
    assert detected == fmt
    assert list(back) == results


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_of_every_reference_result(fmt: str) -> None:
    results = [r for folder in FOLDERS for r in decoded(folder, "gob")]
    assert list(codecs.decode(io.BytesIO(encoded(fmt, results)))) == results


def test_gob_keeps_bytes_that_are_not_utf8() -> None:
    result = Result(error=go_string(b"bad \xff\xfe byte"), attack=go_string(b"\xc3"), timestamp=0)
    data = encoded("gob", [result])
    assert b"bad \xff\xfe byte" in data
    (back,) = gob.decode(io.BytesIO(data))
    assert back == result
    assert encoded("gob", [back]) == data


def test_csv_keeps_bytes_that_are_not_utf8() -> None:
    result = Result(error=go_string(b"bad \xff byte, quoted"), timestamp=0)
    data = encoded("csv", [result])
    assert b'"bad \xff byte, quoted"' in data
    assert list(csvfmt.decode(io.BytesIO(data))) == [result]


# --- Go's own rules, format by format --------------------------------------------------------


def test_json_escapes_strings_as_easyjson_does() -> None:
    text = go_string(b'<a href="x">&\\ \t\n\r\x01\x1f\x7f \xe2\x80\xa8\xe2\x80\xa9 \xff \xc3\xa9 \xf0\x9f\x98\x80')
    expected = '"\\u003ca href=\\"x\\"\\u003e\\u0026\\\\ \\t\\n\\r\\u0001\\u001f\x7f \\u2028\\u2029 \\ufffd é 😀"'
    assert jsonfmt.quote(text) == expected


def test_json_line_matches_vegeta_field_for_field() -> None:
    result = Result(
        attack="A",
        seq=1,
        code=200,
        timestamp=1_704_067_200_500_000_000,
        latency=3,
        bytes_out=4,
        bytes_in=5,
        error="e",
        body=b"hi",
        method="GET",
        url="u",
        headers={"K": ["v1", "v2"], "L": []},
    )
    assert jsonfmt.encode_line(result) == (
        b'{"attack":"A","seq":1,"code":200,"timestamp":"2024-01-01T00:00:00.5Z","latency":3,"bytes_out":4,'
        b'"bytes_in":5,"error":"e","body":"aGk=","method":"GET","url":"u","headers":{"K":["v1","v2"],"L":[]}}\n'
    )


@pytest.mark.parametrize(
    ("unix_ns", "text"),
    [
        (0, "1970-01-01T00:00:00Z"),
        (1_704_067_200_010_000_000, "2024-01-01T00:00:00.01Z"),
        (1_773_500_966_542_035_370, "2026-03-14T15:09:26.54203537Z"),
        (-1, "1969-12-31T23:59:59.999999999Z"),
        (951_782_400_000_000_000, "2000-02-29T00:00:00Z"),
        (GO_ZERO_TIME, "0001-01-01T00:00:00Z"),
    ],
)
def test_json_timestamps_are_rfc3339_with_trimmed_nanoseconds(unix_ns: int, text: str) -> None:
    assert gotime.format_time(unix_ns) == text
    assert gotime.parse_time(text) == unix_ns


def test_json_timestamps_with_a_zone_offset_decode_to_the_same_instant() -> None:
    assert gotime.parse_time("2024-01-01T02:30:00.25+02:30") == 1_704_067_200_250_000_000
    assert gotime.parse_time("2023-12-31T23:00:00-01:00") == 1_704_067_200_000_000_000


@pytest.mark.parametrize("text", ["2024-02-30T00:00:00Z", "2024-01-01 00:00:00Z", "2024-01-01T24:00:00Z", "yesterday"])
def test_json_rejects_timestamps_go_rejects(text: str) -> None:
    with pytest.raises(DecodeError):
        gotime.parse_time(text)


def test_json_cannot_write_years_past_9999() -> None:
    with pytest.raises(EncodeError):
        jsonfmt.encode_line(Result(timestamp=253_402_300_800 * 10**9))


def test_json_decoding_follows_easyjson() -> None:
    line = (
        b'{"error":"a\\ud800b \\ud83d\\ude00 \\\\ud800 raw \xff","code":null,"unknown":[1,{"x":2}],'
        b'"headers":{"K":null},"body":""}\n'
    )
    result = jsonfmt.decode_line(line)
    # A lone surrogate escape is U+FFFD, a pair is one character, an escaped
    # backslash is not an escape, and a raw byte that is not UTF-8 stays that byte.
    assert result.error == go_string("a\ufffdb 😀 \\ud800 raw ".encode() + b"\xff")
    assert (result.code, result.headers, result.body) == (0, {"K": []}, b"")
    assert result.timestamp == GO_ZERO_TIME  # no timestamp: Go's zero time
    assert jsonfmt.decode_line(b"null\n") == Result(timestamp=GO_ZERO_TIME)


@pytest.mark.parametrize(
    "line",
    [
        b'{"code":70000}',
        b'{"seq":-1}',
        b'{"latency":1.5}',
        b'{"attack":5}',
        b'{"body":"not base64!"}',
        b'{"headers":{"K":"v"}}',
        b'{"timestamp":"2024-01-01"}',
        b"[1,2]",
        b'{"attack":"a"} trailing',
        b'{"unknown":' + b"[" * 100_000,
    ],
)
def test_json_rejects_what_easyjson_rejects(line: bytes) -> None:
    with pytest.raises(DecodeError):
        jsonfmt.decode_line(line)


def test_csv_quotes_fields_as_gos_csv_writer_does() -> None:
    base = Result(timestamp=1, code=2, latency=3, bytes_out=4, bytes_in=5, seq=6, method="GET", url="u")
    cases = {
        "plain words": "plain words",
        " leading space": '" leading space"',
        "\u3000ideographic space": '"\u3000ideographic space"',
        "\\.": '"\\."',
        'say "hi", twice': '"say ""hi"", twice"',
        "two\nlines": '"two\nlines"',
        "trailing space ": "trailing space ",
    }
    for error, field in cases.items():
        line = csvfmt.encode_line(replace(base, error=error))
        assert line == f"1,2,3,4,5,{field},,,6,GET,u,\n".encode(), error


def test_csv_headers_are_written_as_net_http_writes_them() -> None:
    headers = {"X-B": ["  padded \r\nvalue  "], "A": ["1", "2"], "Bad Name": ["dropped"]}
    assert csvfmt.header_block(headers) == b"A: 1\r\nA: 2\r\nX-B: padded   value\r\n\r\n"
    assert csvfmt.header_block({}) == b""


def test_csv_headers_are_read_as_textproto_reads_them() -> None:
    block = b"content-type: text/plain\r\nX-Long: one\r\n  two\r\nx-long: three\r\n\r\n"
    assert csvfmt.parse_header_block(block) == {"Content-Type": ["text/plain"], "X-Long": ["one two", "three"]}
    assert csvfmt.parse_header_block(b"\r\n") == {}
    with pytest.raises(DecodeError):
        csvfmt.parse_header_block(b"K: v\r\n")  # no blank line to end it


def test_csv_reading_follows_gos_csv_reader() -> None:
    data = (
        b"\n"  # blank lines are skipped
        b'1,200,3,4,5,  "multi\r\nline ""quoted""",,  atk,6,GET,u,\r\n'  # CRLF inside quotes reads as LF
        b"2,200,3,4,5,,,atk,7,GET,u,"  # the last line may end without a newline
    )
    first, second = csvfmt.decode(io.BytesIO(data))
    assert (first.error, first.attack, first.timestamp) == ('multi\nline "quoted"', "atk", 1)
    assert (second.seq, second.headers) == (7, {})


@pytest.mark.parametrize(
    "line",
    [
        b"1,200,3,4,5,,,a,6,GET,u\n",  # eleven fields
        b'1,200,3,4,5,bare " quote,,a,6,GET,u,\n',
        b'1,200,3,4,5,"closed" early,,a,6,GET,u,\n',
        b'1,200,3,4,5,"never closed,,a,6,GET,u,\n',
        b"1,70000,3,4,5,,,a,6,GET,u,\n",
        b"1,200,3,-4,5,,,a,6,GET,u,\n",
        b"1,200,3,4,5,,not base64,a,6,GET,u,\n",
        b"1 ,200,3,4,5,,,a,6,GET,u,\n",
    ],
)
def test_csv_rejects_what_vegeta_rejects(line: bytes) -> None:
    with pytest.raises(DecodeError):
        list(csvfmt.decode(io.BytesIO(line)))


def test_csv_wraps_timestamps_beyond_int64_as_go_does() -> None:
    line = csvfmt.encode_line(Result(timestamp=GO_ZERO_TIME))
    assert line.startswith(f"{(GO_ZERO_TIME + 2**63) % 2**64 - 2**63},".encode())


def test_gob_leaves_zero_values_out() -> None:
    zero_time = encoded("gob", [Result(timestamp=GO_ZERO_TIME)])
    epoch = encoded("gob", [Result(timestamp=0)])
    header = encoded("gob", [])
    assert header == b""  # nothing at all until the first result
    # The zero Result is the struct terminator alone: length 3, type id 65 (two bytes), 0.
    assert zero_time.endswith(b"\x03\xff\x82\x00")
    assert len(epoch) == len(zero_time) + 17  # field delta + byte count + 15 bytes of time
    assert list(gob.decode(io.BytesIO(zero_time))) == [Result(timestamp=GO_ZERO_TIME)]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("bad", [{"seq": -1}, {"code": 65_536}, {"latency": 2**63}, {"bytes_in": 2**64}])
def test_encoders_refuse_values_go_cannot_hold(fmt: str, bad: dict[str, int]) -> None:
    with pytest.raises(EncodeError):
        codecs.open_encoder(fmt, io.BytesIO()).encode(Result(**bad))


# --- gob streams from other writers ------------------------------------------------------------


def test_old_nine_field_streams_decode() -> None:
    results = decoded("varied", "gob")
    old = [replace(r, method="", url="", headers={}) for r in results]
    out = io.BytesIO()
    encoder = gob.Encoder(out, fields=LEGACY_FIELDS)
    for result in old:
        encoder.encode(result)
    encoder.flush()
    data = out.getvalue()
    assert b"Method" not in data and b"Header" not in data
    assert list(gob.decode(io.BytesIO(data))) == old
    assert list(codecs.decode(io.BytesIO(data))) == old


def test_streams_with_other_field_orders_and_type_ids_decode() -> None:
    results = decoded("multiheader", "json")
    out = io.BytesIO()
    encoder = gob.Encoder(out, fields=tuple(reversed(RESULT_FIELDS)))
    for result in results:
        encoder.encode(result)
    encoder.flush()
    assert out.getvalue()[:200] != reference("multiheader", "gob")[:200]
    assert list(gob.decode(io.BytesIO(out.getvalue()))) == results


def _uint(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([256 - len(raw)]) + raw


def _int(n: int) -> bytes:
    return _uint((~n << 1) | 1 if n < 0 else n << 1)


def _text(s: str) -> bytes:
    return _uint(len(s.encode())) + s.encode()


def _message(type_id: int, payload: bytes) -> bytes:
    body = _int(type_id) + payload
    return _uint(len(body)) + body


def test_hand_built_stream_with_unknown_fields_decodes() -> None:
    # type 70 struct Result {Code uint; Tags []string (71); Attack string; Extra Inner (72)}
    # type 72 struct Inner {N int; S []string (71)}
    def field(name: str, type_id: int) -> bytes:
        return b"\x01" + _text(name) + b"\x01" + _int(type_id) + b"\x00"

    def struct_type(name: str, type_id: int, fields: list[tuple[str, int]]) -> bytes:
        listing = _uint(len(fields)) + b"".join(field(n, i) for n, i in fields)
        common = b"\x01" + _text(name) + b"\x01" + _int(type_id) + b"\x00"
        return b"\x03" + b"\x01" + common + b"\x01" + listing + b"\x00\x00"

    strings = b"\x02" + b"\x01\x02" + _int(71) + b"\x00" + b"\x01" + _int(6) + b"\x00\x00"
    inner = b"\x01" + _int(-5) + b"\x01" + _uint(1) + _text("s") + b"\x00"
    full = b"\x01" + _uint(404) + b"\x01" + _uint(2) + _text("a") + _text("b") + b"\x01" + _text("x") + b"\x01" + inner
    stream = b"".join(
        [
            _message(-70, struct_type("Result", 70, [("Code", 3), ("Tags", 71), ("Attack", 6), ("Extra", 72)])),
            _message(-71, strings),
            _message(-72, struct_type("Inner", 72, [("N", 2), ("S", 71)])),
            _message(70, full + b"\x00"),
            _message(70, b"\x03" + _text("only attack") + b"\x00"),  # field 2 alone
        ]
    )
    assert list(gob.decode(io.BytesIO(stream))) == [
        Result(code=404, attack="x", timestamp=GO_ZERO_TIME),
        Result(attack="only attack", timestamp=GO_ZERO_TIME),
    ]


def test_gob_refuses_a_field_of_the_wrong_type() -> None:
    # Code declared as a string.
    definition = b"\x03\x01\x01" + _text("Result") + b"\x01" + _int(65) + b"\x00\x01\x01"
    definition += b"\x01" + _text("Code") + b"\x01" + _int(6) + b"\x00" + b"\x00\x00"
    stream = _message(-65, definition) + _message(65, b"\x01" + _text("200") + b"\x00")
    with pytest.raises(DecodeError, match="wrong type"):
        list(gob.decode(io.BytesIO(stream)))


def test_two_gob_streams_cannot_be_concatenated() -> None:
    data = reference("small", "gob") * 2
    with pytest.raises(DecodeError, match="duplicate type"):
        list(gob.decode(io.BytesIO(data)))


def test_truncated_gob_fails_where_it_ends() -> None:
    data = reference("small", "gob")[:-10]
    results = codecs.decode(io.BytesIO(data))
    assert next(results).seq == 0  # still detected as gob
    with pytest.raises(DecodeError):
        list(results)


# --- detection and several inputs --------------------------------------------------------------


class _Pipe(io.RawIOBase):
    """A stream that cannot seek and hands out a few bytes at a time, like a pipe."""

    def __init__(self, data: bytes) -> None:
        super().__init__()
        self._data = data
        self._pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        size = min(len(buffer), 7, len(self._data) - self._pos)
        buffer[:size] = self._data[self._pos : self._pos + size]
        self._pos += size
        return size


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("folder", FOLDERS)
def test_detection_picks_the_encoding_vegeta_would(folder: str, fmt: str) -> None:
    detected, results = codecs.detect(io.BufferedReader(_Pipe(reference(folder, fmt))))
    assert detected == fmt
    assert list(results) == decoded(folder, "gob")


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"\n\n",
        b"hello, world\n",
        b"\x00\x01\x02\x03",
        bytes(random.Random(7).randrange(256) for _ in range(4096)),
        b"<html><body>not results</body></html>\n",
    ],
)
def test_garbage_raises_a_clear_error(garbage: bytes) -> None:
    with pytest.raises(UnknownFormat, match=r"can't detect the encoding of garbage\.bin"):
        codecs.decode(io.BytesIO(garbage), "garbage.bin")
    assert issubclass(UnknownFormat, DecodeError) and issubclass(DecodeError, ValueError)


def test_bad_record_after_a_good_one_raises_while_iterating() -> None:
    data = reference("small", "json") + b'{"code":"two hundred"}\n'
    results = codecs.decode(io.BytesIO(data))
    assert len([next(results) for _ in range(5)]) == 5
    with pytest.raises(DecodeError):
        next(results)


def test_unknown_encoding_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown encoding 'xml'"):
        codecs.open_encoder("xml", io.BytesIO())


def test_decode_paths_detects_each_file_and_takes_turns() -> None:
    paths = [str(DATA / "small" / "results.gob"), str(DATA / "small" / "results.csv")]
    assert [r.seq for r in codecs.decode_paths(paths, io.BytesIO())] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    mixed = [str(DATA / "small" / "results.json"), str(DATA / "varied" / "results.gob")]
    results = list(codecs.decode_paths(mixed, io.BytesIO()))
    assert len(results) == 405
    assert results[:10:2] == decoded("small", "gob")


def test_decode_paths_reads_stdin_without_paths() -> None:
    stdin = io.BytesIO(reference("varied", "csv"))
    assert list(codecs.decode_paths([], stdin)) == decoded("varied", "gob")
    stdin = io.BytesIO(reference("small", "json"))
    assert len(list(codecs.decode_paths(["stdin", str(DATA / "small" / "results.gob")], stdin))) == 10


def test_decode_paths_fails_before_yielding_on_a_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"not results\n")
    results = codecs.decode_paths([str(DATA / "small" / "results.gob"), str(bad)], io.BytesIO())
    with pytest.raises(UnknownFormat, match=r"bad\.txt"):
        next(results)


# --- manage.py vegeta ---------------------------------------------------------------------------


def _manage(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "pocsite.settings"}
    return subprocess.run(
        [sys.executable, "manage.py", "vegeta", *args],
        cwd=PROJECT,
        input=stdin,
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("flags", [("-to=gob",), ("--to=json",), ("-to", "csv"), ("--to", "gob")])
def test_encode_command_writes_vegetas_bytes(flags: tuple[str, ...]) -> None:
    run = _manage("encode", *flags, str(DATA / "varied" / "results.json"))
    assert run.returncode == 0, run.stderr
    assert run.stdout == reference("varied", flags[-1].removeprefix("-to=").removeprefix("--to="))


def test_encode_command_reads_stdin_and_writes_a_file(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    run = _manage("encode", "-to=csv", f"-output={target}", stdin=reference("small", "gob"))
    assert run.returncode == 0, run.stderr
    assert target.read_bytes() == reference("small", "csv")


def test_command_turns_bad_input_into_a_command_error() -> None:
    run = _manage("encode", stdin=b"garbage\n")
    assert run.returncode == 1
    assert b"CommandError: can't detect the encoding of stdin" in run.stderr


def test_report_command_prints_what_vegeta_printed() -> None:
    run = _manage("report", str(DATA / "varied" / "results.csv"))
    assert run.returncode == 0, run.stderr
    assert run.stdout == (DATA / "varied" / "report.txt").read_bytes()
