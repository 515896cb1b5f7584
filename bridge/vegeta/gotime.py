"""Go's ``time.Time`` for UTC instants held as Unix nanoseconds: its zero value, binary form and JSON text.

``marshal_time``/``unmarshal_time`` are ``MarshalBinary``/``UnmarshalBinary``
(what gob carries); ``format_time``/``parse_time`` are ``MarshalJSON``/
``UnmarshalJSON`` without the quotes (RFC 3339).  Values Go refuses raise
``EncodeError`` or ``DecodeError``.
"""

from __future__ import annotations

import re
import struct

from bridge.vegeta.errors import DecodeError, EncodeError

# Unix nanoseconds of Go's zero ``time.Time`` (0001-01-01T00:00:00Z): what a
# record that carries no timestamp decodes to, and what gob leaves out.
GO_ZERO_TIME = -62_135_596_800 * 1_000_000_000
_UNIX_EPOCH_GO_SECONDS = 62_135_596_800  # seconds from year 1 to 1970, as time.Time counts them
_NS = 1_000_000_000
_DAY = 86_400

# --- MarshalBinary ----------------------------------------------------------------


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


# --- RFC 3339, as MarshalJSON and UnmarshalJSON -------------------------------------


def _civil(days: int) -> tuple[int, int, int]:
    """(year, month, day) of a day count since 1970-01-01 (Howard Hinnant's civil_from_days)."""
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (month <= 2), month, day


def _days(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil)."""
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month - 3 if month > 2 else month + 9) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


def format_time(unix_ns: int) -> str:
    """Go's ``time.Time.MarshalJSON`` text (RFC 3339 with trimmed nanoseconds) of a UTC instant."""
    seconds, nanos = divmod(unix_ns, _NS)
    days, second_of_day = divmod(seconds, _DAY)
    year, month, day = _civil(days)
    if not 0 <= year <= 9999:
        raise EncodeError("Time.MarshalJSON: year outside of range [0,9999]")
    hour, rest = divmod(second_of_day, 3600)
    minute, second = divmod(rest, 60)
    fraction = f".{nanos:09d}".rstrip("0") if nanos else ""
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{fraction}Z"


_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:Z|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def parse_time(text: str) -> int:
    """Unix nanoseconds of an RFC 3339 timestamp, checked as Go's ``time.Time.UnmarshalJSON`` checks it."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise DecodeError(f"parsing time {text!r} as RFC 3339: bad format")
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if not 1 <= month <= 12 or not 1 <= day <= _MONTH_DAYS[month - 1] + (month == 2 and leap):
        raise DecodeError(f"parsing time {text!r}: day or month out of range")
    if hour > 23 or minute > 59 or second > 59:
        raise DecodeError(f"parsing time {text!r}: hour, minute or second out of range")
    fraction = match.group(7) or ""
    nanos = int(fraction[:9].ljust(9, "0")) if fraction else 0  # Go ignores digits past the ninth
    offset = 0
    if match.group(8):
        zone_hours, zone_minutes = int(match.group(9)), int(match.group(10))
        if zone_hours > 23 or zone_minutes > 59:
            raise DecodeError(f"parsing time {text!r}: timezone offset out of range")
        offset = (zone_hours * 60 + zone_minutes) * 60 * (-1 if match.group(8) == "-" else 1)
    seconds = _days(year, month, day) * _DAY + hour * 3600 + minute * 60 + second - offset
    return seconds * _NS + nanos
