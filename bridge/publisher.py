"""Publishing requests to Kafka from the event loop without blocking it.

librdkafka batches and sends in its own threads; ``produce()`` only queues.
Delivery reports arrive through ``poll()``, which one thread per process
calls, so no request ever waits on a thread of its own.  A request is told
only about a failed delivery: success needs no hop back to the loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

from confluent_kafka import KafkaError, KafkaException, Producer

from bridge.config import KafkaConfig

log = logging.getLogger("bridge.publisher")

FailureCallback = Callable[[str], None]


class BrokerUnavailable(Exception):
    """The request could not be handed to Kafka, or Kafka did not take it in time."""


class Publisher:
    """Produces request messages to the configured topic; one per HTTP process."""

    def __init__(self, config: KafkaConfig, loop: asyncio.AbstractEventLoop) -> None:
        self._config = config
        self._loop = loop
        timeout_ms = int(config.delivery_timeout * 1000)
        self._producer = Producer(
            {
                **config.client_config(),
                "client.id": "inquiry-bridge-http",
                # Fail a message the broker has not acknowledged in time: the
                # client gets 503 quickly instead of waiting for its deadline.
                "message.timeout.ms": timeout_ms,
                "socket.connection.setup.timeout.ms": max(1000, timeout_ms),
                # A millisecond of lingering batches the burst of one event-loop turn.
                "linger.ms": 1,
                "acks": "1",
                "queue.buffering.max.messages": 500_000,
            }
        )
        self._running = True
        self._thread = threading.Thread(target=self._poll_forever, name="kafka-delivery", daemon=True)
        self._thread.start()

    def publish(self, key: str, value: bytes, on_failure: FailureCallback) -> None:
        """Queue ``value`` for the topic; ``on_failure(reason)`` runs on the loop if it is never delivered.

        Raises :class:`BrokerUnavailable` at once when the local queue is full.
        """

        def delivered(err: KafkaError | None, _msg) -> None:
            if err is not None:
                self._loop.call_soon_threadsafe(on_failure, f"Kafka did not accept the request: {err.str()}")

        try:
            self._producer.produce(self._config.topic, value, key.encode(), on_delivery=delivered)
        except BufferError:
            raise BrokerUnavailable("the Kafka send queue is full") from None
        except KafkaException as exc:
            raise BrokerUnavailable(f"Kafka refused the request: {exc.args[0].str()}") from None

    def _poll_forever(self) -> None:
        while self._running:
            self._producer.poll(0.05)

    def close(self, timeout: float = 5.0) -> int:
        """Send what is queued (waiting up to ``timeout`` seconds) and stop; returns messages left unsent."""
        left = self._producer.flush(timeout)
        self._running = False
        self._thread.join(timeout=1.0)
        return left
