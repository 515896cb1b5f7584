"""vegeta's default result encoding: Go's ``encoding/gob`` stream of ``*vegeta.Result``.

A stream is a sequence of messages, each ``length, type id, payload``.  A
negative id defines a type (vegeta sends ``Result``, ``time.Time``,
``http.Header`` and ``[]string`` once, before the first value); a positive id
carries one value.  Struct fields travel as ``field-number delta, value`` pairs
ending in a zero delta, zero-valued fields left out; ``time.Time`` travels as
its ``MarshalBinary`` bytes.

``Encoder`` writes what ``vegeta.NewEncoder`` writes; ``decode`` reads what
``vegeta.NewDecoder`` reads (see ``gobdecoder``).  The wire primitives are in
``gobwire``, type definitions in ``gobtypes``, Result's fields in ``gobschema``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, BinaryIO

from bridge.vegeta.gobdecoder import Decoder
from bridge.vegeta.gobschema import FIELD_ATTRS, RESULT_FIELDS, stream_header
from bridge.vegeta.gobwire import frame, put_bytes, put_int, put_uint
from bridge.vegeta.gotime import GO_ZERO_TIME, marshal_time
from bridge.vegeta.gotypes import check_ranges, go_bytes
from bridge.vegeta.output import BufferedOutput
from bridge.vegeta.result import Result


def _put_header(buf: bytearray, headers: dict[str, list[str]]) -> None:
    put_uint(buf, len(headers))
    for key, values in headers.items():
        put_bytes(buf, go_bytes(key))
        put_uint(buf, len(values))
        for value in values:
            put_bytes(buf, go_bytes(value))


def _put_str(buf: bytearray, text: str) -> None:
    put_bytes(buf, go_bytes(text))


def _put_time(buf: bytearray, unix_ns: int) -> None:
    put_bytes(buf, marshal_time(unix_ns))


_PUTTERS: dict[str, Callable[[bytearray, Any], None]] = {
    "Attack": _put_str,
    "Seq": put_uint,
    "Code": put_uint,
    "Timestamp": _put_time,
    "Latency": put_int,
    "BytesOut": put_uint,
    "BytesIn": put_uint,
    "Error": _put_str,
    "Body": put_bytes,
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
    that order); ``gobschema.LEGACY_FIELDS`` writes a stream as vegeta before
    v12.8 did.  An empty ``headers`` dict stands for Go's nil header and is
    left out, as are the other zero values.  Output is buffered; call ``flush``.
    """

    def __init__(self, out: BinaryIO, fields: Sequence[str] = RESULT_FIELDS) -> None:
        unknown = [name for name in fields if name not in FIELD_ATTRS]
        if unknown or len(set(fields)) != len(fields):
            raise ValueError(f"fields must be distinct names from {RESULT_FIELDS}, got {tuple(fields)}")
        self._output = BufferedOutput(out)
        self._header, ids = stream_header(fields)
        self._type_id = ids["Result"]
        self._plan = [(number, FIELD_ATTRS[name], _ZEROS[name], _PUTTERS[name]) for number, name in enumerate(fields)]

    def encode(self, result: Result) -> None:
        """Append ``result`` to the stream; raises ``EncodeError`` for values Go cannot hold."""
        check_ranges(result)
        value = bytearray()
        last = -1
        for number, attr, zero, put in self._plan:
            field = getattr(result, attr)
            if field == zero:
                continue
            put_uint(value, number - last)
            put(value, field)
            last = number
        value.append(0)
        message = frame(self._type_id, value)
        if self._header:
            message = self._header + message
            self._header = b""
        self._output.write(message)

    def flush(self) -> None:
        """Write what is buffered and flush ``out``."""
        self._output.flush()


def decode(stream: BinaryIO) -> Iterator[Result]:
    """Yield the Results of one gob stream as ``vegeta.NewDecoder`` reads it.

    Raises ``DecodeError`` where the stream is not valid gob or its values do
    not fit Result (as Go would refuse them).  An absent ``Timestamp`` decodes
    to ``GO_ZERO_TIME``; an absent ``Headers`` to ``{}``.
    """
    decoder = Decoder(stream)
    while (result := decoder.next_result()) is not None:
        yield result
