"""Reading a gob stream of vegeta Results the way Go's decoder does.

The decoder reads the type definitions it is sent and matches struct fields
by name, so streams of older vegeta (nine fields, before v12.8) and streams
with other field orders or type ids decode too; fields Result does not have
are skipped, whatever their type.  Anything Go would refuse raises
``DecodeError``.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from bridge.vegeta.errors import DecodeError
from bridge.vegeta.gobschema import BASIC_FIELD_TYPES, FIELD_ATTRS
from bridge.vegeta.gobtypes import (
    WIRE_ARRAY,
    WIRE_BINARY,
    WIRE_GOB,
    WIRE_MAP,
    WIRE_SLICE,
    WIRE_STRUCT,
    WIRE_TEXT,
    WireType,
    read_wire_type,
)
from bridge.vegeta.gobwire import (
    BOOL,
    BYTES,
    COMPLEX,
    FIRST_USER_ID,
    FLOAT,
    INT,
    INTERFACE,
    STRING,
    UINT,
    Reader,
    get_int,
    get_raw,
    get_string,
    get_uint,
    read_fields,
    read_message,
)
from bridge.vegeta.gotime import GO_ZERO_TIME, unmarshal_time
from bridge.vegeta.gotypes import UINT16_MAX, go_string
from bridge.vegeta.result import Result

# --- Result's fields ------------------------------------------------------------------


def _read_code(data: bytes, pos: int) -> tuple[int, int]:
    code, pos = get_uint(data, pos)
    if code > UINT16_MAX:
        raise DecodeError('gob: value for "Code" out of range')
    return code, pos


def _read_time(data: bytes, pos: int) -> tuple[int, int]:
    raw, pos = get_raw(data, pos)
    return unmarshal_time(raw), pos


def _read_header(data: bytes, pos: int) -> tuple[dict[str, list[str]], int]:
    count, pos = get_uint(data, pos)
    if count > len(data) - pos:
        raise DecodeError("gob: header map longer than its message")
    headers: dict[str, list[str]] = {}
    for _ in range(count):
        key, pos = get_raw(data, pos)
        size, pos = get_uint(data, pos)
        if size > len(data) - pos:
            raise DecodeError("gob: header values longer than their message")
        values = []
        for _ in range(size):
            value, pos = get_raw(data, pos)
            values.append(go_string(value))
        headers[go_string(key)] = values
    return headers, pos


# How a field of each predefined type is read (Code is checked against uint16 on top).
_BASIC_READERS: dict[int, Reader] = {STRING: get_string, UINT: get_uint, INT: get_int, BYTES: get_raw}

# --- the stream ---------------------------------------------------------------------------


class Decoder:
    """One gob stream's state: the types defined so far and a compiled plan per struct type."""

    def __init__(self, source: BinaryIO) -> None:
        self._source = source
        self._types: dict[int, WireType] = {}
        self._plans: dict[int, list[tuple[str | None, Reader]]] = {}

    def next_result(self) -> Result | None:
        """The next value, after any type definitions before it; None at the end of the stream."""
        defined = False
        while True:
            message = read_message(self._source)
            if message is None:
                if defined:
                    raise DecodeError("gob: unexpected EOF: type definitions without a value")
                return None
            try:
                type_id, pos = get_int(message, 0)
                if type_id >= 0:
                    return self._decode_value(type_id, message, pos)
                self._define(-type_id, message, pos)
            except IndexError as exc:
                raise DecodeError("gob: message ends in the middle of a value") from exc
            defined = True

    def _define(self, type_id: int, message: bytes, pos: int) -> None:
        if type_id < FIRST_USER_ID or type_id in self._types:
            raise DecodeError("gob: duplicate type received")
        wire, pos = read_wire_type(message, pos)
        if pos != len(message):
            raise DecodeError("gob: extra data in buffer")
        self._types[type_id] = wire

    def _decode_value(self, type_id: int, data: bytes, pos: int) -> Result:
        plan = self._plans.get(type_id)
        if plan is None:
            plan = self._plans[type_id] = self._compile(type_id)
        values: dict[str, Any] = {"timestamp": GO_ZERO_TIME}
        # gobwire.read_fields inlined, with a fast path for one-byte deltas: this loop reads
        # every Result, and a callback per field would make decoding some 15% slower.
        number = -1
        limit = len(plan)
        end = len(data)
        while pos < end:
            delta = data[pos]
            if delta < 0x80:
                pos += 1
            else:
                delta, pos = get_uint(data, pos)
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

    def _compile(self, type_id: int) -> list[tuple[str | None, Reader]]:
        wire = self._types.get(type_id)
        if wire is None:
            raise DecodeError(f"gob: unknown type id {type_id} or corrupted data")
        if wire.kind != WIRE_STRUCT:
            raise DecodeError(f"gob: type mismatch: want struct type Result, got {wire.name or 'a non-struct'}")
        plan: list[tuple[str | None, Reader]] = []
        for name, field_id in wire.fields:
            if not name:
                raise DecodeError(f"gob: empty name for remote field of type {wire.name}")
            if name in FIELD_ATTRS:
                plan.append((FIELD_ATTRS[name], self._field_op(wire.name, name, field_id)))
            else:
                plan.append((None, self._skip_op(field_id)))
        if wire.fields and all(attr is None for attr, _ in plan):
            raise DecodeError("gob: type mismatch: no fields matched compiling decoder for Result")
        return plan

    def _field_op(self, struct_name: str, name: str, field_id: int) -> Reader:
        if name in BASIC_FIELD_TYPES:
            if field_id == BASIC_FIELD_TYPES[name]:
                return _read_code if name == "Code" else _BASIC_READERS[field_id]
        elif name == "Timestamp":
            wire = self._types.get(field_id)
            if wire is not None and wire.kind == WIRE_GOB:
                return _read_time
        elif self._is_header(field_id):
            return _read_header
        raise DecodeError(f"gob: wrong type for received field {struct_name}.{name}")

    def _is_header(self, type_id: int) -> bool:
        wire = self._types.get(type_id)
        if wire is None or wire.kind != WIRE_MAP or wire.key != STRING:
            return False
        values = self._types.get(wire.elem)
        return values is not None and values.kind == WIRE_SLICE and values.elem == STRING

    def _skip_op(self, type_id: int) -> Reader:
        return lambda data, pos: (None, self._skip(type_id, data, pos, 0))

    def _skip(self, type_id: int, data: bytes, pos: int, depth: int) -> int:
        """Position after a value of ``type_id`` that has no place in Result."""
        if depth > 100:
            raise DecodeError("gob: invalid nesting depth")
        if type_id in (BOOL, INT, UINT, FLOAT):
            return get_uint(data, pos)[1]
        if type_id in (BYTES, STRING):
            return get_raw(data, pos)[1]
        if type_id == COMPLEX:
            return get_uint(data, get_uint(data, pos)[1])[1]
        if type_id == INTERFACE:
            return self._skip_interface(data, pos)
        wire = self._types.get(type_id)
        if wire is None:
            raise DecodeError(f"gob: bad data: undefined type {type_id}")
        if wire.kind in (WIRE_GOB, WIRE_BINARY, WIRE_TEXT):
            return get_raw(data, pos)[1]
        if wire.kind == WIRE_STRUCT:
            fields = wire.fields
            return read_fields(data, pos, len(fields), lambda n, at: self._skip(fields[n][1], data, at, depth + 1))
        count, pos = get_uint(data, pos)
        if count > len(data) - pos:
            raise DecodeError("gob: element count longer than its message")
        if wire.kind == WIRE_ARRAY and count != wire.length:
            raise DecodeError(f"gob: length mismatch in ignoreArray: {count} != {wire.length}")
        for _ in range(count):
            if wire.kind == WIRE_MAP:
                pos = self._skip(wire.key, data, pos, depth + 1)
            pos = self._skip(wire.elem, data, pos, depth + 1)
        return pos

    def _skip_interface(self, data: bytes, pos: int) -> int:
        # The concrete type's name (empty for nil), then type definitions
        # and the value's id, then the value with its byte count.
        name, pos = get_raw(data, pos)
        if not name:
            return pos
        while True:
            type_id, pos = get_int(data, pos)
            if type_id >= 0:
                break
            if -type_id < FIRST_USER_ID or -type_id in self._types:
                raise DecodeError("gob: duplicate type received")
            self._types[-type_id], pos = read_wire_type(data, pos)
            if pos < len(data):
                pos = get_uint(data, pos)[1]
        return get_raw(data, pos)[1]
