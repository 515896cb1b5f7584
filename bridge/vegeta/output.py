"""How the encoders write: through a buffer that writes to the file in batches.

``BufferedOutput`` is that buffer; ``LineEncoder`` is the whole encoder of a
format that writes each result as one line of its own (JSON and CSV).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import BinaryIO

from bridge.vegeta.result import Result


class BufferedOutput:
    """Holds encoded bytes for ``out`` and writes them in one call once 64 KiB have gathered, or on ``flush``."""

    FLUSH_AT = 1 << 16

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._pending: list[bytes] = []
        self._size = 0

    def write(self, data: bytes) -> None:
        """Add ``data`` to what goes out next."""
        self._pending.append(data)
        self._size += len(data)
        if self._size >= self.FLUSH_AT:
            self._write()

    def flush(self) -> None:
        """Write what is buffered and flush ``out``."""
        self._write()
        flush = getattr(self._out, "flush", None)
        if flush is not None:
            flush()

    def _write(self) -> None:
        if self._pending:
            self._out.write(b"".join(self._pending))
            self._pending.clear()
            self._size = 0


class LineEncoder:
    """Writes each Result as the bytes ``encode_line`` makes of it; output is buffered until ``flush``.

    A format sets ``encode_line`` (as a ``staticmethod``) in a subclass.
    """

    encode_line: Callable[[Result], bytes]

    def __init__(self, out: BinaryIO) -> None:
        self._output = BufferedOutput(out)

    def encode(self, result: Result) -> None:
        """Append ``result``; raises ``EncodeError`` for values vegeta's Go types cannot hold."""
        self._output.write(self.encode_line(result))

    def flush(self) -> None:
        """Write what is buffered and flush ``out``."""
        self._output.flush()
