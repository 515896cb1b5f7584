"""``vegeta plot`` in Python: results as one self-contained, interactive HTML page."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib import resources
from operator import attrgetter

from bridge.vegeta.result import Result

_TEMPLATE = "plot_template.html"  # not "plot.html": .gitignore drops rendered plots by that name
_PLACEHOLDER = re.compile(r"\{\{(title|data)\}\}")
# A JSON text is still JSON with these escaped, and then cannot end the <script>
# element that carries it ("</script>") or open a comment ("<!--") inside it.
_SCRIPT_UNSAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def render(results: Iterable[Result], title: str = "Vegeta Plot") -> str:
    """Return a complete HTML document charting each result's latency over time.

    x is seconds since the earliest ``timestamp``, y is latency in ms; successes
    (``Result.ok``) and failures are separate series.  The page embeds its data,
    style and script and loads nothing from the network.  Its script draws on a
    ``<canvas>``, zooms (drag, wheel, double-click resets) and reads out the
    nearest point on hover.  Once drawn it sets ``data-status="drawn"`` and
    ``data-points`` on ``<html>``; a script error sets ``data-error`` instead.
    """
    ordered = sorted(results, key=attrgetter("timestamp"))
    start = ordered[0].timestamp if ordered else 0
    # Integer microseconds: exact, and the shortest text per number.
    ok: dict[str, list[int]] = {"t_us": [], "latency_us": [], "code": []}
    failed: dict[str, list[int]] = {"t_us": [], "latency_us": [], "code": [], "error": []}
    errors: dict[str, int] = {}  # distinct error text -> its index in "errors"
    for result in ordered:
        series = ok if result.ok else failed
        series["t_us"].append((result.timestamp - start) // 1000)
        series["latency_us"].append(result.latency // 1000)
        series["code"].append(result.code)
        if not result.ok:
            failed["error"].append(errors.setdefault(result.error, len(errors)))
    data = {
        "start": datetime.fromtimestamp(start / 1e9, UTC).isoformat(timespec="seconds") if ordered else "",
        "ok": ok,
        "fail": failed,
        "errors": list(errors),
    }
    values = {
        "title": html.escape(title),
        "data": json.dumps(data, separators=(",", ":")).translate(_SCRIPT_UNSAFE),
    }
    template = resources.files(__package__).joinpath(_TEMPLATE).read_text(encoding="utf-8")
    # One pass over the template, so text inside a value is never substituted again.
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)
