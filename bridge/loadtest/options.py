"""The attack's command line (each option also an environment variable) and the plan each process runs.

Registered on Locust's parser by ``add_arguments``; read back, validated, by
``AttackConfig.from_options``.  A ``Plan`` is what the coordinating process
sends each load-generating process: everything it needs for its share, so
workers never read options of their own.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

from bridge.durations import parse_duration
from bridge.loadtest.pacing import Schedule, requests_in
from bridge.vegeta.codecs import FORMATS

DEFAULT_HOST = "http://localhost:8080"


class OptionError(ValueError):
    """An attack option has a value the attack cannot run with; the message names the option."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the attack's options to Locust's parser (a ``configargparse`` parser: ``env_var`` works)."""
    add: Any = parser.add_argument  # typed loosely: env_var is configargparse's, not argparse's
    add(
        "--rps",
        type=float,
        default=100.0,
        env_var="LOCUST_RPS",
        help="Requests per second, each started on schedule whether or not earlier ones returned (open model).",
    )
    add(
        "--dur",
        default="5s",
        env_var="LOCUST_DUR",
        help="How long to send, as a Go duration (5s, 1m). Locust's --run-time, when given, wins.",
    )
    add(
        "--vars",
        type=int,
        default=1_000_000,
        env_var="LOCUST_VARS",
        help="Request ids are drawn uniformly from [0, VARS).",
    )
    add(
        "--timeout",
        default="30s",
        env_var="LOCUST_TIMEOUT",
        help="Client timeout of each request, as a Go duration (vegeta's default is 30s).",
    )
    add(
        "--vegeta-out",
        default="",
        env_var="LOCUST_VEGETA_OUT",
        help="Write every request's result to this file, in vegeta's format.",
    )
    add(
        "--vegeta-format",
        default="gob",
        choices=FORMATS,
        env_var="LOCUST_VEGETA_FORMAT",
        help="Format of --vegeta-out: gob (vegeta's default), json or csv.",
    )
    add(
        "--attack-name",
        default="",
        env_var="LOCUST_ATTACK_NAME",
        help="The attack name recorded in every result (vegeta's -name).",
    )


@dataclass(frozen=True, slots=True)
class AttackConfig:
    """The whole attack as the command line asks for it."""

    rate: float
    duration: float  # seconds of sending
    vars: int
    timeout: float  # seconds
    out: str
    fmt: str
    attack: str

    @property
    def total(self) -> int:
        """How many requests the whole attack sends."""
        return requests_in(self.rate, self.duration)

    @classmethod
    def from_options(cls, options: argparse.Namespace) -> AttackConfig:
        """Read and check the options; a given ``--run-time`` (seconds) replaces ``--dur``."""
        run_time = getattr(options, "run_time", None)
        duration = float(run_time) if run_time else _duration("--dur", options.dur)
        config = cls(
            rate=float(options.rps),
            duration=duration,
            vars=int(options.vars),
            timeout=_duration("--timeout", options.timeout),
            out=options.vegeta_out or "",
            fmt=options.vegeta_format,
            attack=options.attack_name or "",
        )
        if config.rate <= 0:
            raise OptionError(f"--rps must be positive, not {options.rps}")
        if config.total < 1:
            raise OptionError(f"--rps {options.rps} for {duration:g} s sends no request: raise --rps or --dur")
        if config.vars < 1:
            raise OptionError(f"--vars must be at least 1, not {options.vars}")
        if config.timeout <= 0:
            raise OptionError(f"--timeout must be positive, not {options.timeout}")
        if config.out and not os.path.isdir(os.path.dirname(os.path.abspath(config.out))):
            raise OptionError(f"--vegeta-out {config.out}: its directory does not exist")
        if config.fmt not in FORMATS:
            raise OptionError(f"--vegeta-format must be one of {', '.join(FORMATS)}, not {config.fmt!r}")
        return config


def _duration(option: str, text: str) -> float:
    try:
        return parse_duration(str(text))
    except ValueError as exc:
        raise OptionError(f"{option}: {exc}") from exc


def check_host(url: str) -> str:
    """``url`` without a trailing slash if it is an ``http://host[:port][/prefix]`` base URL; else OptionError."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise OptionError(f"--host must be an http:// URL such as {DEFAULT_HOST}, not {url!r}")
    if parts.query or parts.fragment:
        raise OptionError(f"--host takes no query or fragment: {url!r}")
    return url.rstrip("/")


@dataclass(frozen=True, slots=True)
class Plan:
    """One process's share of the attack, as sent in a Locust message (``as_message`` / ``from_message``)."""

    host: str  # base URL, checked by check_host
    rate: float
    total: int
    offset: int
    stride: int
    start: float | None  # Unix seconds at which request 0 is due; None: when the share begins
    timeout: float
    vars: int
    attack: str

    @classmethod
    def share(cls, config: AttackConfig, host: str, offset: int, stride: int, start: float | None) -> Plan:
        """The plan of share ``offset`` of ``stride`` shares of ``config``'s attack."""
        return cls(host, config.rate, config.total, offset, stride, start, config.timeout, config.vars, config.attack)

    @property
    def schedule(self) -> Schedule:
        """This share's send times."""
        return Schedule(self.rate, self.total, self.offset, self.stride)

    @property
    def origin(self) -> str:
        """``http://host[:port]`` of the base URL, without its path."""
        parts = urlsplit(self.host)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def address(self) -> tuple[str, int, str]:
        """``(host, port, path prefix)`` of the base URL."""
        parts = urlsplit(self.host)
        return parts.hostname or "", parts.port or 80, parts.path.rstrip("/")

    def as_message(self) -> dict[str, Any]:
        """Plain data for Locust's msgpack messages."""
        return asdict(self)

    @classmethod
    def from_message(cls, data: dict[str, Any]) -> Plan:
        """The plan ``as_message`` sent."""
        return cls(**data)
