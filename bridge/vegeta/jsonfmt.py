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

from bridge.vegeta.errors import DecodeError
from bridge.vegeta.gotime import GO_ZERO_TIME, format_time, parse_time
from bridge.vegeta.gotypes import INT64_MAX, INT64_MIN, UINT16_MAX, UINT64_MAX, check_ranges, go_string
from bridge.vegeta.output import LineEncoder
from bridge.vegeta.result import Result

# --- strings -----------------------------------------------------------------------

# Lone surrogates stand for bytes that are not UTF-8 (see gotypes.go_string).
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


class Encoder(LineEncoder):
    """Writes Results as ``vegeta.NewJSONEncoder`` does, one line each; output is buffered until ``flush``."""

    encode_line = staticmethod(encode_line)


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
