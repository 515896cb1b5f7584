"""Bad input on the real HTTP endpoint, as raw bytes: never a 500, never a stack trace, always JSON.

Property-based (hypothesis) over ids of every length and character class,
percent-encoded slashes and NULs, paths of up to 20 KB, odd and huge headers
and Host values.  The only answers that are not the bridge's JSON come from
daphne's HTTP parser (Twisted) before the request reaches Django:

* a bare ``400 Bad Request`` with no body for bytes Twisted cannot parse (a
  space in the target, a header line without a colon, more than 500 headers or
  more than 16 KB of headers in all);
* daphne's HTML ``400 Bad Request`` page for a header name or value it rejects
  (control bytes) and for a raw non-ASCII byte in the path or query;
* no answer at all, the connection closed, when a single line (the request
  line or one header) exceeds 16 KB (``LineReceiver.MAX_LENGTH``).

Either way the process goes on serving, which the module checks at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import string
import subprocess
import sys
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from django.http.request import split_domain_port, validate_host
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.devstack import ensure_topic
from bridge.ids import InvalidId, validate_id
from bridge.processes import ROOT

from .processes import bridge_env, start_consumer, start_daphne
from .traffic import health

pytestmark = pytest.mark.integration

# Twisted's limits: one line, all header lines together, and the number of headers.
LINE_LIMIT = 16384
HEADERS_LIMIT = 16384
MAX_HEADERS = 500
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]  # the default of DJANGO_ALLOWED_HOSTS

EXAMPLES = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


def exchange(port: int, data: bytes, timeout: float = 15.0) -> Answer | None:
    """Send ``data`` as it is and read the answer to the end; None if the server closed without one."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        # The server may give up reading; what it wrote, if anything, is still readable.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(data)
        chunks = []
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw:
        return None
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return Answer(status, headers, body)


def http_request(target: bytes, headers: list[tuple[bytes, bytes]] = (), method: bytes = b"GET", host=b"127.0.0.1"):
    lines = [method + b" " + target + b" HTTP/1.1"]
    if host is not None:
        lines.append(b"Host: " + host)
    lines += [name + b": " + value for name, value in headers]
    lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n"


def oversized(data: bytes) -> bool:
    """Whether Twisted may drop this request unanswered or with a bare 400 for its size alone."""
    head = data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    return (
        any(len(line) > LINE_LIMIT - 2 for line in head)
        or sum(len(line) for line in head) > HEADERS_LIMIT - 512
        or len(head) > MAX_HEADERS
    )


def check(answer: Answer | None, data: bytes) -> Answer | None:
    """The invariants of every answer; returns it for further checks."""
    if answer is None:
        assert oversized(data), "no answer to a request of ordinary size"
        return None
    assert answer.status < 500, answer
    assert b"Traceback" not in answer.body and b'File "' not in answer.body
    if from_daphne(answer):
        assert answer.status == 400, answer
        assert answer.body == b"" or b"<footer>Daphne</footer>" in answer.body, answer
        return answer
    assert answer.headers["content-type"] == "application/json", answer
    assert isinstance(answer.json(), dict)
    return answer


def from_daphne(answer: Answer) -> bool:
    """Whether daphne (or Twisted under it) answered by itself, before the request reached Django."""
    content_type = answer.headers.get("content-type")
    return content_type is None or content_type.startswith("text/html")


def _valid(raw: bytes) -> bool:
    try:
        validate_id(raw.decode("ascii"))
    except (UnicodeDecodeError, InvalidId):
        return False
    return True


@pytest.fixture(scope="module")
def port(broker, redis_server):
    """One daphne and one consumer for every example; the daphne must still serve when the module ends."""
    topic = f"bad-input-{os.getpid()}"
    ensure_topic(broker.bootstrap, topic, 4, timeout=15)
    env = bridge_env(broker.bootstrap, redis_server.url, topic, BRIDGE_TIMEOUT="5s")
    consumer = start_consumer(env, group=f"{topic}-group")
    server = start_daphne(env)
    try:
        yield server.port
        assert server.process.proc.poll() is None, "daphne died"
        assert health(server.port)["redis"] == "up"
        answer = exchange(server.port, http_request(b"/inquiry/still-there"))
        assert answer is not None and answer.status == 200 and answer.json()["ID"] == "still-there"
        assert "Traceback" not in server.process.output, server.process.output[-3000:]
    finally:
        server.stop()
        consumer.stop()


@EXAMPLES
@given(raw=st.one_of(st.binary(max_size=300), st.text(max_size=160).map(str.encode)))
def test_any_id_percent_encoded_gets_its_reply_or_a_json_400(port, raw):
    data = http_request(b"/inquiry/" + quote(raw, safe="").encode())
    answer = check(exchange(port, data), data)
    if _valid(raw):
        assert answer.status == 200 and answer.json()["ID"] == raw.decode()
    else:
        assert answer.status == 400 and set(answer.json()) == {"error"}


SEGMENTS = ["%2F", "%2f", "%00", "%2e", "%2E%2E", "..", ".", "/", "//", "%", "%zz", "%C3%A9", "%ff", "%0d%0a", "a", "~"]
paths = st.one_of(
    st.lists(st.sampled_from(SEGMENTS), max_size=40).map(lambda parts: ("/inquiry/" + "".join(parts)).encode()),
    st.binary(max_size=200).map(lambda raw: b"/" + raw.replace(b"\r", b"").replace(b"\n", b"")),
    st.text(max_size=100).map(lambda text: ("/" + quote(text, safe="/:@!$&'()*+,;=")).encode()),
    st.integers(1_000, 20_000).map(lambda n: b"/inquiry/" + b"a" * n),
    st.integers(1_000, 20_000).map(lambda n: b"/" + b"%2F" * (n // 3)),
)


@EXAMPLES
@given(path=paths)
def test_odd_and_long_paths_never_fail_the_server(port, path):
    data = http_request(path)
    answer = check(exchange(port, data), data)
    if answer is not None and not from_daphne(answer):
        assert answer.status in (200, 400, 404)


TOKEN = string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~"
# Framing headers would make the server wait for a body that never comes; Host has a test of its own.
FRAMING = {"content-length", "transfer-encoding", "host", "connection", "upgrade"}
header_names = st.text(alphabet=TOKEN, min_size=1, max_size=40).filter(lambda name: name.lower() not in FRAMING)
header_values = st.one_of(
    st.binary(max_size=300).map(lambda raw: raw.replace(b"\r", b"").replace(b"\n", b"")),
    st.integers(1_000, 40_000).map(lambda n: b"v" * n),
)
header_sets = st.one_of(
    st.lists(st.tuples(header_names.map(str.encode), header_values), max_size=30),
    st.integers(100, 1_000).map(lambda n: [(b"X-%d" % i, b"v") for i in range(n)]),
)


@EXAMPLES
@given(headers=header_sets)
def test_odd_and_huge_headers_never_fail_the_server(port, headers):
    data = http_request(b"/inquiry/headers", headers)
    answer = check(exchange(port, data), data)
    if answer is not None and not from_daphne(answer):
        assert answer.status == 200 and answer.json()["ID"] == "headers"


@EXAMPLES
@given(
    method=st.one_of(
        st.sampled_from(["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"]), st.text(TOKEN, min_size=1)
    )
)
def test_other_methods_get_a_json_405(port, method):
    data = http_request(b"/inquiry/m", method=method.encode())
    answer = check(exchange(port, data), data)
    if method == "GET":
        assert answer.status == 200
    elif not from_daphne(answer):
        assert answer.status == 405 and answer.headers["allow"] == "GET"


hosts = st.one_of(
    st.sampled_from(["localhost", "127.0.0.1", "[::1]", "LOCALHOST", "localhost.", "evil.example", "127.0.0.1:8080"]),
    st.builds(lambda host, port: f"{host}:{port}", st.sampled_from([*ALLOWED_HOSTS, "evil"]), st.text(max_size=6)),
    st.text(max_size=60),
)


@EXAMPLES
@given(host=hosts)
def test_a_host_outside_allowed_hosts_gets_a_json_400(port, host):
    raw = host.encode("utf-8")
    data = http_request(b"/inquiry/h", host=raw.replace(b"\r", b"").replace(b"\n", b""))
    answer = check(exchange(port, data), data)
    if from_daphne(answer):
        return  # daphne refused the header bytes themselves
    # What Django's own check (HttpRequest.get_host) decides for this Host, as daphne passes it on.
    domain, _ = split_domain_port(raw.replace(b"\r", b"").replace(b"\n", b"").decode("latin-1").strip())
    if domain and validate_host(domain, ALLOWED_HOSTS):
        assert answer.status == 200, answer
    else:
        assert answer.status == 400 and "Host" in answer.json()["error"], answer


def test_a_request_without_host_is_served(port):
    answer = exchange(port, b"GET /inquiry/no-host HTTP/1.0\r\n\r\n")
    assert answer is not None and answer.status == 200 and answer.json()["ID"] == "no-host"


def test_a_websocket_handshake_is_refused_without_a_500(topic, env_for, launch):
    port = launch.daphne(env_for(topic)).port
    data = http_request(
        b"/inquiry/ws",
        [
            (b"Upgrade", b"websocket"),
            (b"Sec-WebSocket-Key", b"dGhlIHNhbXBsZSBub25jZQ=="),
            (b"Sec-WebSocket-Version", b"13"),
        ],
    ).replace(b"Connection: close", b"Connection: Upgrade")
    answer = exchange(port, data)
    assert answer is not None and answer.status == 403


def test_debug_is_off_and_a_500_shows_no_traceback():
    """With no DJANGO_* variables, DEBUG is off and an unexpected error becomes the JSON 500 of handler500."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "BRIDGE_"))}
    script = (
        "import json, django\n"
        "django.setup()\n"
        "from django.conf import settings\n"
        "from django.core.handlers.exception import response_for_exception\n"
        "from django.test import RequestFactory\n"
        "response = response_for_exception(RequestFactory().get('/inquiry/1'), RuntimeError('secret detail'))\n"
        "print(json.dumps([settings.DEBUG, settings.SECRET_KEY, settings.ALLOWED_HOSTS, response.status_code,\n"
        "                  response['Content-Type'], response.content.decode()]))\n"
    )
    env["DJANGO_SETTINGS_MODULE"] = "pocsite.settings"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, timeout=60, check=True
    )
    debug, _, allowed, status, content_type, body = json.loads(done.stdout.decode().splitlines()[-1])
    assert debug is False
    assert allowed == ALLOWED_HOSTS
    assert (status, content_type) == (500, "application/json")
    assert json.loads(body) == {"error": "internal error"}
    env.update(DJANGO_SECRET_KEY="from-the-environment", DJANGO_ALLOWED_HOSTS="api.example, .internal")
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, timeout=60, check=True
    )
    _, secret, allowed, *_ = json.loads(done.stdout.decode().splitlines()[-1])
    assert (secret, allowed) == ("from-the-environment", ["api.example", ".internal"])
