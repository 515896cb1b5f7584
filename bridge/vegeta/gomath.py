"""Go's arithmetic where Python's answers differ.

``go_sin`` and ``go_asin`` are ``math.Sin`` and ``math.Asin``, which Go
computes in pure Go (Cephes polynomials) rather than with the C library that
Python's ``math`` uses; they are float64 arithmetic evaluated left to right
as Go does on amd64 (no fused multiply-add), so they give Go's bits.
``wrap_int64``, ``go_quo`` and ``go_fdiv`` are Go's int64 overflow, integer
division (truncating toward zero) and float64 division (no exception for a
zero divisor).
"""

from __future__ import annotations

import math

HALF_PI = math.pi / 2.0  # Go folds Pi/2 exactly, and halving math.pi is exact
_QUARTER_PI = math.pi / 4.0
_FOUR_OVER_PI = 4.0 / math.pi  # equals the correctly rounded constant 4/Pi

# Cephes sine and cosine coefficients, as in Go's math/sin.go.
_SIN = (
    1.58962301576546568060e-10,
    -2.50507477628578072866e-8,
    2.75573136213857245213e-6,
    -1.98412698295895385996e-4,
    8.33333333332211858878e-3,
    -1.66666666666666307295e-1,
)
_COS = (
    -1.13585365213876817300e-11,
    2.08757008419747316778e-9,
    -2.75573141792967388112e-7,
    2.48015872888517045348e-5,
    -1.38888888888730564116e-3,
    4.16666666666665929218e-2,
)
# Pi/4 split into three parts for the extended-precision argument reduction.
_PI4A = 7.85398125648498535156e-1
_PI4B = 3.77489470793079817668e-8
_PI4C = 2.69515142907905952645e-15
_REDUCE_THRESHOLD = float(1 << 29)


def go_sin(x: float) -> float:
    """Go's ``math.Sin`` for ``|x| < 2**29`` (the t-digest needs ``|x| <= pi/2``)."""
    if x == 0 or math.isnan(x):
        return x
    if math.isinf(x):
        return math.nan
    sign = x < 0
    if sign:
        x = -x
    assert x < _REDUCE_THRESHOLD, "Payne-Hanek reduction is not needed by the t-digest"
    j = int(x * _FOUR_OVER_PI)
    y = float(j)
    if j & 1:  # map zeros to origin
        j += 1
        y += 1
    j &= 7
    z = ((x - y * _PI4A) - y * _PI4B) - y * _PI4C
    if j > 3:
        sign = not sign
        j -= 4
    zz = z * z
    if j in (1, 2):
        c = _COS
        y = 1.0 - 0.5 * zz + zz * zz * ((((((c[0] * zz) + c[1]) * zz + c[2]) * zz + c[3]) * zz + c[4]) * zz + c[5])
    else:
        s = _SIN
        y = z + z * zz * ((((((s[0] * zz) + s[1]) * zz + s[2]) * zz + s[3]) * zz + s[4]) * zz + s[5])
    return -y if sign else y


# Cephes arctangent rational approximation, as in Go's math/atan.go.
_ATAN_P = (
    -8.750608600031904122785e-01,
    -1.615753718733365076637e01,
    -7.500855792314704667340e01,
    -1.228866684490136173410e02,
    -6.485021904942025371773e01,
)
_ATAN_Q = (
    2.485846490142306297962e01,
    1.650270098316988542046e02,
    4.328810604912902668951e02,
    4.853903996359136964868e02,
    1.945506571482613964425e02,
)


def _xatan(x: float) -> float:
    """Cephes arctangent series, valid on [0, 0.66]."""
    p, q = _ATAN_P, _ATAN_Q
    z = x * x
    z = (
        z
        * ((((p[0] * z + p[1]) * z + p[2]) * z + p[3]) * z + p[4])
        / (((((z + q[0]) * z + q[1]) * z + q[2]) * z + q[3]) * z + q[4])
    )
    return x * z + x


def _satan(x: float) -> float:
    """Arctangent of a positive argument, reduced to [0, 0.66] first."""
    morebits = 6.123233995736765886130e-17  # pi/2 = PIO2 + morebits
    if x <= 0.66:
        return _xatan(x)
    if x > 2.41421356237309504880:  # tan(3*pi/8)
        return HALF_PI - _xatan(1 / x) + morebits
    return _QUARTER_PI + _xatan((x - 1) / (x + 1)) + 0.5 * morebits


def go_asin(x: float) -> float:
    """Go's ``math.Asin`` (pure Go on every platform but s390x)."""
    if x == 0:
        return x
    sign = x < 0
    if sign:
        x = -x
    if x > 1:
        return math.nan
    temp = math.sqrt(1 - x * x)  # Go's Sqrt is the correctly rounded hardware one
    temp = HALF_PI - _satan(temp / x) if x > 0.7 else _satan(x / temp)
    return -temp if sign else temp


# --- integers and division ---------------------------------------------------------

_U64 = (1 << 64) - 1


def wrap_int64(value: int) -> int:
    """Reduce ``value`` to int64 the way Go's two's-complement arithmetic wraps."""
    return ((value + (1 << 63)) & _U64) - (1 << 63)


def go_quo(a: int, b: int) -> int:
    """Go's integer division, which truncates toward zero."""
    q = abs(a) // abs(b)
    return -q if (a < 0) != (b < 0) else q


def go_fdiv(a: float, b: float) -> float:
    """IEEE float64 division, which Go performs without raising on a zero divisor."""
    if b != 0:
        return a / b
    if a == 0 or math.isnan(a):
        return math.nan
    return math.copysign(math.inf, a) * math.copysign(1.0, b)
