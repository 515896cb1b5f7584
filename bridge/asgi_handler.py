"""Django's ASGI handler, minus the thread it starts for every request.

Django 5.2's ``ASGIHandler`` wraps each request in ``ThreadSensitiveContext``
and ends it with ``sync_to_async(response.close)``: a trip through a fresh
worker thread that costs about 1.2 ms of a 1.3 ms request (see
``../shared/FACTS.md``).  This project has no synchronous code on the request
path — no database, no middleware, an async view — so the handler runs
everything on the event loop.  It also hands each request the process's
:class:`~bridge.service.InquiryBridge` through the ASGI scope, and answers 400
to a ``Host`` not in ``ALLOWED_HOSTS``: with no middleware, nothing else on the
request path calls ``request.get_host()``, so Django would not check it.
"""

from __future__ import annotations

import asyncio
import io

from django.conf import settings
from django.core import signals
from django.core.exceptions import DisallowedHost, RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.urls import set_script_prefix

from bridge.service import InquiryBridge


class BridgeASGIHandler(ASGIHandler):
    """Serves Django on the event loop; ``scope["bridge"]`` is the shared bridge."""

    def __init__(self, bridge: InquiryBridge) -> None:
        super().__init__()
        self.bridge = bridge
        #: Requests being handled now; a graceful stop waits for this to reach zero.
        self.active = 0
        #: Set by a graceful stop: requests still arriving on open connections get 503.
        self.draining = False
        # Host headers already accepted: Django's get_host() costs about 6 µs,
        # a set lookup almost nothing.  Bounded, since a wildcard pattern
        # (".example.com", "*") accepts endless names.
        self._good_hosts: set[str] = set()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "websocket":
            # No endpoint speaks WebSocket: closing before accepting makes
            # daphne refuse the handshake with 403, where an error would be a 500.
            await send({"type": "websocket.close"})
            return
        if scope["type"] != "http":
            raise ValueError(f"this application serves HTTP only, not {scope['type']}")
        if self.draining:
            await _refuse(send)
            return
        scope["bridge"] = self.bridge
        self.active += 1
        try:
            await self.handle(scope, receive, send)
        finally:
            self.active -= 1

    async def handle(self, scope, receive, send) -> None:
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        await signals.request_started.asend(sender=self.__class__, scope=scope)
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            body_file.close()
            await self.send_response(error_response, send)
            error_response.close()
            return
        if not self._host_allowed(request):
            body_file.close()
            await _send_json(send, 400, _BAD_HOST)
            return
        # As Django does: a client that hangs up cancels its view, so its
        # waiter is dropped at once instead of at the deadline.
        this = asyncio.current_task()
        disconnect = asyncio.create_task(_cancel_on_disconnect(receive, this))
        try:
            response = await self.run_get_response(request)
            try:
                await self.send_response(response, send)
            finally:
                # Safe on the loop: no synchronous request_finished receivers remain (see apps.py).
                response.close()
        except asyncio.CancelledError:
            if not disconnect.done() or this.uncancel() > 0:
                raise
        finally:
            disconnect.cancel()
            body_file.close()

    def _host_allowed(self, request) -> bool:
        host = request.META.get("HTTP_HOST")
        if host in self._good_hosts:
            return True
        try:
            request.get_host()
        except DisallowedHost:
            return False
        # With X-Forwarded-Host trusted, the Host header alone does not decide.
        if host is not None and len(self._good_hosts) < MAX_GOOD_HOSTS and not settings.USE_X_FORWARDED_HOST:
            self._good_hosts.add(host)
        return True

    async def read_body(self, receive) -> io.BytesIO:
        """The request body, of which at most ``MAX_BODY`` bytes are kept: no endpoint reads one."""
        body = io.BytesIO()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise RequestAborted()
            chunk = message.get("body", b"")
            if body.tell() + len(chunk) <= MAX_BODY:
                body.write(chunk)
            if not message.get("more_body", False):
                body.seek(0)
                return body


MAX_BODY = 16 * 1024
MAX_GOOD_HOSTS = 64
_SHUTTING_DOWN = b'{"error": "the server is shutting down; retry shortly"}'
_BAD_HOST = b'{"error": "the Host header names a host this server does not serve (see DJANGO_ALLOWED_HOSTS)"}'


async def _refuse(send) -> None:
    await _send_json(send, 503, _SHUTTING_DOWN, (b"retry-after", b"1"), (b"connection", b"close"))


async def _send_json(send, status: int, body: bytes, *headers: tuple[bytes, bytes]) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _cancel_on_disconnect(receive, task: asyncio.Task) -> None:
    message = await receive()
    if message["type"] == "http.disconnect":
        task.cancel()
