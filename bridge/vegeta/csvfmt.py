"""vegeta's CSV encoding: twelve columns, no header row, Go's ``encoding/csv`` quoting.

Columns: Unix-nanosecond timestamp, code, latency ns, bytes out, bytes in,
error, base64 body, attack, seq, method, URL, and base64 of the headers as
HTTP header lines (``Key: value\\r\\n``, keys sorted, then ``\\r\\n``).  An
empty body or no headers give an empty column.

Reading follows vegeta's decoder: Go's CSV reader with ``TrimLeadingSpace``
(CRLF read as LF, even inside quotes; blank lines skipped), Go's number
syntax, and ``net/textproto``'s header reader (keys canonicalised).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from typing import BinaryIO

from bridge.vegeta.errors import DecodeError
from bridge.vegeta.gotypes import INT64_MAX, INT64_MIN, UINT16_MAX, UINT64_MAX, check_ranges, go_bytes, go_string
from bridge.vegeta.output import LineEncoder
from bridge.vegeta.result import Result

COLUMNS = 12

# Go's unicode.IsSpace: a field starting with one of these is quoted on
# output, and the reader's TrimLeadingSpace drops them.
_GO_SPACES = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
_GO_SPACES += "\u2028\u2029\u202f\u205f\u3000"
_NEEDS_QUOTES = re.compile('[\n\r",]')
# An RFC 7230 token: what net/http writes as a header name.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


# --- encoder -------------------------------------------------------------------------


def _field(text: str) -> str:
    """``text`` as Go's ``csv.Writer`` writes a field (LF line endings)."""
    if not text:
        return text
    if text == "\\." or _NEEDS_QUOTES.search(text) or text[0] in _GO_SPACES:
        return '"' + text.replace('"', '""') + '"'
    return text


def _header_value(value: str) -> str:
    # http.Header.Write: CR and LF become spaces, then ASCII white space is trimmed.
    return value.replace("\r", " ").replace("\n", " ").strip(" \t\r\n")


def header_block(headers: dict[str, list[str]]) -> bytes:
    """``http.Header.Write`` plus the closing ``\\r\\n``, as vegeta's CSV column holds it.

    Empty for empty ``headers`` (Go's nil header); names that are not valid
    HTTP tokens are dropped, as Go drops them.
    """
    if not headers:
        return b""
    lines = [
        f"{key}: {_header_value(value)}\r\n"
        for key in sorted(key for key in headers if _TOKEN.fullmatch(key))
        for value in headers[key]
    ]
    return go_bytes("".join(lines) + "\r\n")


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def encode_line(result: Result) -> bytes:
    """One result as vegeta's CSV encoder writes it, ``\\n`` included.

    A timestamp beyond int64 nanoseconds wraps, as Go's ``UnixNano`` does.
    """
    check_ranges(result)
    timestamp = (result.timestamp - INT64_MIN) % (1 << 64) + INT64_MIN
    fields = (
        str(timestamp),
        str(result.code),
        str(result.latency),
        str(result.bytes_out),
        str(result.bytes_in),
        _field(result.error),
        _b64(result.body),
        _field(result.attack),
        str(result.seq),
        _field(result.method),
        _field(result.url),
        _b64(header_block(result.headers)),
    )
    return go_bytes(",".join(fields) + "\n")


class Encoder(LineEncoder):
    """Writes Results as ``vegeta.NewCSVEncoder`` does, one record each; output is buffered until ``flush``."""

    encode_line = staticmethod(encode_line)


# --- Go's CSV reader -----------------------------------------------------------------------


def _read_line(stream: BinaryIO) -> bytes:
    """The next line with CRLF made LF; a last line without a newline gets one; b"" at the end."""
    line = stream.readline()
    if not line:
        return line
    if line.endswith(b"\r\n"):
        return line[:-2] + b"\n"
    if not line.endswith(b"\n"):
        return (line[:-1] if line.endswith(b"\r") else line) + b"\n"
    return line


def _trim(field: str) -> str:
    return field.lstrip(_GO_SPACES)


def read_record(stream: BinaryIO) -> list[str] | None:
    """The next CSV record's fields, read as Go's ``csv.Reader`` with ``TrimLeadingSpace``; None at the end."""
    line = _read_line(stream)
    while line == b"\n":  # Go skips empty lines
        line = _read_line(stream)
    if not line:
        return None
    if b'"' not in line:
        return [_trim(go_string(field)) for field in line[:-1].split(b",")]
    return _read_quoted_record(go_string(line), stream)


def _read_quoted_record(line: str, stream: BinaryIO) -> list[str]:
    """The slow path of ``read_record`` for a record with quotes, which may span lines."""
    fields: list[str] = []
    while True:
        line = _trim(line)
        if not line.startswith('"'):
            comma = line.find(",")
            field = line[:comma] if comma >= 0 else line.rstrip("\n")
            if '"' in field:
                raise DecodeError(f'csv: bare " in non-quoted field: {field!r}')
            fields.append(field)
            if comma < 0:
                return fields
            line = line[comma + 1 :]
            continue
        line = line[1:]
        parts: list[str] = []
        while True:
            quote = line.find('"')
            if quote >= 0:
                parts.append(line[:quote])
                line = line[quote + 1 :]
                if line.startswith('"'):  # "" is a quote
                    parts.append('"')
                    line = line[1:]
                    continue
                if line.startswith(","):
                    fields.append("".join(parts))
                    line = line[1:]
                    break
                if line in ("\n", ""):
                    fields.append("".join(parts))
                    return fields
                raise DecodeError('csv: extraneous or missing " in quoted-field')
            if not line:
                raise DecodeError('csv: extraneous or missing " in quoted-field (input ends inside quotes)')
            parts.append(line)
            line = go_string(_read_line(stream))


# --- decoder ----------------------------------------------------------------------------------

_SIGNED = re.compile(r"[+-]?[0-9]+", re.ASCII)
_UNSIGNED = re.compile(r"[0-9]+", re.ASCII)


def _int(text: str, column: str, low: int, high: int) -> int:
    # strconv.ParseInt/ParseUint, base 10: ASCII digits, a sign only when signed.
    pattern = _SIGNED if low < 0 else _UNSIGNED
    if pattern.fullmatch(text) is None:
        raise DecodeError(f"csv: {column} {text!r}: invalid syntax")
    value = int(text)
    if not low <= value <= high:
        raise DecodeError(f"csv: {column} {text!r}: value out of range")
    return value


def _base64(text: str, column: str) -> bytes:
    try:
        # Go's base64 decoder skips CR and LF and is otherwise strict.
        return binascii.a2b_base64(text.replace("\r", "").replace("\n", ""), strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        raise DecodeError(f"csv: {column} is not base64: {exc}") from exc


_KEY_BYTES = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z ]+")
_BAD_VALUE_CHARS = re.compile("[\x00-\x08\x0a-\x1f\x7f]")


def _canonical_key(key: str, line: str) -> str:
    # textproto's canonicalMIMEHeaderKey: a token gets upper case at the start
    # and after each '-', lower case elsewhere; a name with a space is kept
    # as it is; anything else is malformed.
    if _KEY_BYTES.fullmatch(key) is None:
        raise DecodeError(f"csv: malformed MIME header line: {line!r}")
    if " " in key:
        return key
    return "-".join(part[:1].upper() + part[1:].lower() for part in key.split("-"))


def parse_header_block(raw: bytes) -> dict[str, list[str]]:
    """Headers from ``http.Header.Write`` output, read as Go's ``textproto.Reader.ReadMIMEHeader`` reads them."""
    lines = go_string(raw).split("\n")
    if lines[0][:1] in (" ", "\t"):
        raise DecodeError(f"csv: malformed MIME header initial line: {lines[0]!r}")
    headers: dict[str, list[str]] = {}
    index = 0
    while True:
        # The last piece follows the last newline: reaching it means the
        # block ended without the blank line that closes it.
        if index >= len(lines) - 1:
            raise DecodeError("csv: headers column ends before its blank line")
        line = lines[index].strip(" \t\r")
        index += 1
        if not line:
            return headers
        if ":" not in line:
            raise DecodeError(f"csv: malformed MIME header: missing colon: {line!r}")
        # Lines starting with a space or tab continue the value.
        while index < len(lines) - 1 and lines[index][:1] in (" ", "\t"):
            line += " " + lines[index].strip(" \t\r")
            index += 1
        key, value = line.split(":", 1)
        if _BAD_VALUE_CHARS.search(value):
            raise DecodeError(f"csv: malformed MIME header line: {line!r}")
        headers.setdefault(_canonical_key(key, line), []).append(value.lstrip(" \t"))


def _result(fields: list[str]) -> Result:
    if len(fields) != COLUMNS:
        raise DecodeError(f"csv: wrong number of fields: {len(fields)}, want {COLUMNS}")
    return Result(
        timestamp=_int(fields[0], "timestamp", INT64_MIN, INT64_MAX),
        code=_int(fields[1], "code", 0, UINT16_MAX),
        latency=_int(fields[2], "latency", INT64_MIN, INT64_MAX),
        bytes_out=_int(fields[3], "bytes_out", 0, UINT64_MAX),
        bytes_in=_int(fields[4], "bytes_in", 0, UINT64_MAX),
        error=fields[5],
        body=_base64(fields[6], "body"),
        attack=fields[7],
        seq=_int(fields[8], "seq", 0, UINT64_MAX),
        method=fields[9],
        url=fields[10],
        headers=parse_header_block(_base64(fields[11], "headers")) if fields[11] else {},
    )


def decode(stream: BinaryIO) -> Iterator[Result]:
    """Yield the Results of a vegeta CSV stream; raises ``DecodeError`` at the first bad record."""
    while (fields := read_record(stream)) is not None:
        yield _result(fields)
