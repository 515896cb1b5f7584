"""``python manage.py runconsumer``: the worker that answers inquiries."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from dataclasses import replace

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from bridge.devstack import DevStackError, ensure_topic
from bridge.durations import duration_argument as duration
from bridge.worker import Worker, WorkerOptions

log = logging.getLogger("bridge.worker")


class Command(BaseCommand):
    help = (
        "Consume inquiry requests from Kafka and write each reply to Redis. "
        "Ctrl+C (or SIGTERM) finishes the messages in flight and exits; a second Ctrl+C exits at once."
    )
    requires_system_checks: list[str] = []
    worker_class = Worker

    def add_arguments(self, parser) -> None:
        bridge = settings.BRIDGE
        parser.add_argument("--broker", default=bridge.kafka.bootstrap_servers, help="Kafka bootstrap servers.")
        parser.add_argument("--topic", default=bridge.kafka.topic, help="Topic to consume (created when missing).")
        parser.add_argument("--group", "--cg", dest="group", default=bridge.kafka.group, help="Consumer group id.")
        parser.add_argument("--redis-url", default=bridge.redis.url, help="Redis to write replies to.")
        parser.add_argument(
            "--min-delay",
            type=duration,
            default=0.0,
            help="Least synthetic delay before replying (Go duration, e.g. 0s, 250ms).",
        )
        parser.add_argument(
            "--max-delay",
            type=duration,
            default=None,
            help="Upper bound of the uniform random delay (default: --min-delay).",
        )
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--async", dest="sync", action="store_false", help="Handle messages concurrently (default).")
        mode.add_argument(
            "--sync",
            dest="sync",
            action="store_true",
            help="Handle one message at a time, like the seed's -async=false.",
        )
        parser.set_defaults(sync=False)
        parser.add_argument(
            "--concurrency", type=int, default=WorkerOptions.concurrency, help="Most messages in flight with --async."
        )
        parser.add_argument(
            "--grace", type=duration, default=WorkerOptions.grace, help="How long a stop waits for messages in flight."
        )

    def handle(self, *args, **options) -> None:
        min_delay = options["min_delay"]
        max_delay = options["max_delay"] if options["max_delay"] is not None else min_delay
        if max_delay < min_delay:
            raise CommandError("--max-delay must not be less than --min-delay")
        if options["concurrency"] < 1:
            raise CommandError("--concurrency must be at least 1")
        bridge = settings.BRIDGE
        config = replace(
            bridge,
            kafka=replace(
                bridge.kafka, bootstrap_servers=options["broker"], topic=options["topic"], group=options["group"]
            ),
            redis=replace(bridge.redis, url=options["redis_url"]),
        )
        worker_options = WorkerOptions(
            min_delay=min_delay,
            max_delay=max_delay,
            concurrency=1 if options["sync"] else options["concurrency"],
            grace=options["grace"],
        )
        try:
            created = ensure_topic(
                config.kafka.bootstrap_servers,
                config.kafka.topic,
                config.kafka.partitions,
                timeout=10,
                client_config=config.kafka.extra,
            )
        except DevStackError as exc:
            raise CommandError(f"cannot reach Kafka at {config.kafka.bootstrap_servers}: {exc}") from None
        if created:
            log.info("created topic %s with %d partitions", config.kafka.topic, config.kafka.partitions)
        asyncio.run(self._run(self.worker_class(config, worker_options)))

    async def _run(self, worker: Worker) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()

        def on_signal(signum: int) -> None:
            if stop.is_set():
                log.warning("second %s: exiting now", signal.Signals(signum).name)
                os._exit(130)
            log.info("%s: finishing messages in flight", signal.Signals(signum).name)
            stop.set()

        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, on_signal, signum)
        await worker.run(stop)
