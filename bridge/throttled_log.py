"""Logging that stays readable when the same problem happens thousands of times a second."""

from __future__ import annotations

import logging
import time


class ThrottledLog:
    """Logs at most one line per ``interval`` seconds, with the count of lines it held back."""

    def __init__(self, logger: logging.Logger, interval: float = 5.0) -> None:
        self._logger = logger
        self._interval = interval
        self._next = 0.0
        self._held = 0

    def warning(self, message: str, *args: object) -> None:
        """Log ``message`` now if the interval has passed, otherwise count it."""
        now = time.monotonic()
        if now < self._next:
            self._held += 1
            return
        if self._held:
            message += f" (and {self._held} more like it since the last report)"
            self._held = 0
        self._next = now + self._interval
        self._logger.warning(message, *args)
