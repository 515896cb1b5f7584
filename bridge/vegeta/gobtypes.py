"""gob's type definitions (Go's ``wireType``): written for the types a stream sends, read for any it receives.

A definition is a ``wireType`` struct with exactly one field set, saying
which kind of type it is (array, slice, struct, map, or a type that encodes
itself); each kind starts with ``CommonType`` (name and id) and names the ids
of the types it is built from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bridge.vegeta.errors import DecodeError
from bridge.vegeta.gobwire import (
    Reader,
    encode_struct,
    get_int,
    get_string,
    get_uint,
    put_bytes,
    put_int,
    put_uint,
    read_struct,
)

# wireType's fields: ArrayT, SliceT, StructT, MapT, GobEncoderT, BinaryMarshalerT, TextMarshalerT.
WIRE_ARRAY, WIRE_SLICE, WIRE_STRUCT, WIRE_MAP, WIRE_GOB, WIRE_BINARY, WIRE_TEXT = range(7)


@dataclass(frozen=True, slots=True)
class WireType:
    """One type definition from the stream: what kind of type, and the ids it refers to."""

    kind: int  # one of the WIRE_* field numbers
    name: str
    elem: int = 0
    key: int = 0
    length: int = 0
    fields: tuple[tuple[str, int], ...] = ()


# --- written -----------------------------------------------------------------------


def _enc_str(text: str) -> bytes | None:
    if not text:
        return None
    buf = bytearray()
    put_bytes(buf, text.encode())
    return bytes(buf)


def _enc_int(n: int) -> bytes | None:
    if not n:
        return None
    buf = bytearray()
    put_int(buf, n)
    return bytes(buf)


def _common(name: str, type_id: int) -> bytes:
    return encode_struct([(0, _enc_str(name)), (1, _enc_int(type_id))])


def struct_definition(name: str, type_id: int, fields: Sequence[tuple[str, int]]) -> bytes:
    """The definition of struct type ``name`` with ``(field name, type id)`` fields."""
    listing = bytearray()
    put_uint(listing, len(fields))
    for field_name, field_id in fields:
        listing += encode_struct([(0, _enc_str(field_name)), (1, _enc_int(field_id))])
    return encode_struct([(WIRE_STRUCT, encode_struct([(0, _common(name, type_id)), (1, bytes(listing))]))])


def slice_definition(name: str, type_id: int, elem: int) -> bytes:
    """The definition of a slice type of ``elem``."""
    return encode_struct([(WIRE_SLICE, encode_struct([(0, _common(name, type_id)), (1, _enc_int(elem))]))])


def map_definition(name: str, type_id: int, key: int, elem: int) -> bytes:
    """The definition of a map type from ``key`` to ``elem``."""
    common = _common(name, type_id)
    return encode_struct([(WIRE_MAP, encode_struct([(0, common), (1, _enc_int(key)), (2, _enc_int(elem))]))])


def gob_encoder_definition(name: str, type_id: int) -> bytes:
    """The definition of a type that encodes itself (a ``GobEncoder``, as ``time.Time`` is)."""
    return encode_struct([(WIRE_GOB, encode_struct([(0, _common(name, type_id))]))])


# --- read --------------------------------------------------------------------------


def _read_common(data: bytes, pos: int) -> tuple[dict[int, Any], int]:
    return read_struct(data, pos, (get_string, get_int))  # CommonType: Name, Id


def _read_field_list(data: bytes, pos: int) -> tuple[list[tuple[str, int]], int]:
    count, pos = get_uint(data, pos)
    if count > len(data) - pos:
        raise DecodeError("gob: field list longer than its message")
    fields = []
    for _ in range(count):
        field, pos = read_struct(data, pos, (get_string, get_int))  # fieldType: Name, Id
        fields.append((field.get(0, ""), field.get(1, 0)))
    return fields, pos


def _shape(*readers: Reader) -> Reader:
    return lambda data, pos: read_struct(data, pos, readers)


# wireType's fields in order, each a struct whose first field is CommonType.
_WIRE_SHAPES = (
    _shape(_read_common, get_int, get_int),  # arrayType: Elem, Len
    _shape(_read_common, get_int),  # sliceType: Elem
    _shape(_read_common, _read_field_list),  # structType: Field
    _shape(_read_common, get_int, get_int),  # mapType: Key, Elem
    _shape(_read_common),  # gobEncoderType
    _shape(_read_common),  # binaryMarshalerType
    _shape(_read_common),  # textMarshalerType
)


def read_wire_type(data: bytes, pos: int) -> tuple[WireType, int]:
    """A type definition; raises ``DecodeError`` unless it describes exactly one type."""
    wire, pos = read_struct(data, pos, _WIRE_SHAPES)
    if len(wire) != 1:
        raise DecodeError("gob: a type definition must describe exactly one type")
    ((kind, body),) = wire.items()
    name = body.get(0, {}).get(0, "")
    if kind == WIRE_STRUCT:
        return WireType(kind, name, fields=tuple(body.get(1, ()))), pos
    if kind == WIRE_MAP:
        return WireType(kind, name, key=body.get(1, 0), elem=body.get(2, 0)), pos
    if kind == WIRE_ARRAY:
        return WireType(kind, name, elem=body.get(1, 0), length=body.get(2, 0)), pos
    if kind == WIRE_SLICE:
        return WireType(kind, name, elem=body.get(1, 0)), pos
    return WireType(kind, name), pos
