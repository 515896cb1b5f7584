"""One request's outcome as the vegeta ``Result`` vegeta itself would have written.

vegeta (Go's ``net/http`` client) records, per request: its start as Unix ns,
the latency to the end of the body, the status code, the body and the response
headers (names canonicalised as Go's ``http.Header`` does).  A status outside
2xx/3xx keeps its code and takes the status line's text as ``error``
("504 Gateway Time-out"); no answer means code 0 and Go's error text
(``Get "http://...": context deadline exceeded ...``).  The texts below follow
Go's shapes so reports group errors the same way.
"""

from __future__ import annotations

import functools
import socket
from collections.abc import Sequence
from typing import Protocol

from bridge.vegeta.result import Result

# How far an exchange got: Go's error text names the step that failed.
DIAL = "dial"  # resolving and connecting
WRITE = "write"  # sending the request
HEADERS = "headers"  # waiting for the status line and headers
BODY = "body"  # reading the body


class ServerClosed(ConnectionError):
    """The server closed the connection before the response was complete."""

    def __init__(self, partial: bool) -> None:
        super().__init__("unexpected EOF" if partial else "EOF")
        self.partial = partial


class MalformedResponse(ValueError):
    """The bytes the server sent are not an HTTP/1.x response."""


class DeadlineExceeded(TimeoutError):
    """No complete response within the client timeout (vegeta's ``-timeout``)."""


# Everything the client raises when an exchange fails on the wire: OSError covers
# refused/reset connections, failed lookups and ServerClosed.
TRANSPORT_ERRORS: tuple[type[Exception], ...] = (OSError, MalformedResponse)


class Reply(Protocol):
    """What the recorder reads from a complete HTTP response."""

    status_code: int
    reason: str
    fields: Sequence[tuple[str, str]]  # header lines as received, in order
    body: bytes | bytearray


@functools.lru_cache(maxsize=1024)  # servers repeat a handful of names
def canonical_header(name: str) -> str:
    """``name`` as Go's ``textproto.CanonicalMIMEHeaderKey`` spells it ("content-type" -> "Content-Type")."""
    if not name.isascii() or any(c in name for c in " \t:"):
        return name  # Go leaves names it cannot canonicalise untouched
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))


def error_text(method: str, url: str, target: str, stage: str, exc: BaseException) -> str:
    """Go's error text for a request that got no complete answer.

    ``target`` is the ``host:port`` dialled; ``stage`` is how far the exchange got
    (DIAL, WRITE, HEADERS or BODY); ``exc`` is a DeadlineExceeded or one of
    TRANSPORT_ERRORS.
    """
    where = f'{method[:1].upper()}{method[1:].lower()} "{url}"'  # Go's url.Error: Op "URL": Err
    if isinstance(exc, DeadlineExceeded):
        if stage == BODY:
            return "context deadline exceeded (Client.Timeout or context cancellation while reading body)"
        return f"{where}: context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
    if isinstance(exc, ServerClosed):
        return f"{where}: {exc}" if stage != BODY else "unexpected EOF"
    if isinstance(exc, MalformedResponse):
        return f"{where}: net/http: HTTP/1.x transport connection broken: malformed HTTP response"
    if isinstance(exc, socket.gaierror):
        return f"{where}: dial tcp: lookup {target.rpartition(':')[0]}: no such host"
    reason = _errno_text(exc)
    if stage == DIAL:
        return f"{where}: dial tcp {target}: connect: {reason}"
    op = "write" if stage == WRITE else "read"
    return f"{where}: {op} tcp {target}: {op}: {reason}"


def _errno_text(exc: BaseException) -> str:
    """The OS error's text as Go prints it: "connection refused", not "[Errno 111] Connection refused"."""
    text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
    return text[:1].lower() + text[1:]


class Recorder:
    """Builds the vegeta Results of one attack: same name and method, one URL per request."""

    def __init__(self, attack: str = "", method: str = "GET") -> None:
        self.attack = attack
        self.method = method

    def response(self, seq: int, url: str, timestamp: int, latency: int, reply: Reply) -> Result:
        """The Result of a request that got a complete response (any status)."""
        code = reply.status_code
        error = ""
        if not 200 <= code < 400:
            error = f"{code} {reply.reason}" if reply.reason else str(code)  # Go's Response.Status
        headers: dict[str, list[str]] = {}
        for name, value in reply.fields:
            headers.setdefault(canonical_header(name), []).append(value)
        body = bytes(reply.body)
        return Result(
            attack=self.attack,
            seq=seq,
            code=code,
            timestamp=timestamp,
            latency=latency,
            bytes_out=0,  # a GET has no request body
            bytes_in=len(body),
            error=error,
            body=body,
            method=self.method,
            url=url,
            headers=headers,
        )

    def failure(self, seq: int, url: str, timestamp: int, latency: int, error: str) -> Result:
        """The Result of a request without a complete response: code 0, ``error`` says why."""
        return Result(
            attack=self.attack,
            seq=seq,
            code=0,
            timestamp=timestamp,
            latency=latency,
            error=error,
            method=self.method,
            url=url,
        )
