"""Inquiry ids as clients send them, and correlation ids as the bridge makes them."""

from __future__ import annotations

import itertools
import re
import uuid

MAX_ID_LENGTH = 128
_VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# What the consumer accepts as a correlation id or a reply channel token, so a
# message can never make it write to a Redis key or channel of its choosing.
TOKEN = re.compile(r"[A-Za-z0-9-]{1,64}")


class InvalidId(ValueError):
    """The inquiry id in the path is empty, too long or has characters outside ``A-Za-z0-9._:-``."""


def validate_id(inquiry_id: str) -> str:
    """Return ``inquiry_id`` if it is 1 to 128 letters, digits or ``._:-``; raise :class:`InvalidId` otherwise."""
    if _VALID_ID.fullmatch(inquiry_id):
        return inquiry_id
    if not inquiry_id:
        raise InvalidId("the inquiry id is empty")
    if len(inquiry_id) > MAX_ID_LENGTH:
        raise InvalidId(f"the inquiry id is longer than {MAX_ID_LENGTH} characters")
    raise InvalidId("the inquiry id may only contain letters, digits and . _ : -")


class CorrelationIds:
    """Unique correlation ids for one process: a random instance prefix and a counter.

    Cheaper than a uuid per request and still unique across processes and restarts.
    """

    def __init__(self, instance: str | None = None) -> None:
        self.instance = instance or uuid.uuid4().hex[:16]
        self._counter = itertools.count(1)

    def next(self) -> str:
        """A correlation id never returned before by any process."""
        return f"{self.instance}-{next(self._counter):x}"
