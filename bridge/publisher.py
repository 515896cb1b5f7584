"""Publishing requests to Kafka from the event loop without blocking it.

librdkafka batches and sends in its own threads; producing only queues.  Its
cost is per call, not per message (each call wakes librdkafka's broker
thread), so requests of one event-loop turn are handed over together with
``produce_batch``.  Delivery reports are asked for failures only and arrive
through ``poll()``, which one thread per process calls: no request ever waits
on a thread of its own, and a successful send costs no hop back to the loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

from confluent_kafka import KafkaError, KafkaException, Producer

from bridge.config import KafkaConfig

log = logging.getLogger("bridge.publisher")

#: Called on the event loop with a message's key (the request's correlation id) and why it was not delivered.
FailureCallback = Callable[[str, str], None]


class BrokerUnavailable(Exception):
    """The request could not be handed to Kafka, or Kafka did not take it in time."""


class Publisher:
    """Produces request messages to the configured topic; one per HTTP process."""

    def __init__(self, config: KafkaConfig, loop: asyncio.AbstractEventLoop, on_failure: FailureCallback) -> None:
        self._config = config
        self._loop = loop
        self._on_failure = on_failure
        timeout_ms = int(config.delivery_timeout * 1000)
        self._producer = Producer(
            {
                **config.client_config(),
                "client.id": "inquiry-bridge-http",
                # Fail a message the broker has not acknowledged in time: the
                # client gets 503 quickly instead of waiting for its deadline.
                "message.timeout.ms": timeout_ms,
                "socket.connection.setup.timeout.ms": max(1000, timeout_ms),
                # The consumer owns the topic and its partition count (it re-creates
                # it if the broker loses it); a broker that auto-creates topics must
                # not make one here with its own defaults, nor for a mistyped name.
                "allow.auto.create.topics": False,
                "delivery.report.only.error": True,
                "linger.ms": config.linger_ms,
                "acks": "1",
                "queue.buffering.max.messages": 500_000,
            }
        )
        self._batch: list[dict] = []
        self._running = True
        self._thread = threading.Thread(target=self._poll_forever, name="kafka-delivery", daemon=True)
        self._thread.start()

    def publish(self, key: str, value: bytes) -> None:
        """Queue ``value`` under ``key`` (a correlation id); the failure callback gets ``key`` if it is never delivered.

        Messages queued in one event-loop turn go to librdkafka together at the end of the turn.
        """
        if not self._batch:
            self._loop.call_soon(self._flush)
        self._batch.append({"key": key, "value": value})

    def _flush(self) -> None:
        batch, self._batch = self._batch, []
        try:
            queued = self._producer.produce_batch(self._config.topic, batch, on_delivery=self._delivered)
        except BufferError:
            queued = 0
            reason = "the Kafka send queue is full"
        except KafkaException as exc:
            queued = 0
            reason = f"Kafka refused the request: {exc.args[0].str()}"
        else:
            reason = "Kafka refused the request"
        if queued == len(batch):
            return
        for message in batch:
            if queued == 0 or "_error" in message:
                self._on_failure(message["key"], str(message.get("_error", reason)))

    def _delivered(self, err: KafkaError | None, msg) -> None:
        # Runs on the delivery thread, for failed messages only.
        if err is not None:
            self._loop.call_soon_threadsafe(
                self._on_failure, msg.key().decode(), f"Kafka did not accept the request: {err.str()}"
            )

    def _poll_forever(self) -> None:
        while self._running:
            self._producer.poll(0.05)

    def close(self, timeout: float = 5.0) -> int:
        """Send what is queued (waiting up to ``timeout`` seconds) and stop; returns messages left unsent."""
        if self._batch:
            self._flush()
        left = self._producer.flush(timeout)
        self._running = False
        self._thread.join(timeout=1.0)
        return left
