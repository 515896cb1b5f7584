"""Go-style durations (``0s``, ``250ms``, ``1m30s``), as the seed's flags took them."""

from __future__ import annotations

import argparse
import re

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def parse_duration(text: str) -> float:
    """Seconds in a Go duration string such as ``3s``, ``250ms`` or ``1h2m3.5s``.

    Accepts what Go's ``time.ParseDuration`` accepts, except negative values;
    ``0`` alone means zero.  Raises ``ValueError`` with the offending text otherwise.
    """
    s = text.strip()
    if s == "0":
        return 0.0
    if not s:
        raise ValueError("empty duration")
    if s[0] in "+-":
        if s[0] == "-":
            raise ValueError(f"negative duration {text!r}")
        s = s[1:]
    total = 0.0
    pos = 0
    while pos < len(s):
        match = _PART.match(s, pos)
        if match is None:
            raise ValueError(f"invalid duration {text!r}: use a number and a unit such as 250ms, 3s or 1m")
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    return total


def duration_argument(text: str) -> float:
    """An argparse ``type=`` for Go durations: seconds, or ``ArgumentTypeError`` with the reason."""
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
