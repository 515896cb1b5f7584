"""vegeta's default result encoding: Go's ``encoding/gob`` stream of ``*vegeta.Result``.

A stream is a sequence of messages, each ``length, type id, payload``.  A
negative id defines a type (vegeta sends ``Result``, ``time.Time``,
``http.Header`` and ``[]string`` once, before the first value); a positive id
carries one value.  Struct fields travel as ``field-number delta, value`` pairs
ending in a zero delta, zero-valued fields left out; ``time.Time`` travels as
its ``MarshalBinary`` bytes.

The decoder works like Go's: it reads the type definitions it is sent and
matches struct fields by name, so streams of older vegeta (nine fields, before
v12.8) and streams with other field orders or type ids decode too, and fields
it does not know are skipped.

This module also holds the conventions the JSON and CSV codecs share with it:
Go strings are bytes, kept in ``Result``'s ``str`` fields with bytes that are
not UTF-8 as lone surrogates (``surrogateescape``); a record without a
timestamp has Go's zero time, ``GO_ZERO_TIME``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from bridge.vegeta.result import Result

# Unix nanoseconds of Go's zero ``time.Time`` (0001-01-01T00:00:00Z): what a
# record that carries no timestamp decodes to, and what gob leaves out.
GO_ZERO_TIME = -62_135_596_800 * 1_000_000_000
_UNIX_EPOCH_GO_SECONDS = 62_135_596_800  # seconds from year 1 to 1970, as time.Time counts them
_NS = 1_000_000_000

# Go's value ranges for Result's integer fields.
UINT16_MAX = 0xFFFF
UINT64_MAX = 0xFFFF_FFFF_FFFF_FFFF
INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1

RESULT_FIELDS: tuple[str, ...] = (
    "Attack",
    "Seq",
    "Code",
    "Timestamp",
    "Latency",
    "BytesOut",
    "BytesIn",
    "Error",
    "Body",
    "Method",
    "URL",
    "Headers",
)
"""vegeta v12.8+ Result's fields, in Go's declaration order."""

LEGACY_FIELDS: tuple[str, ...] = RESULT_FIELDS[:9]
"""The fields vegeta wrote before v12.8 (no Method, URL or Headers)."""

_ATTRS = {
    "Attack": "attack",
    "Seq": "seq",
    "Code": "code",
    "Timestamp": "timestamp",
    "Latency": "latency",
    "BytesOut": "bytes_out",
    "BytesIn": "bytes_in",
    "Error": "error",
    "Body": "body",
    "Method": "method",
    "URL": "url",
    "Headers": "headers",
}

# gob's predefined type ids (encoding/gob/type.go).
_BOOL, _INT, _UINT, _FLOAT, _BYTES, _STRING, _COMPLEX, _INTERFACE = range(1, 9)
_FIRST_USER_ID = 64  # ids below are gob's own; a stream may not define them
_TOO_BIG = 1 << 33  # gob's ceiling on a message length on 64-bit systems


class DecodeError(ValueError):
    """The input is not a valid stream of vegeta results in the expected encoding."""


class EncodeError(ValueError):
    """A Result holds a value that vegeta's Go types cannot carry."""


# --- Go strings ----------------------------------------------------------------


def go_string(raw: bytes) -> str:
    """The ``str`` for a Go string's bytes; bytes that are not UTF-8 become lone surrogates."""
    return raw.decode("utf-8", "surrogateescape")


def go_bytes(text: str) -> bytes:
    """The Go string bytes for ``text``, the inverse of ``go_string``.

    A surrogate that ``go_string`` cannot have produced becomes U+FFFD, as Go
    does when it converts an invalid rune to a string.
    """
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return b"".join(_char_bytes(c) for c in text)


def _char_bytes(char: str) -> bytes:
    try:
        return char.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return "\ufffd".encode()


def check_ranges(result: Result) -> None:
    """Raise ``EncodeError`` unless every integer field fits its Go type."""
    for name, value, low, high in (
        ("seq", result.seq, 0, UINT64_MAX),
        ("code", result.code, 0, UINT16_MAX),
        ("latency", result.latency, INT64_MIN, INT64_MAX),
        ("bytes_out", result.bytes_out, 0, UINT64_MAX),
        ("bytes_in", result.bytes_in, 0, UINT64_MAX),
    ):
        if not low <= value <= high:
            raise EncodeError(f"{name}={value} does not fit vegeta's Go type (range {low}..{high})")


# --- time.Time's MarshalBinary ---------------------------------------------------


def marshal_time(unix_ns: int) -> bytes:
    """``time.Time.MarshalBinary`` of the UTC time ``unix_ns``: version 1, seconds since year 1, ns, offset -1."""
    seconds, nanos = divmod(unix_ns, _NS)
    try:
        return struct.pack(">bqih", 1, seconds + _UNIX_EPOCH_GO_SECONDS, nanos, -1)
    except struct.error as exc:
        raise EncodeError(f"timestamp {unix_ns} is outside the range of Go's time.Time") from exc


def unmarshal_time(data: bytes) -> int:
    """Unix nanoseconds of a ``time.Time.MarshalBinary`` value, version 1 or 2.

    The zone offset it carries does not move the instant, so it is dropped.
    """
    if not data:
        raise DecodeError("Time.UnmarshalBinary: no data")
    version = data[0]
    if version not in (1, 2):
        raise DecodeError("Time.UnmarshalBinary: unsupported version")
    if len(data) != (15 if version == 1 else 16):
        raise DecodeError("Time.UnmarshalBinary: invalid length")
    seconds, nanos = struct.unpack_from(">qi", data, 1)
    return (seconds - _UNIX_EPOCH_GO_SECONDS) * _NS + nanos


# --- wire primitives -----------------------------------------------------------------


def _put_uint(buf: bytearray, n: int) -> None:
    # One byte below 128; otherwise the negated byte count, then big-endian bytes.
    if n < 0x80:
        buf.append(n)
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        buf.append(256 - len(raw))
        buf += raw


def _put_int(buf: bytearray, n: int) -> None:
    # Sign in the low bit; negative numbers complemented first.
    _put_uint(buf, (~n << 1) | 1 if n < 0 else n << 1)


def _put_bytes(buf: bytearray, raw: bytes) -> None:
    _put_uint(buf, len(raw))
    buf += raw


def _get_uint(data: bytes, pos: int) -> tuple[int, int]:
    first = data[pos]
    if first < 0x80:
        return first, pos + 1
    size = 256 - first
    if size > 8:
        raise DecodeError("gob: encoded unsigned integer out of range")
    end = pos + 1 + size
    if end > len(data):
        raise DecodeError(f"gob: invalid uint data length {size}: exceeds input size {len(data) - pos - 1}")
    return int.from_bytes(data[pos + 1 : end], "big"), end


def _get_int(data: bytes, pos: int) -> tuple[int, int]:
    u, pos = _get_uint(data, pos)
    return (~(u >> 1) if u & 1 else u >> 1), pos


def _get_raw(data: bytes, pos: int) -> tuple[bytes, int]:
    size, pos = _get_uint(data, pos)
    end = pos + size
    if end > len(data):
        raise DecodeError(f"gob: length {size} exceeds the {len(data) - pos} bytes left in the message")
    return data[pos:end], end


def _message(type_id: int, payload: bytes | bytearray) -> bytes:
    body = bytearray()
    _put_int(body, type_id)
    body += payload
    framed = bytearray()
    _put_uint(framed, len(body))
    return bytes(framed + body)


# --- type definitions (Go's wireType), written -------------------------------------


def _struct(fields: Sequence[tuple[int, bytes | None]]) -> bytes:
    """A gob struct from ``(field number, encoded value or None for zero)`` pairs, in order."""
    buf = bytearray()
    last = -1
    for number, value in fields:
        if value is None:
            continue
        _put_uint(buf, number - last)
        buf += value
        last = number
    buf.append(0)
    return bytes(buf)


def _enc_str(text: str) -> bytes | None:
    if not text:
        return None
    buf = bytearray()
    _put_bytes(buf, text.encode())
    return bytes(buf)


def _enc_int(n: int) -> bytes | None:
    if not n:
        return None
    buf = bytearray()
    _put_int(buf, n)
    return bytes(buf)


def _common(name: str, type_id: int) -> bytes:
    return _struct([(0, _enc_str(name)), (1, _enc_int(type_id))])


# wireType's fields: ArrayT, SliceT, StructT, MapT, GobEncoderT, BinaryMarshalerT, TextMarshalerT.
_WIRE_ARRAY, _WIRE_SLICE, _WIRE_STRUCT, _WIRE_MAP, _WIRE_GOB, _WIRE_BINARY, _WIRE_TEXT = range(7)


def _struct_definition(name: str, type_id: int, fields: Sequence[tuple[str, int]]) -> bytes:
    listing = bytearray()
    _put_uint(listing, len(fields))
    for field_name, field_id in fields:
        listing += _struct([(0, _enc_str(field_name)), (1, _enc_int(field_id))])
    return _struct([(_WIRE_STRUCT, _struct([(0, _common(name, type_id)), (1, bytes(listing))]))])


def _slice_definition(name: str, type_id: int, elem: int) -> bytes:
    return _struct([(_WIRE_SLICE, _struct([(0, _common(name, type_id)), (1, _enc_int(elem))]))])


def _map_definition(name: str, type_id: int, key: int, elem: int) -> bytes:
    return _struct([(_WIRE_MAP, _struct([(0, _common(name, type_id)), (1, _enc_int(key)), (2, _enc_int(elem))]))])


def _gob_encoder_definition(name: str, type_id: int) -> bytes:
    return _struct([(_WIRE_GOB, _struct([(0, _common(name, type_id))]))])


def _stream_header(fields: Sequence[str]) -> tuple[bytes, dict[str, int]]:
    """The type definition messages a fresh Go encoder sends before the first Result, and each field's type id.

    Ids are handed out as Go builds the types: the struct first, then its
    fields' types depth first (a map after its element slice); definitions go
    out struct first, then each field's types in field order (a map before its
    element).
    """
    next_id = _FIRST_USER_ID + 1
    result_id = next_id
    next_id += 1
    field_ids = {"Attack": _STRING, "Seq": _UINT, "Code": _UINT, "Latency": _INT, "BytesOut": _UINT, "BytesIn": _UINT}
    field_ids |= {"Error": _STRING, "Body": _BYTES, "Method": _STRING, "URL": _STRING}
    later: list[bytes] = []
    for name in fields:
        if name == "Timestamp":
            field_ids[name] = next_id
            later.append(_message(-next_id, _gob_encoder_definition("Time", next_id)))
            next_id += 1
        elif name == "Headers":
            values_id, header_id = next_id, next_id + 1
            next_id += 2
            field_ids[name] = header_id
            later.append(_message(-header_id, _map_definition("Header", header_id, _STRING, values_id)))
            later.append(_message(-values_id, _slice_definition("", values_id, _STRING)))
    result = _message(-result_id, _struct_definition("Result", result_id, [(name, field_ids[name]) for name in fields]))
    return result + b"".join(later), {"Result": result_id, **field_ids}


# --- encoder ---------------------------------------------------------------------------


def _put_header(buf: bytearray, headers: dict[str, list[str]]) -> None:
    _put_uint(buf, len(headers))
    for key, values in headers.items():
        _put_bytes(buf, go_bytes(key))
        _put_uint(buf, len(values))
        for value in values:
            _put_bytes(buf, go_bytes(value))


def _put_str(buf: bytearray, text: str) -> None:
    _put_bytes(buf, go_bytes(text))


def _put_time(buf: bytearray, unix_ns: int) -> None:
    _put_bytes(buf, marshal_time(unix_ns))


_PUTTERS: dict[str, Callable[[bytearray, Any], None]] = {
    "Attack": _put_str,
    "Seq": _put_uint,
    "Code": _put_uint,
    "Timestamp": _put_time,
    "Latency": _put_int,
    "BytesOut": _put_uint,
    "BytesIn": _put_uint,
    "Error": _put_str,
    "Body": _put_bytes,
    "Method": _put_str,
    "URL": _put_str,
    "Headers": _put_header,
}
# What each field holds when Go would leave it out of the stream.
_ZEROS: dict[str, object] = {name: "" for name in ("Attack", "Error", "Method", "URL")}
_ZEROS |= {name: 0 for name in ("Seq", "Code", "Latency", "BytesOut", "BytesIn")}
_ZEROS |= {"Timestamp": GO_ZERO_TIME, "Body": b"", "Headers": {}}


class Encoder:
    """Writes Results as ``vegeta.NewEncoder`` does: one gob stream, type definitions before the first value.

    ``fields`` picks which of Result's fields the stream's type carries (in
    that order); ``LEGACY_FIELDS`` writes a stream as vegeta before v12.8 did.
    An empty ``headers`` dict stands for Go's nil header and is left out, as
    are the other zero values.  Output is buffered; call ``flush``.
    """

    _FLUSH_AT = 1 << 16

    def __init__(self, out: BinaryIO, fields: Sequence[str] = RESULT_FIELDS) -> None:
        unknown = [name for name in fields if name not in _ATTRS]
        if unknown or len(set(fields)) != len(fields):
            raise ValueError(f"fields must be distinct names from {RESULT_FIELDS}, got {tuple(fields)}")
        self._out = out
        self._header, ids = _stream_header(fields)
        self._type_id = ids["Result"]
        self._plan = [(number, _ATTRS[name], _ZEROS[name], _PUTTERS[name]) for number, name in enumerate(fields)]
        self._pending = bytearray()

    def encode(self, result: Result) -> None:
        """Append ``result`` to the stream; raises ``EncodeError`` for values Go cannot hold."""
        check_ranges(result)
        value = bytearray()
        last = -1
        for number, attr, zero, put in self._plan:
            field = getattr(result, attr)
            if field == zero:
                continue
            _put_uint(value, number - last)
            put(value, field)
            last = number
        value.append(0)
        if self._header:
            self._pending += self._header
            self._header = b""
        self._pending += _message(self._type_id, value)
        if len(self._pending) >= self._FLUSH_AT:
            self._write()

    def flush(self) -> None:
        """Write what is buffered and flush ``out``."""
        self._write()
        flush = getattr(self._out, "flush", None)
        if flush is not None:
            flush()

    def _write(self) -> None:
        if self._pending:
            self._out.write(bytes(self._pending))
            self._pending.clear()


# --- type definitions, read -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _WireType:
    """One type definition from the stream: what kind of type, and the ids it refers to."""

    kind: int  # one of the _WIRE_* field numbers
    name: str
    elem: int = 0
    key: int = 0
    length: int = 0
    fields: tuple[tuple[str, int], ...] = ()


_Reader = Callable[[bytes, int], tuple[Any, int]]


def _read_struct(data: bytes, pos: int, readers: Sequence[_Reader]) -> tuple[dict[int, Any], int]:
    """A struct of a known shape: field number -> value, each read with ``readers[number]``."""
    values: dict[int, Any] = {}
    number = -1
    while pos < len(data):
        delta, pos = _get_uint(data, pos)
        if delta == 0:
            break
        number += delta
        if number >= len(readers):
            raise DecodeError("gob: bad data: field numbers out of bounds")
        values[number], pos = readers[number](data, pos)
    return values, pos


def _read_name(data: bytes, pos: int) -> tuple[str, int]:
    raw, pos = _get_raw(data, pos)
    return go_string(raw), pos


def _read_common(data: bytes, pos: int) -> tuple[dict[int, Any], int]:
    return _read_struct(data, pos, (_read_name, _get_int))  # CommonType: Name, Id


def _read_field_list(data: bytes, pos: int) -> tuple[list[tuple[str, int]], int]:
    count, pos = _get_uint(data, pos)
    if count > len(data) - pos:
        raise DecodeError("gob: field list longer than its message")
    fields = []
    for _ in range(count):
        field, pos = _read_struct(data, pos, (_read_name, _get_int))  # fieldType: Name, Id
        fields.append((field.get(0, ""), field.get(1, 0)))
    return fields, pos


def _shape(*readers: _Reader) -> _Reader:
    return lambda data, pos: _read_struct(data, pos, readers)


# wireType's fields in order, each a struct whose first field is CommonType.
_WIRE_SHAPES = (
    _shape(_read_common, _get_int, _get_int),  # arrayType: Elem, Len
    _shape(_read_common, _get_int),  # sliceType: Elem
    _shape(_read_common, _read_field_list),  # structType: Field
    _shape(_read_common, _get_int, _get_int),  # mapType: Key, Elem
    _shape(_read_common),  # gobEncoderType
    _shape(_read_common),  # binaryMarshalerType
    _shape(_read_common),  # textMarshalerType
)


def _read_wire_type(data: bytes, pos: int) -> tuple[_WireType, int]:
    wire, pos = _read_struct(data, pos, _WIRE_SHAPES)
    if len(wire) != 1:
        raise DecodeError("gob: a type definition must describe exactly one type")
    ((kind, body),) = wire.items()
    name = body.get(0, {}).get(0, "")
    if kind == _WIRE_STRUCT:
        return _WireType(kind, name, fields=tuple(body.get(1, ()))), pos
    if kind == _WIRE_MAP:
        return _WireType(kind, name, key=body.get(1, 0), elem=body.get(2, 0)), pos
    if kind == _WIRE_ARRAY:
        return _WireType(kind, name, elem=body.get(1, 0), length=body.get(2, 0)), pos
    if kind == _WIRE_SLICE:
        return _WireType(kind, name, elem=body.get(1, 0)), pos
    return _WireType(kind, name), pos


# --- decoder -------------------------------------------------------------------------------


def _op_code(data: bytes, pos: int) -> tuple[int, int]:
    code, pos = _get_uint(data, pos)
    if code > UINT16_MAX:
        raise DecodeError('gob: value for "Code" out of range')
    return code, pos


def _op_time(data: bytes, pos: int) -> tuple[int, int]:
    raw, pos = _get_raw(data, pos)
    return unmarshal_time(raw), pos


def _op_header(data: bytes, pos: int) -> tuple[dict[str, list[str]], int]:
    count, pos = _get_uint(data, pos)
    if count > len(data) - pos:
        raise DecodeError("gob: header map longer than its message")
    headers: dict[str, list[str]] = {}
    for _ in range(count):
        key, pos = _get_raw(data, pos)
        size, pos = _get_uint(data, pos)
        if size > len(data) - pos:
            raise DecodeError("gob: header values longer than their message")
        values = []
        for _ in range(size):
            value, pos = _get_raw(data, pos)
            values.append(go_string(value))
        headers[go_string(key)] = values
    return headers, pos


class _Stream:
    """One gob stream's state: the types defined so far and a compiled plan per struct type."""

    def __init__(self, source: BinaryIO) -> None:
        self._source = source
        self._types: dict[int, _WireType] = {}
        self._plans: dict[int, list[tuple[str | None, _Reader]]] = {}

    def next_result(self) -> Result | None:
        """The next value, after any type definitions before it; None at the end of the stream."""
        defined = False
        while True:
            message = self._read_message()
            if message is None:
                if defined:
                    raise DecodeError("gob: unexpected EOF: type definitions without a value")
                return None
            try:
                type_id, pos = _get_int(message, 0)
                if type_id >= 0:
                    return self._decode_value(type_id, message, pos)
                self._define(-type_id, message, pos)
            except IndexError as exc:
                raise DecodeError("gob: message ends in the middle of a value") from exc
            defined = True

    def _read_message(self) -> bytes | None:
        first = self._source.read(1)
        if not first:
            return None
        size = first[0]
        if size >= 0x80:
            width = 256 - size
            if width > 8:
                raise DecodeError("gob: encoded unsigned integer out of range")
            raw = self._source.read(width)
            if len(raw) != width:
                raise DecodeError("gob: unexpected EOF in a message length")
            size = int.from_bytes(raw, "big")
        if size >= _TOO_BIG:
            raise DecodeError("gob: invalid message length")
        if size == 0:
            raise DecodeError("gob: empty message")
        message = _read_exactly(self._source, size)
        if len(message) != size:
            raise DecodeError("gob: unexpected EOF in a message")
        return message

    def _define(self, type_id: int, message: bytes, pos: int) -> None:
        if type_id < _FIRST_USER_ID or type_id in self._types:
            raise DecodeError("gob: duplicate type received")
        wire, pos = _read_wire_type(message, pos)
        if pos != len(message):
            raise DecodeError("gob: extra data in buffer")
        self._types[type_id] = wire

    def _decode_value(self, type_id: int, data: bytes, pos: int) -> Result:
        plan = self._plans.get(type_id)
        if plan is None:
            plan = self._plans[type_id] = self._compile(type_id)
        values: dict[str, Any] = {"timestamp": GO_ZERO_TIME}
        number = -1
        limit = len(plan)
        end = len(data)
        while pos < end:
            delta = data[pos]
            if delta < 0x80:
                pos += 1
            else:
                delta, pos = _get_uint(data, pos)
            if delta == 0:
                break
            number += delta
            if number >= limit:
                raise DecodeError("gob: bad data: field numbers out of bounds")
            attr, op = plan[number]
            value, pos = op(data, pos)
            if attr is not None:
                values[attr] = value
        return Result(**values)

    def _compile(self, type_id: int) -> list[tuple[str | None, _Reader]]:
        wire = self._types.get(type_id)
        if wire is None:
            raise DecodeError(f"gob: unknown type id {type_id} or corrupted data")
        if wire.kind != _WIRE_STRUCT:
            raise DecodeError(f"gob: type mismatch: want struct type Result, got {wire.name or 'a non-struct'}")
        plan: list[tuple[str | None, _Reader]] = []
        for name, field_id in wire.fields:
            if not name:
                raise DecodeError(f"gob: empty name for remote field of type {wire.name}")
            if name in _ATTRS:
                plan.append((_ATTRS[name], self._field_op(wire.name, name, field_id)))
            else:
                plan.append((None, self._skip_op(field_id)))
        if wire.fields and all(attr is None for attr, _ in plan):
            raise DecodeError("gob: type mismatch: no fields matched compiling decoder for Result")
        return plan

    def _field_op(self, struct_name: str, name: str, field_id: int) -> _Reader:
        expected: dict[str, tuple[int, _Reader]] = {
            "Attack": (_STRING, _read_name),
            "Error": (_STRING, _read_name),
            "Method": (_STRING, _read_name),
            "URL": (_STRING, _read_name),
            "Seq": (_UINT, _get_uint),
            "BytesOut": (_UINT, _get_uint),
            "BytesIn": (_UINT, _get_uint),
            "Code": (_UINT, _op_code),
            "Latency": (_INT, _get_int),
            "Body": (_BYTES, _get_raw),
        }
        if name in expected:
            wanted, op = expected[name]
            if field_id == wanted:
                return op
        elif name == "Timestamp":
            wire = self._types.get(field_id)
            if wire is not None and wire.kind == _WIRE_GOB:
                return _op_time
        elif self._is_header(field_id):
            return _op_header
        raise DecodeError(f"gob: wrong type for received field {struct_name}.{name}")

    def _is_header(self, type_id: int) -> bool:
        wire = self._types.get(type_id)
        if wire is None or wire.kind != _WIRE_MAP or wire.key != _STRING:
            return False
        values = self._types.get(wire.elem)
        return values is not None and values.kind == _WIRE_SLICE and values.elem == _STRING

    def _skip_op(self, type_id: int) -> _Reader:
        return lambda data, pos: (None, self._skip(type_id, data, pos, 0))

    def _skip(self, type_id: int, data: bytes, pos: int, depth: int) -> int:
        """Position after a value of ``type_id`` that has no place in Result."""
        if depth > 100:
            raise DecodeError("gob: invalid nesting depth")
        if type_id in (_BOOL, _INT, _UINT, _FLOAT):
            return _get_uint(data, pos)[1]
        if type_id in (_BYTES, _STRING):
            return _get_raw(data, pos)[1]
        if type_id == _COMPLEX:
            return _get_uint(data, _get_uint(data, pos)[1])[1]
        if type_id == _INTERFACE:
            return self._skip_interface(data, pos)
        wire = self._types.get(type_id)
        if wire is None:
            raise DecodeError(f"gob: bad data: undefined type {type_id}")
        if wire.kind in (_WIRE_GOB, _WIRE_BINARY, _WIRE_TEXT):
            return _get_raw(data, pos)[1]
        if wire.kind == _WIRE_STRUCT:
            number = -1
            while pos < len(data):
                delta, pos = _get_uint(data, pos)
                if delta == 0:
                    break
                number += delta
                if number >= len(wire.fields):
                    raise DecodeError("gob: bad data: field numbers out of bounds")
                pos = self._skip(wire.fields[number][1], data, pos, depth + 1)
            return pos
        count, pos = _get_uint(data, pos)
        if count > len(data) - pos:
            raise DecodeError("gob: element count longer than its message")
        if wire.kind == _WIRE_ARRAY and count != wire.length:
            raise DecodeError(f"gob: length mismatch in ignoreArray: {count} != {wire.length}")
        for _ in range(count):
            if wire.kind == _WIRE_MAP:
                pos = self._skip(wire.key, data, pos, depth + 1)
            pos = self._skip(wire.elem, data, pos, depth + 1)
        return pos

    def _skip_interface(self, data: bytes, pos: int) -> int:
        # The concrete type's name (empty for nil), then type definitions
        # and the value's id, then the value with its byte count.
        name, pos = _get_raw(data, pos)
        if not name:
            return pos
        while True:
            type_id, pos = _get_int(data, pos)
            if type_id >= 0:
                break
            if -type_id < _FIRST_USER_ID or -type_id in self._types:
                raise DecodeError("gob: duplicate type received")
            self._types[-type_id], pos = _read_wire_type(data, pos)
            if pos < len(data):
                pos = _get_uint(data, pos)[1]
        return _get_raw(data, pos)[1]


def _read_exactly(source: BinaryIO, size: int) -> bytes:
    # A corrupt length may claim gigabytes: read in chunks, so that memory
    # grows only with the data that is really there.
    chunk = 1 << 20
    if size <= chunk:
        return source.read(size)
    parts = []
    left = size
    while left:
        part = source.read(min(chunk, left))
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def decode(stream: BinaryIO) -> Iterator[Result]:
    """Yield the Results of one gob stream as ``vegeta.NewDecoder`` reads it.

    Raises ``DecodeError`` where the stream is not valid gob or its values do
    not fit Result (as Go would refuse them).  An absent ``Timestamp`` decodes
    to ``GO_ZERO_TIME``; an absent ``Headers`` to ``{}``.
    """
    reader = _Stream(stream)
    while (result := reader.next_result()) is not None:
        yield result
