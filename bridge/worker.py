"""The consumer: read inquiry requests from Kafka, reply through Redis.

``python manage.py runconsumer`` builds a :class:`Worker` and runs it.  The
Kafka consumer's blocking calls run in one dedicated thread; everything else
runs on the event loop.  Messages are handled concurrently up to
``concurrency`` (1 reproduces the seed's ``-async=false``), and an offset is
stored only when its message and every earlier one of its partition are done
(at-least-once; a redelivered request merely rewrites the same reply).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition

from bridge.config import BridgeConfig, KafkaConfig
from bridge.devstack import DevStackError, ensure_topic, topic_partitions
from bridge.messages import InquiryRequest, MalformedMessage, new_reply, parse_request
from bridge.offsets import OffsetTracker
from bridge.reply_writer import ReplyWriter
from bridge.throttled_log import ThrottledLog

log = logging.getLogger("bridge.worker")

FETCH_BATCH = 500
#: Least time between two looks at the topic when the group gives this worker no partition.
TOPIC_CHECK_INTERVAL = 5.0


@dataclass(frozen=True)
class WorkerOptions:
    """How the worker behaves, from ``runconsumer``'s options."""

    min_delay: float = 0.0
    max_delay: float = 0.0
    concurrency: int = 10_000
    # How long a stopping worker lets messages in flight finish.
    grace: float = 10.0
    stats_interval: float = 10.0


@dataclass(slots=True)
class WorkerStats:
    """What the worker has done since it started."""

    replied: int = 0
    malformed: int = 0
    expired: int = 0
    started_at: float = field(default_factory=time.monotonic)


def consumer_config(kafka: KafkaConfig) -> dict:
    """librdkafka settings for the worker's consumer: fast on Tansu, correct on Apache Kafka."""
    return {
        **kafka.client_config(),
        "group.id": kafka.group,
        "client.id": "inquiry-bridge-worker",
        # Offsets are stored by hand once a message's reply is written, then
        # committed in the background: a crash redelivers, it never skips.
        "enable.auto.commit": True,
        "enable.auto.offset.store": False,
        "auto.commit.interval.ms": 1000,
        "auto.offset.reset": "earliest",
        # Tansu takes tens of seconds to form a group with librdkafka's 45 s
        # session timeout; these values join in about 3 s and are valid on Kafka.
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 500,
        "max.poll.interval.ms": 10000,
        # Tansu does not end a fetch long-poll when data arrives, so latency is
        # about half of this wait; on Kafka a short wait only costs idle fetches.
        "fetch.wait.max.ms": kafka.fetch_wait_ms,
    }


def _fetch(consumer: Consumer) -> list[Message]:
    """Up to ``FETCH_BATCH`` messages: waits up to 100 ms for the first, then takes only what is ready.

    ``consume(n, timeout)`` alone would wait for all ``n`` or the whole timeout.
    """
    first = consumer.poll(0.1)
    if first is None:
        return []
    return [first, *consumer.consume(FETCH_BATCH - 1, 0)]


class Worker:
    """Consumes the request topic and replies to each request through Redis."""

    def __init__(self, config: BridgeConfig, options: WorkerOptions) -> None:
        self.config = config
        self.options = options
        self.stats = WorkerStats()
        self._tracker = OffsetTracker()
        self._backlog: deque[Message] = deque()
        self._tasks: set[asyncio.Task[None]] = set()
        self._paused = False
        # Offsets safe to store, by partition; handed to the consumer thread at each poll.
        self._to_store: dict[int, int] = {}
        # Set when the group assigns this worker no partition: the topic may be gone.
        self._unassigned = asyncio.Event()
        self._complaints = ThrottledLog(log)
        self._expiries = ThrottledLog(log)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kafka-consumer")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._consumer: Consumer | None = None
        self._writer: ReplyWriter | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set, then finish what is in flight (within the grace period) and commit."""
        self._loop = asyncio.get_running_loop()
        self._writer = ReplyWriter(self.config.redis, self.config.reply_ttl)
        writer_task = asyncio.create_task(self._writer.run(), name="reply-writer")
        self._consumer = Consumer(consumer_config(self.config.kafka), logger=logging.getLogger("bridge.kafka"))
        self._subscribe()
        stats_task = asyncio.create_task(self._report_stats(), name="worker-stats")
        topic_task = asyncio.create_task(self._keep_topic(), name="topic-keeper")
        log.info(
            "consuming %s as group %s (%s, delay %.3f-%.3fs)",
            self.config.kafka.topic,
            self.config.kafka.group,
            "sync" if self.options.concurrency == 1 else f"async, up to {self.options.concurrency} at once",
            self.options.min_delay,
            self.options.max_delay,
        )
        try:
            while not stop.is_set():
                messages = await self._kafka(self._poll, self._take_offsets(), self._backpressure())
                for message in messages:
                    self._accept(message)
                self._dispatch()
            await self._drain()
            await self._kafka(self._store, self._take_offsets())
        finally:
            for task in (stats_task, topic_task, writer_task):
                task.cancel()
            await asyncio.gather(stats_task, topic_task, writer_task, return_exceptions=True)
            await self._kafka(self._consumer.close)
            self._thread.shutdown(wait=True)
            log.info(
                "stopped: replied %d, skipped %d malformed and %d expired",
                self.stats.replied,
                self.stats.malformed,
                self.stats.expired,
            )

    async def _kafka(self, call, *args):
        """Run a blocking consumer call on the consumer's own thread."""
        return await self._loop.run_in_executor(self._thread, call, *args)

    def _accept(self, message: Message) -> None:
        error = message.error()
        if error is not None:
            self._complaints.warning("Kafka consumer error: %s", error.str())
            return
        self._tracker.start(message.partition(), message.offset())
        self._backlog.append(message)

    def _dispatch(self) -> None:
        while self._backlog and len(self._tasks) < self.options.concurrency:
            task = asyncio.create_task(self._handle(self._backlog.popleft()))
            self._tasks.add(task)
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._dispatch()

    def _backpressure(self) -> bool | None:
        """True to pause fetching, False to resume, None to leave it: decided on the loop, applied by ``_poll``.

        consume() keeps being called (the group needs it) but fetching stops
        while the backlog is long, so memory stays bounded at any load.
        """
        limit = max(FETCH_BATCH, self.options.concurrency)
        if not self._paused and len(self._backlog) >= limit:
            self._paused = True
            return True
        if self._paused and len(self._backlog) < limit // 2:
            self._paused = False
            return False
        return None

    def _poll(self, offsets: list[TopicPartition], pause: bool | None) -> list[Message]:
        # On the consumer thread, like every other librdkafka call of the worker:
        # called from the loop while poll() runs here, store_offsets() and
        # assignment() wait on librdkafka's locks and stall the whole loop.
        self._store(offsets)
        if pause is not None:
            assignment = self._consumer.assignment()
            if assignment:
                (self._consumer.pause if pause else self._consumer.resume)(assignment)
        return _fetch(self._consumer)

    def _store(self, offsets: list[TopicPartition]) -> None:
        if not offsets:
            return
        try:
            self._consumer.store_offsets(offsets=offsets)
        except KafkaException:
            # A partition was revoked meanwhile: store the others one by one; its new owner reads it again.
            for offset in offsets:
                try:
                    self._consumer.store_offsets(offsets=[offset])
                except KafkaException as exc:
                    log.debug("offset %d of partition %d not stored: %s", offset.offset, offset.partition, exc)

    def _take_offsets(self) -> list[TopicPartition]:
        topic = self.config.kafka.topic
        offsets = [TopicPartition(topic, partition, offset) for partition, offset in self._to_store.items()]
        self._to_store.clear()
        return offsets

    async def _handle(self, message: Message) -> None:
        try:
            await self._reply(message)
        finally:
            self._finish(message)

    async def _reply(self, message: Message) -> None:
        try:
            request = parse_request(message.value())
        except MalformedMessage as exc:
            self.stats.malformed += 1
            self._complaints.warning(
                "skipped a malformed message at %s[%d]@%d: %s",
                message.topic(),
                message.partition(),
                message.offset(),
                exc,
            )
            return
        # Checked before the work and after it: a backlog of expired requests
        # (say, after an outage) is skipped without doing their work.
        if self._expired(request):
            return
        delay = self._delay()
        if delay:
            await asyncio.sleep(delay)
            if self._expired(request):
                return
        if await self._writer.write(request, new_reply(request)):
            self.stats.replied += 1
        else:
            self.stats.expired += 1

    def _expired(self, request: InquiryRequest) -> bool:
        if request.deadline >= time.time():
            return False
        # Its client has had its 504 already; replying would only cost time.
        self.stats.expired += 1
        self._expiries.warning("skipped a request whose deadline had passed (cid %s)", request.correlation_id)
        return True

    def _delay(self) -> float:
        low, high = self.options.min_delay, self.options.max_delay
        return low if high <= low else random.uniform(low, high)

    def _finish(self, message: Message) -> None:
        offset = self._tracker.finish(message.partition(), message.offset())
        if offset is not None:
            # Stored by the consumer thread before its next poll (see _poll).
            self._to_store[message.partition()] = offset

    async def _drain(self) -> None:
        log.info("stopping: %d messages in flight, %d not started", len(self._tasks), len(self._backlog))
        self._backlog.clear()
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=self.options.grace)
            for task in late:
                task.cancel()
            if late:
                log.warning(
                    "%d messages did not finish within %.1fs; they will be redelivered", len(late), self.options.grace
                )
                await asyncio.gather(*late, return_exceptions=True)

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # Runs on the consumer thread, inside consume().
        self._loop.call_soon_threadsafe(self._assigned, [p.partition for p in partitions])

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._loop.call_soon_threadsafe(self._revoked, [p.partition for p in partitions])

    def _assigned(self, partitions: list[int]) -> None:
        self._paused = False
        log.info("assigned partitions %s of %s", sorted(partitions), self.config.kafka.topic)
        if not partitions:
            self._unassigned.set()

    def _revoked(self, partitions: list[int]) -> None:
        revoked = set(partitions)
        self._tracker.forget(partitions)
        for partition in revoked:
            self._to_store.pop(partition, None)
        self._backlog = deque(m for m in self._backlog if m.partition() not in revoked)
        log.info("revoked partitions %s", sorted(partitions))

    def _subscribe(self) -> None:
        # Runs on the consumer thread (or before the loop uses it).
        self._consumer.subscribe([self.config.kafka.topic], on_assign=self._on_assign, on_revoke=self._on_revoke)

    def _resubscribe(self) -> None:
        # librdkafka does not rejoin the group when a subscribed topic it saw
        # vanish comes back (measured with Tansu): leaving and subscribing
        # again makes it fetch fresh metadata and rejoin with the partitions.
        self._consumer.unsubscribe()
        self._subscribe()

    async def _keep_topic(self) -> None:
        """Re-create the topic when the broker has lost it, then rejoin the group.

        A Tansu broker with memory storage comes back from a restart with no
        topics; the group then assigns this worker nothing.  The worker owns its
        topic (``runconsumer`` creates it; the HTTP side never auto-creates it,
        see ``bridge/publisher.py``), so it creates it again with the configured
        partitions.  Looks at most once per :data:`TOPIC_CHECK_INTERVAL`, and only
        after an empty assignment, which is also what a group with more members
        than partitions gives some of them: then the topic exists and nothing happens.
        """
        while True:
            await self._unassigned.wait()
            self._unassigned.clear()
            try:
                if await asyncio.to_thread(self._restore_topic):
                    await self._kafka(self._resubscribe)
            except DevStackError as exc:
                self._complaints.warning("cannot check topic %s: %s; will look again", self.config.kafka.topic, exc)
                if not await self._kafka(self._consumer.assignment):
                    self._unassigned.set()
            await asyncio.sleep(TOPIC_CHECK_INTERVAL)

    def _restore_topic(self) -> bool:
        """Create the topic if the broker does not know it; whether it was missing. Blocks: run it in a thread."""
        kafka = self.config.kafka
        known = topic_partitions(kafka.bootstrap_servers, kafka.topic, TOPIC_CHECK_INTERVAL, client_config=kafka.extra)
        if known is not None:
            return False
        created = ensure_topic(
            kafka.bootstrap_servers, kafka.topic, kafka.partitions, TOPIC_CHECK_INTERVAL, client_config=kafka.extra
        )
        log.warning(
            "topic %s was missing from the broker; %s; rejoining the group",
            kafka.topic,
            f"created it with {kafka.partitions} partitions" if created else "another client has just created it",
        )
        return True

    async def _report_stats(self) -> None:
        last = 0
        while True:
            await asyncio.sleep(self.options.stats_interval)
            if self.stats.replied != last:
                rate = (self.stats.replied - last) / self.options.stats_interval
                last = self.stats.replied
                log.info(
                    "replied %d (%.0f/s), in flight %d, malformed %d, expired %d",
                    self.stats.replied,
                    rate,
                    len(self._tasks),
                    self.stats.malformed,
                    self.stats.expired,
                )
