"""vegeta's JSON lines encoding: one object per result, written and read as vegeta's easyjson code does.

Keys come in Result's order; ``timestamp`` is RFC 3339 in UTC with trailing
zeros of the nanoseconds trimmed; ``body`` is standard base64 or ``null``;
``headers`` is an object or ``null``.  Strings are escaped as easyjson does:
``"``, ``\\``, ``\\n``, ``\\r``, ``\\t`` by name, other control characters
and ``<``, ``>``, ``&``, U+2028, U+2029 as ``\\u00XX``/``\\u202X``, each byte
that is not UTF-8 as ``\\ufffd``; everything else as raw UTF-8.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from bridge.vegeta.gob import (
    GO_ZERO_TIME,
    INT64_MAX,
    INT64_MIN,
    UINT16_MAX,
    UINT64_MAX,
    DecodeError,
    EncodeError,
    check_ranges,
    go_string,
)
from bridge.vegeta.result import Result

_NS = 1_000_000_000
_DAY = 86_400

# --- strings -----------------------------------------------------------------------

# Lone surrogates stand for bytes that are not UTF-8 (see gob.go_string).
_ESCAPED = re.compile('[\x00-\x1f"\\\\<>&\u2028\u2029\ud800-\udfff]')
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r", '"': '\\"', "\\": "\\\\"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    if "\ud800" <= char <= "\udfff":
        return "\\ufffd"
    return f"\\u{ord(char):04x}"


def quote(text: str) -> str:
    """``text`` as a JSON string literal, escaped as easyjson's ``jwriter.String`` does."""
    if _ESCAPED.search(text) is None:
        return f'"{text}"'
    return '"' + _ESCAPED.sub(_escape, text) + '"'


# --- timestamps ------------------------------------------------------------------------


def _civil(days: int) -> tuple[int, int, int]:
    """(year, month, day) of a day count since 1970-01-01 (Howard Hinnant's civil_from_days)."""
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (month <= 2), month, day


def _days(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil)."""
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month - 3 if month > 2 else month + 9) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


def format_time(unix_ns: int) -> str:
    """Go's ``time.Time.MarshalJSON`` text (RFC 3339 with trimmed nanoseconds) of a UTC instant."""
    seconds, nanos = divmod(unix_ns, _NS)
    days, second_of_day = divmod(seconds, _DAY)
    year, month, day = _civil(days)
    if not 0 <= year <= 9999:
        raise EncodeError("Time.MarshalJSON: year outside of range [0,9999]")
    hour, rest = divmod(second_of_day, 3600)
    minute, second = divmod(rest, 60)
    fraction = f".{nanos:09d}".rstrip("0") if nanos else ""
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{fraction}Z"


_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:Z|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def parse_time(text: str) -> int:
    """Unix nanoseconds of an RFC 3339 timestamp, checked as Go's ``time.Time.UnmarshalJSON`` checks it."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise DecodeError(f"parsing time {text!r} as RFC 3339: bad format")
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if not 1 <= month <= 12 or not 1 <= day <= _MONTH_DAYS[month - 1] + (month == 2 and leap):
        raise DecodeError(f"parsing time {text!r}: day or month out of range")
    if hour > 23 or minute > 59 or second > 59:
        raise DecodeError(f"parsing time {text!r}: hour, minute or second out of range")
    fraction = match.group(7) or ""
    nanos = int(fraction[:9].ljust(9, "0")) if fraction else 0  # Go ignores digits past the ninth
    offset = 0
    if match.group(8):
        zone_hours, zone_minutes = int(match.group(9)), int(match.group(10))
        if zone_hours > 23 or zone_minutes > 59:
            raise DecodeError(f"parsing time {text!r}: timezone offset out of range")
        offset = (zone_hours * 60 + zone_minutes) * 60 * (-1 if match.group(8) == "-" else 1)
    seconds = _days(year, month, day) * _DAY + hour * 3600 + minute * 60 + second - offset
    return seconds * _NS + nanos


# --- encoder --------------------------------------------------------------------------------


def _headers_json(headers: dict[str, list[str]]) -> str:
    if not headers:
        return "null"
    items = (quote(key) + ":[" + ",".join(quote(v) for v in values) + "]" for key, values in headers.items())
    return "{" + ",".join(items) + "}"


def encode_line(result: Result) -> bytes:
    """One result as vegeta's JSON encoder writes it, ``\\n`` included.

    An empty ``body`` is written as ``null`` and empty ``headers`` as
    ``null``, as Go writes a nil slice and a nil map.
    """
    check_ranges(result)
    body = '"' + base64.b64encode(result.body).decode("ascii") + '"' if result.body else "null"
    line = (
        f'{{"attack":{quote(result.attack)},"seq":{result.seq},"code":{result.code},'
        f'"timestamp":"{format_time(result.timestamp)}","latency":{result.latency},'
        f'"bytes_out":{result.bytes_out},"bytes_in":{result.bytes_in},"error":{quote(result.error)},'
        f'"body":{body},"method":{quote(result.method)},"url":{quote(result.url)},'
        f'"headers":{_headers_json(result.headers)}}}\n'
    )
    # quote() left no surrogates, so this is plain UTF-8.
    return line.encode("utf-8")


class Encoder:
    """Writes Results as ``vegeta.NewJSONEncoder`` does, one line each; output is buffered until ``flush``."""

    _FLUSH_AT = 1 << 16

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._pending: list[bytes] = []
        self._size = 0

    def encode(self, result: Result) -> None:
        """Append ``result``; raises ``EncodeError`` for values vegeta's Go types cannot hold."""
        line = encode_line(result)
        self._pending.append(line)
        self._size += len(line)
        if self._size >= self._FLUSH_AT:
            self._write()

    def flush(self) -> None:
        """Write what is buffered and flush ``out``."""
        self._write()
        flush = getattr(self._out, "flush", None)
        if flush is not None:
            flush()

    def _write(self) -> None:
        if self._pending:
            self._out.write(b"".join(self._pending))
            self._pending.clear()
            self._size = 0


# --- decoder ------------------------------------------------------------------------------

# A \u escape of a UTF-16 surrogate.  easyjson turns one that is not half of
# a valid pair into U+FFFD, while Python's json keeps it as a lone surrogate,
# which here would mean a raw byte; such lines are rewritten first.
_MAYBE_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")
_ESCAPE_TOKEN = re.compile(
    rb"\\(?:u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|(u[dD][89a-fA-F][0-9a-fA-F]{2})|.)",
    re.DOTALL,
)


def _replace_lone_surrogate(match: re.Match[bytes]) -> bytes:
    return b"\\ufffd" if match.group(1) else match.group()


def _text(value: Any, key: str) -> str:
    if not isinstance(value, str):
        raise DecodeError(f"json: {key} must be a string, got {value!r}")
    return value


def _integer(value: Any, key: str, low: int, high: int) -> int:
    if type(value) is not int or not low <= value <= high:
        raise DecodeError(f"json: {key} must be an integer in {low}..{high}, got {value!r}")
    return value


def _body(value: Any) -> bytes:
    text = _text(value, "body")
    try:
        # Go's base64 decoder skips CR and LF and is otherwise strict.
        return binascii.a2b_base64(text.replace("\r", "").replace("\n", ""), strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        raise DecodeError(f"json: body is not base64: {exc}") from exc


def _headers(value: Any) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        raise DecodeError(f"json: headers must be an object, got {value!r}")
    headers: dict[str, list[str]] = {}
    for key, values in value.items():
        if values is None:
            headers[key] = []
        elif isinstance(values, list):
            headers[key] = [_text(v, f"headers[{key!r}]") for v in values]
        else:
            raise DecodeError(f"json: headers[{key!r}] must be a list of strings, got {values!r}")
    return headers


_FIELDS: dict[str, tuple[str, Any]] = {
    "attack": ("attack", _text),
    "seq": ("seq", lambda v, k: _integer(v, k, 0, UINT64_MAX)),
    "code": ("code", lambda v, k: _integer(v, k, 0, UINT16_MAX)),
    "timestamp": ("timestamp", lambda v, k: parse_time(_text(v, k))),
    "latency": ("latency", lambda v, k: _integer(v, k, INT64_MIN, INT64_MAX)),
    "bytes_out": ("bytes_out", lambda v, k: _integer(v, k, 0, UINT64_MAX)),
    "bytes_in": ("bytes_in", lambda v, k: _integer(v, k, 0, UINT64_MAX)),
    "error": ("error", _text),
    "body": ("body", lambda v, k: _body(v)),
    "method": ("method", _text),
    "url": ("url", _text),
    "headers": ("headers", lambda v, k: _headers(v)),
}


def decode_line(line: bytes) -> Result:
    """The Result in one JSON line, read as vegeta's easyjson decoder reads it.

    Unknown keys are ignored and ``null`` values leave a field at its zero
    value (a missing timestamp is ``GO_ZERO_TIME``); a line that is just
    ``null`` is a zero Result.  Raises ``DecodeError`` otherwise.
    """
    if _MAYBE_SURROGATE.search(line):
        line = _ESCAPE_TOKEN.sub(_replace_lone_surrogate, line)
    try:
        # strict=False: easyjson takes control characters inside strings as they are.
        document = json.loads(go_string(line), strict=False)
    except json.JSONDecodeError as exc:
        raise DecodeError(f"json: {exc}") from exc
    except RecursionError as exc:  # arrays or objects nested thousands deep
        raise DecodeError("json: value nested too deeply") from exc
    values: dict[str, Any] = {"timestamp": GO_ZERO_TIME}
    if document is None:
        return Result(**values)
    if not isinstance(document, dict):
        raise DecodeError(f"json: a result must be an object, got {type(document).__name__}")
    for key, value in document.items():
        field = _FIELDS.get(key)
        if field is not None and value is not None:
            attr, convert = field
            values[attr] = convert(value, key)
    return Result(**values)


def decode(stream: BinaryIO) -> Iterator[Result]:
    """Yield the Results of a JSON lines stream, one per line.

    More lenient than vegeta in two ways: blank lines are skipped (vegeta
    fails on them) and a last line without its ``\\n`` is read (vegeta drops
    it).  Any other line that is not a result raises ``DecodeError``.
    """
    for line in stream:
        if line.strip():
            yield decode_line(line)
