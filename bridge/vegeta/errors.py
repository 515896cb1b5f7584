"""The exceptions the package raises for input or values vegeta could not handle.

All are ``ValueError``s, so a caller that only separates bad input from bugs
can catch that.
"""

from __future__ import annotations


class DecodeError(ValueError):
    """The input is not a valid stream of vegeta results in the expected encoding."""


class EncodeError(ValueError):
    """A Result holds a value that vegeta's Go types cannot carry."""


class ReportError(ValueError):
    """The report kind or its buckets are not valid, or the metrics cannot be encoded."""
