"""How a waiting request learns that its reply is in Redis.

Two strategies, picked by ``BRIDGE_WAIT``:

* ``pubsub`` (default) — one pub/sub connection per HTTP process serves every
  waiter of that process.  The worker stores the reply under the request's key
  and publishes it on the process's channel; the listener hands it to the
  waiting future.  After (re)subscribing, the listener re-reads the keys of all
  waiters, so a reply written while the connection was down is not lost.
* ``poll`` — the Go seed's behaviour, kept to reproduce its experiment: GET the
  key every 500 ms until the deadline, stopping at the first hit.

Either way a waiter is one future in a dict: no thread and no connection per request.
"""

from __future__ import annotations

import asyncio
import logging

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bridge.config import RedisConfig, client_name

log = logging.getLogger("bridge.waiting")


class StoreUnavailable(Exception):
    """Redis cannot be reached, so no reply could be received."""


class ReplyTimeout(Exception):
    """No reply arrived before the request's deadline."""


class ReplyWaiter:
    """Keeps the futures of the requests waiting in this process, by correlation id."""

    #: The token the worker needs to notify this process, or ``None`` if it need not.
    reply_to: str | None = None

    def __init__(self, config: RedisConfig, instance: str, poll_interval: float) -> None:
        self._config = config
        self._instance = instance
        self._poll_interval = poll_interval
        self._waiters: dict[str, asyncio.Future[bytes]] = {}
        # Commands are rare in pub/sub mode and serial in poll mode: a small
        # blocking pool keeps the process's Redis connections fixed at any load.
        self._client = aioredis.Redis(
            connection_pool=aioredis.BlockingConnectionPool.from_url(
                config.url,
                max_connections=self.command_connections,
                timeout=config.connect_timeout,
                socket_connect_timeout=config.connect_timeout,
                client_name=client_name("http"),
                socket_timeout=2.0,
            )
        )

    command_connections = 1

    @property
    def in_flight(self) -> int:
        """How many requests are waiting for a reply."""
        return len(self._waiters)

    def register(self, correlation_id: str) -> asyncio.Future[bytes]:
        """A future that resolves to the raw reply for ``correlation_id``."""
        future = asyncio.get_running_loop().create_future()
        self._waiters[correlation_id] = future
        return future

    def fail(self, correlation_id: str, error: BaseException) -> None:
        """End the wait of ``correlation_id`` with ``error`` (a failed delivery, say)."""
        future = self._waiters.get(correlation_id)
        if future is not None and not future.done():
            future.set_exception(error)

    def forget(self, correlation_id: str) -> None:
        """Drop the waiter; called whatever the outcome, so none leaks."""
        self._waiters.pop(correlation_id, None)

    async def start(self) -> None:
        """Connect; raise :class:`StoreUnavailable` if Redis does not answer in time."""

    def check_available(self) -> None:
        """Raise :class:`StoreUnavailable` now if this strategy knows Redis is down."""

    async def wait(self, correlation_id: str, future: asyncio.Future[bytes], deadline: float) -> bytes:
        """The raw reply, or :class:`ReplyTimeout` at ``deadline`` (event-loop time)."""
        raise NotImplementedError

    async def close(self) -> None:
        """Release the connections."""
        await self._client.aclose()

    def _resolve(self, correlation_id: str, reply: bytes) -> None:
        future = self._waiters.get(correlation_id)
        if future is not None and not future.done():
            future.set_result(reply)


class PollWaiter(ReplyWaiter):
    """The seed's strategy: GET the reply key every ``poll_interval`` until the deadline."""

    command_connections = 8

    async def wait(self, correlation_id: str, future: asyncio.Future[bytes], deadline: float) -> bytes:
        key = self._config.reply_key(correlation_id)
        loop = asyncio.get_running_loop()
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise ReplyTimeout()
            # Sleep on the future, not the clock: a failed delivery ends the wait at once.
            done, _ = await asyncio.wait((future,), timeout=min(self._poll_interval, remaining))
            if done:
                return future.result()
            try:
                value = await self._client.get(key)
            except (RedisError, OSError) as exc:
                raise StoreUnavailable(f"Redis did not answer: {exc}") from None
            if value is not None:
                return value


class PubSubWaiter(ReplyWaiter):
    """One subscription per process; the worker publishes ``b"<correlation id> <reply>"`` on it."""

    def __init__(self, config: RedisConfig, instance: str, poll_interval: float) -> None:
        super().__init__(config, instance, poll_interval)
        self.reply_to = instance
        self._channel = config.reply_channel(instance)
        self._subscribed = asyncio.Event()
        self._listener: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._listener is None:
            self._listener = asyncio.create_task(self._listen(), name="reply-listener")
        try:
            async with asyncio.timeout(self._config.connect_timeout * 2):
                await self._subscribed.wait()
        except TimeoutError:
            raise StoreUnavailable("Redis did not answer the subscription in time") from None

    def check_available(self) -> None:
        if not self._subscribed.is_set():
            raise StoreUnavailable("the connection to Redis is down; reconnecting")

    async def wait(self, correlation_id: str, future: asyncio.Future[bytes], deadline: float) -> bytes:
        try:
            async with asyncio.timeout_at(deadline):
                return await future
        except TimeoutError:
            raise ReplyTimeout() from None

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
            self._listener = None
        await super().close()

    async def _listen(self) -> None:
        """Keep the subscription alive for the life of the process, reconnecting with backoff."""
        backoff = 0.05
        client = aioredis.Redis.from_url(
            self._config.url,
            socket_connect_timeout=self._config.connect_timeout,
            socket_keepalive=True,
            client_name=client_name("http"),
        )
        try:
            while True:
                pubsub = client.pubsub()
                try:
                    await pubsub.subscribe(self._channel)
                    while True:
                        message = await pubsub.get_message(timeout=None)
                        if message is None:
                            continue
                        if message["type"] == "message":
                            cid, _, reply = message["data"].partition(b" ")
                            self._resolve(cid.decode("ascii", "replace"), reply)
                        elif message["type"] == "subscribe":
                            # Only now are publications reaching us; a reply stored
                            # before this point is found by reading the keys.
                            await self._recheck_pending()
                            self._subscribed.set()
                            backoff = 0.05
                            log.info("listening for replies on %s", self._channel)
                except (RedisError, OSError) as exc:
                    if self._subscribed.is_set():
                        log.warning("lost the Redis subscription (%s); reconnecting", exc)
                    self._subscribed.clear()
                finally:
                    await pubsub.aclose()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 1.0)
        finally:
            await client.aclose()

    async def _recheck_pending(self) -> None:
        pending = list(self._waiters)
        if not pending:
            return
        values = await self._client.mget([self._config.reply_key(cid) for cid in pending])
        found = 0
        for cid, value in zip(pending, values, strict=True):
            if value is not None:
                self._resolve(cid, value)
                found += 1
        log.info("re-read %d pending replies after subscribing: %d were already stored", len(pending), found)


WAITERS: dict[str, type[ReplyWaiter]] = {"pubsub": PubSubWaiter, "poll": PollWaiter}
