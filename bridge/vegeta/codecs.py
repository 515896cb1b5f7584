"""vegeta's three result encodings behind one face: pick an encoder by name, detect a decoder from the bytes.

Detection is vegeta's ``DecoderFor``: try to read the first result as gob,
then as JSON, then as CSV, and keep the first that succeeds.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import BinaryIO, Protocol

from bridge.vegeta import csvfmt, gob, jsonfmt
from bridge.vegeta.errors import DecodeError, EncodeError
from bridge.vegeta.result import Result

__all__ = [
    "FORMATS",
    "DecodeError",
    "EncodeError",
    "Encoder",
    "UnknownFormat",
    "decode",
    "decode_paths",
    "detect",
    "open_encoder",
]

FORMATS = ("gob", "json", "csv")
"""The encodings, in the order detection tries them."""

STDIN = "stdin"
"""The path that means standard input, as in vegeta's command line."""


class UnknownFormat(DecodeError):
    """The input's first result reads as none of gob, JSON or CSV."""


class Encoder(Protocol):
    """What ``open_encoder`` returns."""

    def encode(self, result: Result) -> None:
        """Append one result to the output."""

    def flush(self) -> None:
        """Write everything encoded so far."""


_ENCODERS: dict[str, Callable[[BinaryIO], Encoder]] = {
    "gob": gob.Encoder,
    "json": jsonfmt.Encoder,
    "csv": csvfmt.Encoder,
}
_DECODERS: dict[str, Callable[[BinaryIO], Iterator[Result]]] = {
    "gob": gob.decode,
    "json": jsonfmt.decode,
    "csv": csvfmt.decode,
}


def open_encoder(fmt: str, out: BinaryIO) -> Encoder:
    """An encoder writing ``fmt`` (one of ``FORMATS``) to ``out``, as vegeta's encoder of that name writes it."""
    factory = _ENCODERS.get(fmt)
    if factory is None:
        raise ValueError(f"unknown encoding {fmt!r}: choose one of {', '.join(FORMATS)}")
    return factory(out)


class _Replay:
    """Reads ``source`` while recording it, so that reading can start over from the first byte.

    Each ``reader()`` is a fresh buffered reader from the start; once
    ``stop_recording`` is called, the last one replays what is left of the
    recording and then reads straight from the source.
    """

    def __init__(self, source: BinaryIO) -> None:
        self._read = getattr(source, "read1", source.read)  # read1: don't wait for a full buffer on a pipe
        self._seen = bytearray()
        self._pos = 0
        self._recording = True

    def reader(self) -> BinaryIO:
        """A buffered reader from the first byte."""
        self._pos = 0
        return io.BufferedReader(_ReplayView(self))  # type: ignore[return-value]

    def stop_recording(self) -> None:
        """Forget the recording once it has been replayed."""
        self._recording = False
        self._release()

    def readinto(self, target: memoryview) -> int:
        """Fill ``target`` from the recording, then from the source; 0 at the end."""
        if self._pos < len(self._seen):
            size = min(len(target), len(self._seen) - self._pos)
            target[:size] = self._seen[self._pos : self._pos + size]
            self._pos += size
            self._release()
            return size
        data = self._read(len(target))
        target[: len(data)] = data
        if self._recording:
            self._seen += data
            self._pos += len(data)
        return len(data)

    def _release(self) -> None:
        if not self._recording and self._pos == len(self._seen):
            self._seen = bytearray()
            self._pos = 0


class _ReplayView(io.RawIOBase):
    """One pass over a ``_Replay``; closing it (as a dropped BufferedReader does) leaves the replay alone."""

    def __init__(self, replay: _Replay) -> None:
        super().__init__()
        self._replay = replay

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        return self._replay.readinto(memoryview(buffer).cast("B"))


def detect(stream: BinaryIO, name: str = "input") -> tuple[str, Iterator[Result]]:
    """The encoding of ``stream`` and an iterator over all its Results, first one included.

    Tries gob, JSON and CSV on the first result, as vegeta does; raises
    ``UnknownFormat`` (naming ``name``) when none reads it, empty input included.
    """
    replay = _Replay(stream)
    failures = []
    for fmt in FORMATS:
        results = _DECODERS[fmt](replay.reader())
        try:
            first = next(results)
        except StopIteration:
            raise UnknownFormat(f"can't detect the encoding of {name}: it holds no results") from None
        except DecodeError as exc:
            failures.append(str(exc))
            continue
        replay.stop_recording()
        return fmt, _chain(first, results)
    raise UnknownFormat(f"can't detect the encoding of {name}: not gob, JSON or CSV ({'; '.join(failures)})")


def _chain(first: Result, rest: Iterator[Result]) -> Iterator[Result]:
    yield first
    yield from rest


def decode(stream: BinaryIO, name: str = "input") -> Iterator[Result]:
    """All Results in ``stream``, its encoding detected from the first one (see ``detect``).

    Detection happens at the call; later records that do not decode raise
    ``DecodeError`` while iterating.
    """
    return detect(stream, name)[1]


def decode_paths(paths: list[str], stdin: BinaryIO) -> Iterator[Result]:
    """The Results of several files, as vegeta's ``report``, ``plot`` and ``encode`` read them.

    No paths, or the path ``stdin``, mean ``stdin``.  Every file's encoding
    is detected on its own, all before the first result is yielded; results
    then come round robin, one from each file in turn, as vegeta interleaves
    them.  Raises ``OSError`` for a file that cannot be opened, ``UnknownFormat``
    and ``DecodeError`` for bad contents.  Files are closed when the iterator
    finishes or is closed.
    """
    with ExitStack() as files:
        decoders = []
        for path in paths or [STDIN]:
            source = stdin if path == STDIN else files.enter_context(open(path, "rb"))
            decoders.append(decode(source, path))
        yield from _round_robin(decoders)


def _round_robin(decoders: list[Iterator[Result]]) -> Iterator[Result]:
    live = list(decoders)
    turn = 0
    while live:
        turn %= len(live)
        try:
            result = next(live[turn])
        except StopIteration:
            del live[turn]
            continue
        turn += 1
        yield result
