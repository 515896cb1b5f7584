"""The record vegeta writes for every request of an attack."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Result:
    """One request's outcome, field for field as vegeta v12's ``lib.Result``.

    ``timestamp`` is nanoseconds since the Unix epoch (UTC) and ``latency`` is
    nanoseconds; ``headers`` maps a header name to its values, as Go's
    ``http.Header``.  A ``code`` of 0 means no HTTP answer (``error`` says why).
    """

    attack: str = ""
    seq: int = 0
    code: int = 0
    timestamp: int = 0
    latency: int = 0
    bytes_out: int = 0
    bytes_in: int = 0
    error: str = ""
    body: bytes = b""
    method: str = ""
    url: str = ""
    headers: dict[str, list[str]] = field(default_factory=dict)

    @property
    def end(self) -> int:
        """When the response ended, in Unix nanoseconds."""
        return self.timestamp + self.latency

    @property
    def ok(self) -> bool:
        """Whether vegeta counts this result as a success (2xx or 3xx)."""
        return 200 <= self.code < 400
