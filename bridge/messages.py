"""The two messages of the bridge: the request on Kafka and the reply in Redis.

Field names follow the Go seed (``ID``, ``Name``, ``Date``, ``Currency``,
``Amount``) so its clients keep working; the bridge adds its own fields in
lower case.  Both sides validate what they read: a message from the wire is
untrusted until :func:`parse_request` accepts it.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from bridge.ids import TOKEN, InvalidId, validate_id

MAX_MESSAGE_BYTES = 64 * 1024
_NAMES = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken", "Dennis", "Frances")
_CURRENCIES = ("EUR", "USD", "GBP", "JPY", "CHF", "BRL")
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class MalformedMessage(ValueError):
    """A message from Kafka or a value from Redis that is not what the bridge writes."""


@dataclass(frozen=True, slots=True)
class InquiryRequest:
    """What the HTTP side asks the worker; ``deadline`` is Unix seconds after which nobody waits."""

    id: str
    correlation_id: str
    reply_to: str | None
    deadline: float
    name: str
    date: str
    requested_at: str


def now_rfc3339() -> str:
    """The current UTC time as RFC 3339 with microseconds."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def new_request(inquiry_id: str, correlation_id: str, reply_to: str | None, deadline: float) -> bytes:
    """Encode a request for ``inquiry_id`` with a fake name and date, as the seed did."""
    return _encode(
        {
            "ID": inquiry_id,
            "Name": random.choice(_NAMES),
            "Date": time.strftime("%Y-%m-%d", time.gmtime()),
            "RequestedAt": now_rfc3339(),
            "cid": correlation_id,
            "reply_to": reply_to,
            "deadline": round(deadline, 3),
        }
    ).encode()


def parse_request(raw: bytes | None) -> InquiryRequest:
    """Decode and validate a request from Kafka; raise :class:`MalformedMessage` saying what is wrong."""
    if raw is None:
        raise MalformedMessage("empty message")
    if len(raw) > MAX_MESSAGE_BYTES:
        raise MalformedMessage(f"message of {len(raw)} bytes exceeds {MAX_MESSAGE_BYTES}")
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedMessage(f"not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise MalformedMessage("not a JSON object")
    try:
        inquiry_id = validate_id(_field(doc, "ID", str))
    except InvalidId as exc:
        raise MalformedMessage(f"ID: {exc}") from None
    correlation_id = _field(doc, "cid", str)
    if not TOKEN.fullmatch(correlation_id):
        raise MalformedMessage("cid: not a correlation id of the bridge")
    reply_to = doc.get("reply_to")
    if reply_to is not None and not (isinstance(reply_to, str) and TOKEN.fullmatch(reply_to)):
        raise MalformedMessage("reply_to: not a reply channel of the bridge")
    deadline = _field(doc, "deadline", (int, float))
    if isinstance(deadline, bool):
        raise MalformedMessage("deadline: must be a number")
    return InquiryRequest(
        id=inquiry_id,
        correlation_id=correlation_id,
        reply_to=reply_to,
        deadline=float(deadline),
        name=_optional_str(doc, "Name"),
        date=_optional_str(doc, "Date"),
        requested_at=_optional_str(doc, "RequestedAt"),
    )


def _field(doc: dict, name: str, kind: type | tuple[type, ...]):
    if name not in doc:
        raise MalformedMessage(f"{name}: missing")
    value = doc[name]
    if not isinstance(value, kind):
        raise MalformedMessage(f"{name}: wrong type {type(value).__name__}")
    return value


def _optional_str(doc: dict, name: str) -> str:
    value = doc.get(name, "")
    if not isinstance(value, str):
        raise MalformedMessage(f"{name}: wrong type {type(value).__name__}")
    return value[:256]


def new_reply(request: InquiryRequest) -> bytes:
    """The worker's answer: the request's fields plus a fake currency and amount and when it was processed."""
    return _encode(
        {
            "ID": request.id,
            "Name": request.name,
            "Date": request.date,
            "Currency": random.choice(_CURRENCIES),
            "Amount": round(random.uniform(1, 10_000), 2),
            "RequestedAt": request.requested_at,
            "ProcessedAt": now_rfc3339(),
        }
    ).encode()


def check_reply(raw: bytes) -> bytes:
    """Return ``raw`` if it is a JSON object as the worker writes; raise :class:`MalformedMessage` otherwise."""
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise MalformedMessage("the stored reply is not JSON") from None
    if not isinstance(doc, dict) or "ID" not in doc:
        raise MalformedMessage("the stored reply is not an inquiry reply")
    return raw
