"""The HTTP edge: parse the request, ask the bridge, turn its exceptions into JSON statuses."""

from __future__ import annotations

import json
import logging

from django.http import HttpRequest, HttpResponse

from bridge.ids import InvalidId, validate_id
from bridge.service import (
    BrokerUnavailable,
    InquiryBridge,
    MalformedReply,
    Overloaded,
    ReplyTimeout,
    StoreUnavailable,
)

log = logging.getLogger("bridge.views")

JSON = "application/json"


def json_response(body: bytes, status: int = 200, **headers: str) -> HttpResponse:
    """``body`` as ``application/json`` with a Content-Length, so clients need not parse chunks."""
    response = HttpResponse(body, status=status, content_type=JSON, headers=headers)
    response["Content-Length"] = str(len(body))
    return response


def error(status: int, message: str, **headers: str) -> HttpResponse:
    """A JSON error body ``{"error": message}`` with ``status``."""
    return json_response(json.dumps({"error": message}).encode(), status, **headers)


def bridge_of(request: HttpRequest) -> InquiryBridge:
    """The process's bridge, which the ASGI handler puts in every request's scope."""
    return request.scope["bridge"]


async def inquiry(request: HttpRequest, inquiry_id: str) -> HttpResponse:
    """``GET /inquiry/<id>``: the worker's reply for ``id`` as JSON, or ``{"error": ...}``."""
    if request.method != "GET":
        return error(405, f"method {request.method} is not allowed; use GET", Allow="GET")
    try:
        validate_id(inquiry_id)
    except InvalidId as exc:
        return error(400, str(exc))
    try:
        body = await bridge_of(request).ask(inquiry_id)
    except Overloaded:
        return error(503, "too many requests in flight; retry shortly", **{"Retry-After": "1"})
    except StoreUnavailable as exc:
        return error(503, f"Redis is unavailable: {exc}")
    except BrokerUnavailable as exc:
        return error(503, f"Kafka is unavailable: {exc}")
    except ReplyTimeout:
        return error(504, "no reply from the worker before the deadline")
    except MalformedReply as exc:
        return error(502, f"the worker's reply is unusable: {exc}")
    return json_response(body)


async def health(request: HttpRequest) -> HttpResponse:
    """``GET /health``: this process's view of its connections and load."""
    state = await bridge_of(request).health()
    return json_response(json.dumps(state).encode(), 200 if state["redis"] == "up" else 503)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A JSON 404 for any path other than the endpoints."""
    return error(404, "not found; use GET /inquiry/<id>")


def server_error(request: HttpRequest) -> HttpResponse:
    """A JSON 500 without details; the traceback goes to the log only."""
    return error(500, "internal error")
