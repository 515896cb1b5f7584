"""A bare ASGI app for load-generator tests: every GET answers at once with a small JSON.

Run it with ``daphne -p PORT tests.loadtest.echo_app:app``.  ``/inquiry/<id>``
answers 200 with a body shaped like the bridge's reply; a path under
``/status/<code>/`` answers that status, so a run against the base URL
``http://host:port/status/504`` sees only 504s.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]


async def app(
    scope: Scope, receive: Callable[[], Awaitable[Message]], send: Callable[[Message], Awaitable[None]]
) -> None:
    """Answer one HTTP request; other scope types (lifespan) are not used by daphne."""
    if scope["type"] != "http":
        return
    _, _, tail = scope["path"].partition("/status/")
    code = tail.split("/", 1)[0]
    status = int(code) if code.isdigit() else 200
    body = json.dumps({"ID": scope["path"].rsplit("/", 1)[-1], "Name": "echo"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
