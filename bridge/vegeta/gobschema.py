"""vegeta's ``Result`` as gob sees it: its Go field names and types, and the definitions an encoder sends for it."""

from __future__ import annotations

from collections.abc import Sequence

from bridge.vegeta.gobtypes import gob_encoder_definition, map_definition, slice_definition, struct_definition
from bridge.vegeta.gobwire import BYTES, FIRST_USER_ID, INT, STRING, UINT, frame

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

FIELD_ATTRS = {
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
"""Each Go field's attribute of ``bridge.vegeta.result.Result``."""

BASIC_FIELD_TYPES = {
    "Attack": STRING,
    "Seq": UINT,
    "Code": UINT,
    "Latency": INT,
    "BytesOut": UINT,
    "BytesIn": UINT,
    "Error": STRING,
    "Body": BYTES,
    "Method": STRING,
    "URL": STRING,
}
"""The predefined gob type of every field but ``Timestamp`` (``time.Time``) and ``Headers`` (``http.Header``)."""


def stream_header(fields: Sequence[str]) -> tuple[bytes, dict[str, int]]:
    """The type definition messages a fresh Go encoder sends before the first Result, and each field's type id.

    Ids are handed out as Go builds the types: the struct first, then its
    fields' types depth first (a map after its element slice); definitions go
    out struct first, then each field's types in field order (a map before its
    element).
    """
    next_id = FIRST_USER_ID + 1
    result_id = next_id
    next_id += 1
    field_ids = dict(BASIC_FIELD_TYPES)
    later: list[bytes] = []
    for name in fields:
        if name == "Timestamp":
            field_ids[name] = next_id
            later.append(frame(-next_id, gob_encoder_definition("Time", next_id)))
            next_id += 1
        elif name == "Headers":
            values_id, header_id = next_id, next_id + 1
            next_id += 2
            field_ids[name] = header_id
            later.append(frame(-header_id, map_definition("Header", header_id, STRING, values_id)))
            later.append(frame(-values_id, slice_definition("", values_id, STRING)))
    result = frame(-result_id, struct_definition("Result", result_id, [(name, field_ids[name]) for name in fields]))
    return result + b"".join(later), {"Result": result_id, **field_ids}
