"""``manage.py vegeta report|encode|plot``: vegeta's commands over result files, in Python.

Flags are vegeta's, in Go's spelling (``-type=json``, ``-to csv``) or with two
dashes.  Inputs are files in any of vegeta's encodings, each detected on its
own; no file (or the name ``stdin``) reads standard input.  ``-output``
names a file to write instead of standard output.
"""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from itertools import chain
from typing import Any, BinaryIO

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from bridge.durations import parse_duration
from bridge.vegeta.codecs import FORMATS, decode_paths, open_encoder
from bridge.vegeta.result import Result

STDOUT = "stdout"


def _flag(parser: CommandParser, name: str, **kwargs: Any) -> None:
    """A Go-style flag: ``-name=value``, ``-name value``, and the same with ``--``."""
    parser.add_argument(f"-{name}", f"--{name}", dest=name, **kwargs)


def _files(parser: CommandParser) -> None:
    parser.add_argument(
        "files", nargs="*", metavar="FILE", help="Results in gob, JSON or CSV (detected per file). Default: stdin."
    )


def _until_interrupted(results: Iterable[Result]) -> Iterator[Result]:
    # Ctrl+C ends the input, as in vegeta: what was read so far is still reported.
    try:
        yield from results
    except KeyboardInterrupt:
        return


class _TextSink:
    """Bytes for a text-only standard output (a StringIO in tests): decoded back to the text they encode."""

    def __init__(self, stream: OutputWrapper) -> None:
        self._stream = stream

    def write(self, data: bytes) -> int:
        self._stream.write(data.decode("utf-8", "surrogateescape"), ending="")
        return len(data)

    def flush(self) -> None:
        self._stream.flush()


class Command(BaseCommand):
    help = (
        "vegeta's result tools: 'report' prints statistics (text, json, hist[...] or hdrplot), 'encode' "
        "converts between gob, json and csv, 'plot' writes an HTML latency chart. Each input file may "
        "use any encoding; standard input when no file is given."
    )
    # Reading files needs no URLs, models or database: run even while the web app does not import.
    requires_system_checks: list[str] = []
    # call_command(..., stdin=...) feeds standard input in tests.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="{report,encode,plot}")

        report = commands.add_parser("report", help="Print a report of attack results.")
        _flag(report, "type", default="text", help="Report type: text, json, hist[buckets] or hdrplot.")
        _flag(report, "every", default="0", help="Write the report at every interval (e.g. 1s); 0 means once.")
        _flag(report, "buckets", default="", help='Histogram buckets, e.g. "[0,1ms,10ms]".')
        _flag(report, "output", default=STDOUT, help="Output file.")
        _files(report)

        encode = commands.add_parser("encode", help="Convert attack results from one encoding to another.")
        _flag(encode, "to", default="json", choices=FORMATS, help="Output encoding.")
        _flag(encode, "output", default=STDOUT, help="Output file.")
        _files(encode)

        plot = commands.add_parser("plot", help="Write an HTML plot of request latencies over time.")
        _flag(plot, "title", default="Vegeta Plot", help="Title and header of the page.")
        _flag(plot, "output", default=STDOUT, help="Output file.")
        _files(plot)

    def handle(self, *args: Any, **options: Any) -> None:
        self._stdin: BinaryIO = options.get("stdin") or sys.stdin.buffer
        action = {"report": self.report, "encode": self.encode, "plot": self.plot}[options["subcommand"]]
        try:
            action(options)
        except (OSError, ValueError) as exc:  # unreadable files, bad input, bad flags
            raise CommandError(str(exc)) from exc

    # --- subcommands -------------------------------------------------------------------

    def report(self, options: dict[str, Any]) -> None:
        """``vegeta report``: render the results with ``bridge.vegeta.report``."""
        render = self._renderer("bridge.vegeta.report")
        # -buckets is passed on only when given: render(results, kind) is the renderer's base contract.
        spec = (options["type"], options["buckets"]) if options["buckets"] else (options["type"],)
        every = parse_duration(options["every"])
        results = self._results(options["files"])
        with self._output(options["output"], text=True) as out:
            if every <= 0:
                out.write(self._utf8(render(results, *spec)))
                return
            # Re-render what was read so far at every interval, then once at the end.
            seen: list[Result] = []
            due = time.monotonic() + every
            for result in results:
                seen.append(result)
                if time.monotonic() >= due:
                    out.write(self._utf8(render(seen, *spec)))
                    out.flush()
                    due = time.monotonic() + every
            out.write(self._utf8(render(seen, *spec)))

    def encode(self, options: dict[str, Any]) -> None:
        """``vegeta encode``: re-encode the results in ``-to``'s encoding."""
        results = self._results(options["files"])
        with self._output(options["output"]) as out:
            encoder = open_encoder(options["to"], out)
            try:
                for result in results:
                    encoder.encode(result)
            finally:
                encoder.flush()

    def plot(self, options: dict[str, Any]) -> None:
        """``vegeta plot``: an HTML page from ``bridge.vegeta.plot``."""
        render = self._renderer("bridge.vegeta.plot")
        results = self._results(options["files"])
        with self._output(options["output"], text=True) as out:
            out.write(self._utf8(render(results, options["title"])))

    # --- plumbing ----------------------------------------------------------------------

    def _renderer(self, module: str) -> Callable[..., str]:
        # Imported here so that encode works while the report and plot modules are still being written.
        try:
            imported = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            raise CommandError(f"{module} is not available in this checkout") from exc
        return imported.render

    def _results(self, files: list[str]) -> Iterator[Result]:
        """The results of ``files``, every encoding detected before anything is written (as vegeta does)."""
        results = decode_paths(files, self._stdin)
        first = next(results, None)
        if first is None:
            return iter(())
        return _until_interrupted(chain([first], results))

    @contextmanager
    def _output(self, path: str, text: bool = False) -> Iterator[BinaryIO | _TextSink]:
        """The file at ``path``, or standard output's binary buffer; ``text`` output may also go to a text stdout."""
        if path != STDOUT:
            with open(path, "wb") as out:
                yield out
            return
        buffer = getattr(self.stdout, "buffer", None)  # OutputWrapper passes attributes through to the stream
        if buffer is None:
            if not text:
                raise CommandError("standard output takes no bytes here; use -output=FILE")
            yield _TextSink(self.stdout)
            return
        self.stdout.flush()
        yield buffer
        buffer.flush()

    @staticmethod
    def _utf8(text: str) -> bytes:
        # Lone surrogates stand for bytes of results that were not UTF-8: write them back as those bytes.
        return text.encode("utf-8", "surrogateescape")
