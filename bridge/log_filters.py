"""Logging filters for the HTTP processes."""

from __future__ import annotations

import logging

#: Statuses the view answers on purpose, each already explained to the client.
DELIBERATE = frozenset({400, 404, 405, 502, 503, 504})


class SkipDeliberateResponses(logging.Filter):
    """Drop ``django.request``'s line for every 4xx/5xx the view chose to send.

    Under load or during an outage these come by the thousand per second and
    would bury the lines that matter; an unhandled exception (500) still logs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "status_code", None) not in DELIBERATE
