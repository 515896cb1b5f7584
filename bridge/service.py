"""The request path: publish an inquiry to Kafka and wait for the worker's reply.

:class:`InquiryBridge` is created once per HTTP process (see ``pocsite/asgi.py``)
and connects lazily on the first request, inside the server's event loop.
Its exceptions name what went wrong; the view turns each into a status code.
"""

from __future__ import annotations

import asyncio
import logging
import time

from bridge.config import BridgeConfig
from bridge.ids import CorrelationIds
from bridge.messages import MalformedMessage, check_reply, new_request
from bridge.publisher import BrokerUnavailable, Publisher
from bridge.waiting import WAITERS, ReplyTimeout, ReplyWaiter, StoreUnavailable

log = logging.getLogger("bridge.service")

__all__ = ["BrokerUnavailable", "InquiryBridge", "MalformedReply", "Overloaded", "ReplyTimeout", "StoreUnavailable"]


class Overloaded(Exception):
    """This process already holds as many requests as it may; the client should retry later."""


class MalformedReply(Exception):
    """The value found in Redis is not a reply the worker would write."""


class InquiryBridge:
    """Answers inquiries by publishing a request and awaiting its reply."""

    def __init__(self, config: BridgeConfig) -> None:
        self.config = config
        self.ids = CorrelationIds()
        self._publisher: Publisher | None = None
        self._waiter: ReplyWaiter | None = None
        self._starting: asyncio.Lock | None = None

    @property
    def in_flight(self) -> int:
        """Requests of this process now waiting for a reply."""
        return self._waiter.in_flight if self._waiter is not None else 0

    async def ask(self, inquiry_id: str) -> bytes:
        """The worker's reply to ``inquiry_id`` as JSON bytes.

        Raises :class:`Overloaded`, :class:`StoreUnavailable`, :class:`BrokerUnavailable`,
        :class:`ReplyTimeout` or :class:`MalformedReply`; never waits past the configured timeout.
        """
        if self._waiter is None:
            await self._start()
        waiter = self._waiter
        if waiter.in_flight >= self.config.max_in_flight:
            raise Overloaded(f"{waiter.in_flight} requests are already waiting in this process")
        waiter.check_available()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.timeout
        cid = self.ids.next()
        future = waiter.register(cid)
        try:
            message = new_request(inquiry_id, cid, waiter.reply_to, time.time() + self.config.timeout)
            self._publisher.publish(cid, message)
            raw = await waiter.wait(cid, future, deadline)
        finally:
            waiter.forget(cid)
        try:
            return check_reply(raw)
        except MalformedMessage as exc:
            raise MalformedReply(str(exc)) from None

    async def _start(self) -> None:
        # Several first requests may arrive together; only one connects.
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if self._waiter is not None:
                return
            waiter = WAITERS[self.config.wait](self.config.redis, self.ids.instance, self.config.poll_interval)
            self._publisher = Publisher(
                self.config.kafka,
                asyncio.get_running_loop(),
                lambda cid, reason: waiter.fail(cid, BrokerUnavailable(reason)),
            )
            try:
                await waiter.start()
            finally:
                # Even if Redis is down now, the waiter keeps reconnecting by
                # itself; meanwhile check_available() refuses requests at once.
                self._waiter = waiter
            log.info(
                "bridge ready: wait=%s topic=%s instance=%s",
                self.config.wait,
                self.config.kafka.topic,
                self.ids.instance,
            )

    async def health(self) -> dict:
        """What this process knows of its dependencies, for ``GET /health``."""
        try:
            if self._waiter is None:
                await self._start()
            self._waiter.check_available()
            redis_state = "up"
        except StoreUnavailable as exc:
            redis_state = f"down: {exc}"
        return {
            "instance": self.ids.instance,
            "wait": self.config.wait,
            "topic": self.config.kafka.topic,
            "redis": redis_state,
            "in_flight": self.in_flight,
            "max_in_flight": self.config.max_in_flight,
        }

    async def close(self) -> None:
        """Flush queued requests and release connections."""
        if self._publisher is not None:
            await asyncio.to_thread(self._publisher.close)
            self._publisher = None
        if self._waiter is not None:
            await self._waiter.close()
            self._waiter = None
