"""Go's ``encoding/json`` text for the values in vegeta's JSON report: floats, strings and times.

Each function returns the JSON text Go's ``json.Marshal`` writes for the
value; values Go refuses (NaN, infinities, years outside 0..9999) raise
``ReportError`` with Go's message.
"""

from __future__ import annotations

import math
from decimal import Decimal

from bridge.vegeta.errors import EncodeError, ReportError
from bridge.vegeta.gofmt import fmt_fixed
from bridge.vegeta.gotime import format_time


def json_float(x: float) -> str:
    """A float64 as Go's ``encoding/json`` writes it (shortest digits, ``e`` outside 1e-6..1e21)."""
    if math.isnan(x) or math.isinf(x):
        raise ReportError(f"json: unsupported value: {fmt_fixed(x, 0)}")
    if x == 0:
        return "-0" if math.copysign(1.0, x) < 0 else "0"
    sign, digit_tuple, exponent = Decimal(repr(x)).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    point = len(digits) + int(exponent)  # value = 0.<digits> * 10**point
    prefix = "-" if sign else ""
    if 1e-6 <= abs(x) < 1e21:
        if point <= 0:
            return f"{prefix}0.{'0' * -point}{digits}"
        if point >= len(digits):
            return prefix + digits + "0" * (point - len(digits))
        return f"{prefix}{digits[:point]}.{digits[point:]}"
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    exp = point - 1
    # strconv writes at least two exponent digits; encoding/json trims "e-07" to "e-7".
    exp_text = f"{exp:+03d}" if exp >= 0 else f"-{-exp}"
    return f"{prefix}{mantissa}e{exp_text}"


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def json_string(s: str) -> str:
    """A string as Go's ``encoding/json`` writes it, with its default HTML escaping.

    Lone surrogates (invalid UTF-8 kept with ``surrogateescape``) become
    ``\\ufffd`` as Go's replacement of invalid bytes does.
    """
    out = ['"']
    for ch in s:
        code = ord(ch)
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif code < 0x20 or ch in "<>&" or code in (0x2028, 0x2029):
            out.append(f"\\u{code:04x}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append("\\ufffd")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def json_time(ns: int) -> str:
    """A Unix-nanosecond time as Go's ``time.Time.MarshalJSON`` in UTC, quoted; :class:`ReportError` past year 9999."""
    try:
        return f'"{format_time(ns)}"'
    except EncodeError as exc:
        raise ReportError(str(exc)) from None
