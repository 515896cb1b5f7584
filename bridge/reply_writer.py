"""The worker's Redis edge: store each reply and notify the process that waits for it.

Replies are written in batches over one connection: while a pipeline is on
the wire, the next replies queue up and go together in the next one.  That
keeps the worker's Redis connections fixed at any load.  When Redis is down a
batch is retried until it is written or the requests' deadlines have passed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bridge.config import RedisConfig, client_name
from bridge.messages import InquiryRequest
from bridge.throttled_log import ThrottledLog

log = logging.getLogger("bridge.worker")

MAX_BATCH = 1000


@dataclass(slots=True)
class _Pending:
    request: InquiryRequest
    reply: bytes
    done: asyncio.Future[bool]


class ReplyWriter:
    """Writes replies to Redis; :meth:`run` must be running for :meth:`write` to complete."""

    def __init__(self, config: RedisConfig, ttl: float) -> None:
        self._config = config
        self._ttl_ms = int(ttl * 1000)
        self._client = aioredis.Redis.from_url(
            config.url,
            socket_connect_timeout=config.connect_timeout,
            socket_timeout=5.0,
            max_connections=2,
            client_name=client_name("worker"),
        )
        self._queue: list[_Pending] = []
        self._ready = asyncio.Event()
        self._complaints = ThrottledLog(log)
        self.dropped = 0

    async def write(self, request: InquiryRequest, reply: bytes) -> bool:
        """Store ``reply`` under the request's key and publish it; False if its deadline passed first."""
        done = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(request, reply, done))
        self._ready.set()
        return await done

    async def run(self) -> None:
        """Write queued replies until cancelled."""
        try:
            while True:
                await self._ready.wait()
                self._ready.clear()
                while self._queue:
                    batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                    await self._write_batch(batch)
        finally:
            await self._client.aclose()

    async def _write_batch(self, batch: list[_Pending]) -> None:
        backoff = 0.05
        while batch:
            pipe = self._client.pipeline(transaction=False)
            for item in batch:
                request = item.request
                pipe.set(self._config.reply_key(request.correlation_id), item.reply, px=self._ttl_ms)
                if request.reply_to is not None:
                    pipe.publish(
                        self._config.reply_channel(request.reply_to),
                        request.correlation_id.encode() + b" " + item.reply,
                    )
            try:
                await pipe.execute()
            except (RedisError, OSError) as exc:
                self._complaints.warning("cannot write replies to Redis (%s); retrying", exc)
                batch = self._drop_expired(batch)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 1.0)
                continue
            for item in batch:
                if not item.done.done():
                    item.done.set_result(True)
            return

    def _drop_expired(self, batch: list[_Pending]) -> list[_Pending]:
        # Nobody waits for these any more: stop retrying them.
        now = time.time()
        kept = []
        for item in batch:
            if item.request.deadline < now:
                self.dropped += 1
                if not item.done.done():
                    item.done.set_result(False)
            else:
                kept.append(item)
        return kept
