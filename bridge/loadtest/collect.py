"""Results from every load-generating process, gathered in one place and written as one vegeta file.

Processes send their Results in batches of ``pack``-ed records (plain lists:
they survive Locust's msgpack messages unchanged).  The coordinating process
appends each batch to a ``Spool``, an anonymous temporary file, so a long
attack does not sit in memory; after the attack ``export`` streams the spool
through one vegeta encoder: one file, and for gob a single stream with one
type definition.  Results come out in arrival order (a process's in completion
order, like vegeta's own output); ``seq`` is each request's index in the
global schedule (see ``pacing``), unique across processes.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Iterator, Sequence
from typing import Any

from bridge.loadtest.pacing import Pace
from bridge.vegeta.codecs import open_encoder
from bridge.vegeta.result import Result

Packed = list[Any]


def pack(result: Result) -> Packed:
    """``result``'s fields in declaration order, as plain values."""
    return [
        result.attack,
        result.seq,
        result.code,
        result.timestamp,
        result.latency,
        result.bytes_out,
        result.bytes_in,
        result.error,
        result.body,
        result.method,
        result.url,
        result.headers,
    ]


def unpack(fields: Sequence[Any]) -> Result:
    """The Result ``pack`` made ``fields`` from."""
    return Result(*fields)


class Spool:
    """Packed results kept in an anonymous temporary file, read back in the order they were added.

    The file holds one pickle per batch; it is private to this process (created
    unlinked) and holds only what ``add`` wrote, so unpickling it is safe.
    """

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="open-model-")  # noqa: SIM115 - lives as long as the spool
        self.count = 0
        self._first = 0
        self._last = 0

    def add(self, batch: Sequence[Packed]) -> None:
        """Append a batch of packed results."""
        if not batch:
            return
        starts = [fields[3] for fields in batch]
        first, last = min(starts), max(starts)
        self._first = first if not self.count else min(self._first, first)
        self._last = last if not self.count else max(self._last, last)
        self.count += len(batch)
        self._file.seek(0, os.SEEK_END)  # reading may have left the position anywhere
        pickle.dump(list(batch), self._file, protocol=pickle.HIGHEST_PROTOCOL)

    @property
    def pace(self) -> Pace:
        """How many requests were sent, and their first and last start."""
        return Pace(self.count, self._first, self._last)

    def __iter__(self) -> Iterator[Result]:
        """Every result added so far, each batch in order; a new iteration starts from the first."""
        self._file.flush()
        self._file.seek(0)
        while True:
            try:
                batch = pickle.load(self._file)
            except EOFError:
                return
            for fields in batch:
                yield unpack(fields)

    def close(self) -> None:
        """Drop the file (it is deleted on close)."""
        self._file.close()


def export(results: Spool, path: str, fmt: str) -> int:
    """Write every result to ``path`` as vegeta's ``fmt`` encoder does; return how many.

    Written next to ``path`` and then renamed over it, so ``path`` never holds
    half a file.
    """
    partial = f"{path}.partial"
    written = 0
    try:
        with open(partial, "wb") as out:
            encoder = open_encoder(fmt, out)
            for result in results:
                encoder.encode(result)
                written += 1
            encoder.flush()
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):  # the rename did not happen: drop the half-written file
            os.unlink(partial)
    return written
