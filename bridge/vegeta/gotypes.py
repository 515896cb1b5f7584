"""The Go types behind Result's fields, as the codecs hold them in Python.

Integer fields must fit their Go types (``check_ranges``).  Go strings are
bytes: ``Result``'s ``str`` fields keep bytes that are not UTF-8 as lone
surrogates (``surrogateescape``), made by ``go_string`` and undone by
``go_bytes``.
"""

from __future__ import annotations

from bridge.vegeta.errors import EncodeError
from bridge.vegeta.result import Result

# Go's value ranges for Result's integer fields.
UINT16_MAX = 0xFFFF
UINT64_MAX = 0xFFFF_FFFF_FFFF_FFFF
INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1


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
