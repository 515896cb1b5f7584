"""Go's ``text/tabwriter`` as vegeta configures it, for the text reports' aligned columns.

``tabwriter.NewWriter(w, 0, 8, 2, ' ', tabwriter.StripEscape)``: cells end at
``\\t`` or ``\\v``, lines at ``\\n`` or ``\\f``; a column is the run of
consecutive lines that have a tab-terminated cell at that index, padded with
spaces to its widest cell + 2.  Text between two escape bytes (0xff, held as
``\\udcff`` by ``surrogateescape``) is one unbroken piece of a cell, and the
escape bytes are dropped.
"""

from __future__ import annotations

_ESCAPE = "\udcff"  # Go's tabwriter.Escape byte 0xff, as surrogateescape decodes it
_PADDING = 2


def tabwrite(text: str) -> str:
    """Align ``text`` exactly as vegeta's tabwriter does."""
    out: list[str] = []
    lines: list[list[str]] = [[]]
    cell: list[str] = []
    start = 0
    escaped = False
    for i, ch in enumerate(text):
        if escaped:
            if ch == _ESCAPE:
                cell.append(text[start:i])
                start, escaped = i + 1, False
        elif ch in "\t\v\n\f":
            cell.append(text[start:i])
            start = i + 1
            lines[-1].append("".join(cell))
            cell = []
            if ch in "\n\f":
                cells = len(lines[-1])
                lines.append([])
                # A one-cell line cannot affect later columns, so Go flushes here.
                if ch == "\f" or cells == 1:
                    _format(lines, [], 0, len(lines), out)
                    lines = [[]]
        elif ch == _ESCAPE:
            cell.append(text[start:i])
            start, escaped = i + 1, True
    cell.append(text[start:])
    last = "".join(cell)
    if last:
        lines[-1].append(last)
    _format(lines, [], 0, len(lines), out)
    return "".join(out)


def _format(lines: list[list[str]], widths: list[int], line0: int, line1: int, out: list[str]) -> None:
    """Go's ``Writer.format``: find column blocks left to right, recursively."""
    column = len(widths)
    this = line0
    while this < line1:
        if column >= len(lines[this]) - 1:
            this += 1
            continue
        _write_lines(lines, widths, line0, this, out)
        line0 = this
        width = 0
        while this < line1 and column < len(lines[this]) - 1:
            width = max(width, len(lines[this][column]) + _PADDING)
            this += 1
        widths.append(width)
        _format(lines, widths, line0, this, out)
        widths.pop()
        line0 = this
        this += 1  # Go's loop post-statement also steps over the line that ended the block
    _write_lines(lines, widths, line0, line1, out)


def _write_lines(lines: list[list[str]], widths: list[int], line0: int, line1: int, out: list[str]) -> None:
    for i in range(line0, line1):
        for j, cell in enumerate(lines[i]):
            out.append(cell)
            if j < len(widths):
                out.append(" " * (widths[j] - len(cell)))
        if i + 1 != len(lines):  # the last buffered line has no newline yet
            out.append("\n")
