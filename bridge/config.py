"""The bridge's settings: one typed object per external system, built from the environment once.

``pocsite/settings.py`` calls :func:`load` and keeps the result as ``settings.BRIDGE``;
nothing else in the project reads the environment for these values.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from bridge.durations import parse_duration

WAIT_STRATEGIES = ("pubsub", "poll")


class ConfigError(ValueError):
    """A setting from the environment has a value the bridge cannot use."""


@dataclass(frozen=True)
class KafkaConfig:
    """Where the broker is and how to speak to it."""

    bootstrap_servers: str = "127.0.0.1:9092"
    topic: str = "poc-test"
    partitions: int = 4
    group: str = "poc-consumer"
    # How long a produced message may wait for the broker before the HTTP request fails with 503.
    delivery_timeout: float = 2.0
    # Tansu never wakes a fetch long-poll early, so the consumer's latency floor is about half this.
    fetch_wait_ms: int = 2
    # How long the producer gathers requests into one batch.  Tansu's cost grows with the number of
    # record batches in a topic; 25 ms kept it flat at 1000 req/s (see the README's figures).
    linger_ms: int = 25
    # Extra librdkafka properties (security.protocol, sasl.*, ssl.*), from KAFKA_CONFIG_* variables.
    extra: Mapping[str, str] = field(default_factory=dict)

    def client_config(self) -> dict[str, str]:
        """Properties common to every librdkafka client of the bridge."""
        return {"bootstrap.servers": self.bootstrap_servers, **self.extra}

    def __repr__(self) -> str:
        # Credentials live in ``extra``: never let them reach a log line.
        return f"KafkaConfig(bootstrap_servers={self.bootstrap_servers!r}, topic={self.topic!r}, group={self.group!r})"


@dataclass(frozen=True)
class RedisConfig:
    """Where Redis is; the URL may carry a password and ``rediss://`` for TLS."""

    url: str = "redis://127.0.0.1:6379/0"
    connect_timeout: float = 1.0
    key_prefix: str = "bridge"

    def reply_key(self, correlation_id: str) -> str:
        """The key under which the worker stores the reply to one request."""
        return f"{self.key_prefix}:reply:{correlation_id}"

    def reply_channel(self, instance: str) -> str:
        """The pub/sub channel on which one HTTP process hears about its replies."""
        return f"{self.key_prefix}:replies:{instance}"

    def __repr__(self) -> str:
        return f"RedisConfig(url={redact_url(self.url)!r}, key_prefix={self.key_prefix!r})"


@dataclass(frozen=True)
class BridgeConfig:
    """Everything the HTTP side and the consumer need, in one object."""

    kafka: KafkaConfig = field(default_factory=KafkaConfig)
    redis: RedisConfig = field(default_factory=RedisConfig)
    # How long an HTTP request waits for its reply before answering 504.
    timeout: float = 10.0
    # How a waiting request learns that its reply is there: "pubsub" or "poll".
    wait: str = "pubsub"
    # The seed polled every 500 ms; only used by the "poll" strategy.
    poll_interval: float = 0.5
    # How long a reply stays readable in Redis after the consumer wrote it.
    reply_ttl: float = 60.0
    # Requests one HTTP process holds at once; more are turned away with 503 and Retry-After.
    max_in_flight: int = 20000


def client_name(role: str) -> str:
    """The name a process gives its Redis connections (``CLIENT LIST`` shows it): role and pid."""
    return f"bridge-{role}-{os.getpid()}"


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***``, for logs."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    userinfo, _, hostpart = rest.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:***@{hostpart}"


def _positive_seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = parse_duration(raw) if not _is_number(raw) else float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r}: {exc}") from None
    if value <= 0:
        raise ConfigError(f"{name}={raw!r}: must be greater than zero")
    return value


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: not a whole number") from None
    if value <= 0:
        raise ConfigError(f"{name}={raw!r}: must be greater than zero")
    return value


def _non_negative_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise ConfigError(f"{name}={raw!r}: not a whole number of zero or more")
    return int(raw)


def _is_number(raw: str) -> bool:
    try:
        float(raw)
    except ValueError:
        return False
    return True


def load(env: Mapping[str, str] | None = None) -> BridgeConfig:
    """Build the configuration from environment variables (``os.environ`` by default).

    Durations accept Go-style values (``10s``, ``250ms``) or plain seconds (``10``).
    Raises :class:`ConfigError` naming the variable when a value is unusable.
    """
    env = os.environ if env is None else env
    wait = env.get("BRIDGE_WAIT", "pubsub") or "pubsub"
    if wait not in WAIT_STRATEGIES:
        raise ConfigError(f"BRIDGE_WAIT={wait!r}: choose one of {', '.join(WAIT_STRATEGIES)}")
    extra = {
        key[len("KAFKA_CONFIG_") :].lower().replace("_", "."): value
        for key, value in env.items()
        if key.startswith("KAFKA_CONFIG_")
    }
    kafka = KafkaConfig(
        bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS") or KafkaConfig.bootstrap_servers,
        topic=env.get("BRIDGE_TOPIC") or KafkaConfig.topic,
        partitions=_positive_int(env, "BRIDGE_PARTITIONS", KafkaConfig.partitions),
        group=env.get("BRIDGE_GROUP") or KafkaConfig.group,
        delivery_timeout=_positive_seconds(env, "BRIDGE_DELIVERY_TIMEOUT", KafkaConfig.delivery_timeout),
        fetch_wait_ms=_positive_int(env, "BRIDGE_FETCH_WAIT_MS", KafkaConfig.fetch_wait_ms),
        linger_ms=_non_negative_int(env, "BRIDGE_LINGER_MS", KafkaConfig.linger_ms),
        extra=extra,
    )
    redis = RedisConfig(
        url=env.get("REDIS_URL") or RedisConfig.url,
        key_prefix=env.get("BRIDGE_KEY_PREFIX") or RedisConfig.key_prefix,
    )
    return BridgeConfig(
        kafka=kafka,
        redis=redis,
        timeout=_positive_seconds(env, "BRIDGE_TIMEOUT", BridgeConfig.timeout),
        wait=wait,
        poll_interval=_positive_seconds(env, "BRIDGE_POLL_INTERVAL", BridgeConfig.poll_interval),
        reply_ttl=_positive_seconds(env, "BRIDGE_REPLY_TTL", BridgeConfig.reply_ttl),
        max_in_flight=_positive_int(env, "BRIDGE_MAX_IN_FLIGHT", BridgeConfig.max_in_flight),
    )
