"""Go's ``fmt`` as the reports use it: ``%.Nf`` of a float64."""

from __future__ import annotations

import math


def fmt_fixed(x: float, prec: int) -> str:
    """Go's ``%.Nf``: correctly rounded like Python's, but ``+Inf``/``-Inf``/``NaN``."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    return f"{x:.{prec}f}"
