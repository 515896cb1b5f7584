"""Which offsets a consumer may store: at-least-once with out-of-order completion."""

from __future__ import annotations

from collections import deque


class OffsetTracker:
    """Tracks messages handed out and finished, per partition.

    Messages of a partition finish in any order, but an offset may be stored
    only once every earlier message of that partition has finished: that is
    what makes a crash redeliver, rather than lose, unfinished work.
    """

    def __init__(self) -> None:
        self._pending: dict[int, deque[int]] = {}
        self._finished: dict[int, set[int]] = {}

    @property
    def in_flight(self) -> int:
        """Messages started and not yet finished, across partitions."""
        return sum(len(p) for p in self._pending.values()) - sum(len(f) for f in self._finished.values())

    def start(self, partition: int, offset: int) -> None:
        """Record a message as handed out; offsets of a partition must come in increasing order."""
        self._pending.setdefault(partition, deque()).append(offset)
        self._finished.setdefault(partition, set())

    def finish(self, partition: int, offset: int) -> int | None:
        """Record a message as done; return the offset now safe to store (the next one to read), if it moved."""
        pending = self._pending.get(partition)
        if not pending:
            return None  # the partition was revoked meanwhile; its new owner reads it again
        finished = self._finished[partition]
        if pending[0] != offset:
            finished.add(offset)
            return None
        last = pending.popleft()
        while pending and pending[0] in finished:
            last = pending.popleft()
            finished.discard(last)
        return last + 1

    def forget(self, partitions: list[int]) -> None:
        """Drop what is known of revoked partitions."""
        for partition in partitions:
            self._pending.pop(partition, None)
            self._finished.pop(partition, None)
