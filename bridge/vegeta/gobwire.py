"""gob's wire primitives: integers, byte strings, struct fields and the messages that frame them.

Unsigned integers take one byte below 128 and otherwise the negated byte
count followed by big-endian bytes; signed integers carry their sign in the
low bit; byte strings are a length and the bytes.  A struct is a run of
``field-number delta, value`` pairs ending in a zero delta.  A message is its
length, then a signed type id, then the payload.

Readers take ``(data, pos)`` and return ``(value, next pos)``; data that is
not valid gob raises ``DecodeError`` (or ``IndexError`` where a value runs
past the end, which the decoder turns into a ``DecodeError``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, BinaryIO

from bridge.vegeta.errors import DecodeError
from bridge.vegeta.gotypes import go_string

# gob's predefined type ids (encoding/gob/type.go).
BOOL, INT, UINT, FLOAT, BYTES, STRING, COMPLEX, INTERFACE = range(1, 9)
FIRST_USER_ID = 64  # ids below are gob's own; a stream may not define them
_TOO_BIG = 1 << 33  # gob's ceiling on a message length on 64-bit systems

Reader = Callable[[bytes, int], tuple[Any, int]]

# --- writing ---------------------------------------------------------------------


def put_uint(buf: bytearray, n: int) -> None:
    """Append unsigned ``n``."""
    # One byte below 128; otherwise the negated byte count, then big-endian bytes.
    if n < 0x80:
        buf.append(n)
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        buf.append(256 - len(raw))
        buf += raw


def put_int(buf: bytearray, n: int) -> None:
    """Append signed ``n``."""
    # Sign in the low bit; negative numbers complemented first.
    put_uint(buf, (~n << 1) | 1 if n < 0 else n << 1)


def put_bytes(buf: bytearray, raw: bytes) -> None:
    """Append ``raw`` with its length."""
    put_uint(buf, len(raw))
    buf += raw


def encode_struct(fields: Sequence[tuple[int, bytes | None]]) -> bytes:
    """A gob struct from ``(field number, encoded value or None for zero)`` pairs, in order."""
    buf = bytearray()
    last = -1
    for number, value in fields:
        if value is None:
            continue
        put_uint(buf, number - last)
        buf += value
        last = number
    buf.append(0)
    return bytes(buf)


def frame(type_id: int, payload: bytes | bytearray) -> bytes:
    """One message: its length, ``type_id`` (negative for a type definition) and ``payload``."""
    body = bytearray()
    put_int(body, type_id)
    body += payload
    framed = bytearray()
    put_uint(framed, len(body))
    return bytes(framed + body)


# --- reading ---------------------------------------------------------------------


def get_uint(data: bytes, pos: int) -> tuple[int, int]:
    """An unsigned integer."""
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


def get_int(data: bytes, pos: int) -> tuple[int, int]:
    """A signed integer."""
    u, pos = get_uint(data, pos)
    return (~(u >> 1) if u & 1 else u >> 1), pos


def get_raw(data: bytes, pos: int) -> tuple[bytes, int]:
    """A byte string."""
    size, pos = get_uint(data, pos)
    end = pos + size
    if end > len(data):
        raise DecodeError(f"gob: length {size} exceeds the {len(data) - pos} bytes left in the message")
    return data[pos:end], end


def get_string(data: bytes, pos: int) -> tuple[str, int]:
    """A Go string, as ``go_string`` holds it."""
    raw, pos = get_raw(data, pos)
    return go_string(raw), pos


def read_fields(data: bytes, pos: int, count: int, read_field: Callable[[int, int], int]) -> int:
    """The position after a struct of ``count`` fields, each present field read by ``read_field``.

    ``read_field(number, pos)`` reads field ``number`` at ``pos`` and returns
    the position after it.
    """
    number = -1
    while pos < len(data):
        delta, pos = get_uint(data, pos)
        if delta == 0:
            break
        number += delta
        if number >= count:
            raise DecodeError("gob: bad data: field numbers out of bounds")
        pos = read_field(number, pos)
    return pos


def read_struct(data: bytes, pos: int, readers: Sequence[Reader]) -> tuple[dict[int, Any], int]:
    """A struct of a known shape: field number -> value, each read with ``readers[number]``."""
    values: dict[int, Any] = {}

    def read_field(number: int, pos: int) -> int:
        values[number], pos = readers[number](data, pos)
        return pos

    return values, read_fields(data, pos, len(readers), read_field)


def read_message(source: BinaryIO) -> bytes | None:
    """The next message after its length (type id and payload); None at the end of ``source``."""
    first = source.read(1)
    if not first:
        return None
    size = first[0]
    if size >= 0x80:
        width = 256 - size
        if width > 8:
            raise DecodeError("gob: encoded unsigned integer out of range")
        raw = source.read(width)
        if len(raw) != width:
            raise DecodeError("gob: unexpected EOF in a message length")
        size = int.from_bytes(raw, "big")
    if size >= _TOO_BIG:
        raise DecodeError("gob: invalid message length")
    if size == 0:
        raise DecodeError("gob: empty message")
    message = _read_exactly(source, size)
    if len(message) != size:
        raise DecodeError("gob: unexpected EOF in a message")
    return message


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
