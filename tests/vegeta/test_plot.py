"""The vegeta plot page: its embedded data, its escaping, and how it draws in Chromium."""

from __future__ import annotations

import html
import json
import random
import re
import shutil
import struct
import subprocess
import time
import zlib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from bridge.vegeta.plot import render
from bridge.vegeta.result import Result

START = 1_700_000_000_000_000_000  # Unix ns
OK_RGB = (0x1F, 0x77, 0xB4)  # --ok and --fail in plot_template.html
FAIL_RGB = (0xD6, 0x27, 0x28)


def _data(page: str) -> dict[str, Any]:
    """The JSON the page embeds for its script."""
    match = re.search(r'<script type="application/json" id="plot-data">(.*?)</script>', page, re.S)
    assert match, "no data block"
    return json.loads(match.group(1))


def _attack(n: int, seed: int = 1) -> list[Result]:
    """``n`` results at 1,000 requests/s, about one in ten failing, shuffled."""
    rng = random.Random(seed)
    results = []
    for seq in range(n):
        code, error = 200, ""
        if rng.random() < 0.1:
            code, error = rng.choice([(500, "500 Internal Server Error"), (0, "context deadline exceeded")])
        latency = int(rng.lognormvariate(3.0, 0.4) * 1e6)
        results.append(Result(seq=seq, code=code, error=error, timestamp=START + seq * 1_000_000, latency=latency))
    rng.shuffle(results)
    return results


def test_series_hold_each_result_relative_to_the_first() -> None:
    results = [
        Result(code=200, timestamp=START + 2_000_000_000, latency=5_000_000),
        Result(code=0, error="dial tcp: refused", timestamp=START + 1_500_000, latency=1_234_567),
        Result(code=301, timestamp=START, latency=250_000),
        Result(code=500, error="500 Internal Server Error", timestamp=START + 3_000_000_000, latency=7_000_000),
        Result(code=399, timestamp=START + 1_000_000_000, latency=1_000),
    ]

    data = _data(render(results))

    assert data["ok"] == {
        "t_us": [0, 1_000_000, 2_000_000],
        "latency_us": [250, 1, 5_000],
        "code": [301, 399, 200],
    }
    assert data["fail"] == {"t_us": [1_500, 3_000_000], "latency_us": [1_234, 7_000], "code": [0, 500], "error": [0, 1]}
    assert data["errors"] == ["dial tcp: refused", "500 Internal Server Error"]
    assert data["start"] == "2023-11-14T22:13:20+00:00"


def test_counts_match_at_scale() -> None:
    results = _attack(60_000)
    failures = sum(not r.ok for r in results)

    data = _data(render(results))

    assert len(data["ok"]["t_us"]) == len(data["ok"]["latency_us"]) == len(data["ok"]["code"]) == 60_000 - failures
    assert len(data["fail"]["t_us"]) == len(data["fail"]["latency_us"]) == len(data["fail"]["error"]) == failures
    assert data["ok"]["t_us"] == sorted(data["ok"]["t_us"])


def test_renders_60000_results_quickly() -> None:
    results = _attack(60_000)

    began = time.perf_counter()
    render(results)

    assert time.perf_counter() - began < 2.0


def test_page_is_self_contained() -> None:
    page = render(_attack(100))

    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert not re.search(r"@import|url\(|<link\b|\bfetch\(|XMLHttpRequest|\bimport\(", page)
    assert "<canvas" in page


def test_title_is_escaped() -> None:
    title = '</title><script>alert("x")</script> & {{data}}'

    page = render([Result(code=200, timestamp=START, latency=1)], title=title)

    assert "<script>alert" not in page
    assert page.count(f"<title>{html.escape(title)}</title>") == 1
    assert page.count(f"<h1>{html.escape(title)}</h1>") == 1
    assert len(_data(page)["ok"]["t_us"]) == 1  # "{{data}}" in the title was not filled


def test_error_text_cannot_leave_its_script() -> None:
    error = "</script><script>alert(1)</script><!-- {{title}}"

    page = render([Result(code=0, error=error, timestamp=START, latency=1)], title="T")

    assert page.count("</script>") == page.count("<script")
    assert _data(page)["errors"] == [error]


def test_no_results_still_render() -> None:
    data = _data(render([]))

    assert data["ok"]["t_us"] == data["fail"]["t_us"] == []
    assert data["start"] == ""


# --- In a browser -------------------------------------------------------------------------------

WINDOW = "1200,700"


def _chromium() -> str | None:
    """Chromium's path, or None where it is not installed."""
    return shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


def _run_chromium(chromium: str, profile: Path, *args: str) -> str:
    """Run headless Chromium with a fresh profile and return its stdout."""
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--window-size={WINDOW}",
        # One screenshot pixel per CSS pixel, so the page's own coordinates locate the plot.
        "--force-device-scale-factor=1",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


class _RootAttributes(HTMLParser):
    """Collects the attributes of the document's ``<html>`` element."""

    def __init__(self) -> None:
        super().__init__()
        self.attributes: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html" and not self.attributes:
            self.attributes = dict(attrs)


def _unfilter(kind: int, line: bytearray, prev: bytes, bpp: int) -> bytearray:
    """Undo one PNG scanline filter (RFC 2083, section 6)."""
    if kind == 1:
        for i in range(bpp, len(line)):
            line[i] = (line[i] + line[i - bpp]) & 0xFF
    elif kind == 2:
        line = bytearray((a + b) & 0xFF for a, b in zip(line, prev, strict=True))
    elif kind == 3:
        for i in range(len(line)):
            left = line[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + (left + prev[i]) // 2) & 0xFF
    elif kind == 4:
        for i in range(len(line)):
            a, b, c = (line[i - bpp], prev[i], prev[i - bpp]) if i >= bpp else (0, prev[i], 0)
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
    return line


def _read_png(data: bytes) -> tuple[int, int, list[list[tuple[int, int, int]]]]:
    """Width, height and RGB rows of an 8-bit, non-interlaced RGB or RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
    assert header is not None, "no IHDR"
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, f"unsupported PNG {header}"
    bpp = 3 if colour == 2 else 4
    stride = width * bpp
    raw = zlib.decompress(b"".join(idat))
    prev, rows = bytes(stride), []
    for y in range(height):
        start = y * (stride + 1)
        line = bytes(_unfilter(raw[start], bytearray(raw[start + 1 : start + 1 + stride]), prev, bpp))
        rows.append([(line[x], line[x + 1], line[x + 2]) for x in range(0, stride, bpp)])
        prev = line
    return width, height, rows


@pytest.mark.browser
def test_draws_60000_results_in_chromium(tmp_path: Path) -> None:
    chromium = _chromium()
    if chromium is None:
        pytest.skip("Chromium is not installed (apt-get install -y chromium)")
    results = _attack(60_000)
    failures = sum(not r.ok for r in results)
    page = tmp_path / "plot.html"
    page.write_text(render(results, title="60k results"), encoding="utf-8")

    dom = _run_chromium(chromium, tmp_path / "profile-dom", "--dump-dom", page.as_uri())
    root = _RootAttributes()
    root.feed(dom)
    shot = tmp_path / "plot.png"
    _run_chromium(chromium, tmp_path / "profile-shot", f"--screenshot={shot}", page.as_uri())

    attributes = root.attributes
    assert "data-error" not in attributes, attributes["data-error"]
    assert attributes.get("data-status") == "drawn"
    assert int(attributes["data-points"] or 0) == 60_000
    assert 0 < int(attributes["data-cells"] or 0) <= 60_000
    left, top, plot_width, plot_height = (int(v) for v in (attributes["data-plot"] or "").split(","))
    assert plot_width > 800 and plot_height > 250, attributes["data-plot"]

    width, height, rows = _read_png(shot.read_bytes())
    assert (width, height) == tuple(int(v) for v in WINDOW.split(","))
    # --dump-dom lays the page out in a shorter viewport than --screenshot, so of the plot's
    # box only its left, top and width carry over: everything from its top down, between its sides.
    plot = [(x, pixel) for row in rows[top:] for x, pixel in enumerate(row[left : left + plot_width])]
    ok_x = [x for x, pixel in plot if pixel == OK_RGB]
    fail_x = [x for x, pixel in plot if pixel == FAIL_RGB]
    # About 54,000 and 6,000 markers of 3x3 pixels: each series covers much of the plot, side to side.
    assert len(ok_x) > 20_000, len(ok_x)
    assert len(fail_x) > 5_000, (len(fail_x), failures)
    assert min(ok_x) < plot_width * 0.05 and max(ok_x) > plot_width * 0.95
    assert min(fail_x) < plot_width * 0.05 and max(fail_x) > plot_width * 0.95
