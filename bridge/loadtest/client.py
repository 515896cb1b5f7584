"""A lean HTTP/1.1 GET client on gevent sockets, for an attack's hot path (gevent only: Locust processes).

Like vegeta's default transport it opens as many connections as there are
requests in flight and keeps idle ones alive for reuse; unlike a pooled client
it never queues a request behind a connection limit, which would turn a slow
server into client-side waiting.  Responses are parsed by geventhttpclient's C
parser (llhttp); the request line and headers are prebuilt bytes.  There is no
timeout here: the caller bounds each whole exchange (vegeta's ``-timeout``).
"""

from __future__ import annotations

import socket

import gevent.socket
from geventhttpclient._parser import HTTPParseError, HTTPResponseParser

from bridge.loadtest.recorder import BODY, DIAL, HEADERS, WRITE, MalformedResponse, ServerClosed

_RECV_SIZE = 65536


class Reply(HTTPResponseParser):
    """One response as it is parsed, and how far its exchange got (``stage``, for error texts)."""

    def __init__(self) -> None:
        super().__init__()
        self.stage = DIAL
        self.status_code = 0
        self.reason = ""
        self.fields: list[tuple[str, str]] = []
        self.body = bytearray()
        self.received = False  # any byte of a response seen: then a failure is not safe to retry
        self.complete = False
        self._name = ""
        self._value: str | None = None  # None while a header name is still arriving

    # Callbacks of the C parser.  A name or value may arrive in pieces when it
    # straddles two recv() chunks, hence the joining.
    def _on_message_begin(self) -> None:
        self.fields.clear()  # an interim 1xx response's headers are not the final ones

    def _on_status(self, text: str) -> None:
        self.reason = text

    def _on_header_field(self, text: str) -> None:
        if self._value is not None:
            self.fields.append((self._name, self._value))
            self._name, self._value = text, None
        else:
            self._name += text

    def _on_header_value(self, text: str) -> None:
        self._value = text if self._value is None else self._value + text

    def _on_headers_complete(self) -> bool:
        if self._value is not None:
            self.fields.append((self._name, self._value))
        self._name, self._value = "", None
        self.status_code = self.get_code()
        self.stage = BODY
        return False  # a GET's response has a body to read

    def _on_body(self, chunk: bytes) -> None:
        self.body += chunk

    def _on_message_complete(self) -> None:
        if self.status_code >= 200:  # a 1xx response is followed by the real one
            self.complete = True


class Client:
    """GETs to one ``host:port`` over kept-alive connections; any number at once."""

    def __init__(self, host: str, port: int, user_agent: str = "locust-open-model", idle_limit: int = 10_000) -> None:
        self.target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"  # an IPv6 literal in brackets
        self._address = (host, port)
        self._head = f" HTTP/1.1\r\nHost: {self.target}\r\nUser-Agent: {user_agent}\r\n\r\n".encode("latin-1")
        self._idle: list[gevent.socket.socket] = []  # LIFO: the warmest connection first
        self._idle_limit = idle_limit

    def get(self, path: str, reply: Reply) -> None:
        """Send ``GET path`` and read the whole response into ``reply``.

        Raises one of ``recorder.TRANSPORT_ERRORS`` when there is no complete
        response; ``reply.stage`` then tells where it broke.  A kept-alive
        connection the server had already closed is retried on the next one,
        as Go does for a request that got no byte of answer.
        """
        request = b"GET " + path.encode("ascii") + self._head
        while True:
            reused = bool(self._idle)
            sock = self._idle.pop() if reused else self._connect(reply)
            try:
                reply.stage = WRITE
                sock.sendall(request)
                reply.stage = HEADERS
                self._read(sock, reply)
            except (ServerClosed, ConnectionResetError, BrokenPipeError):
                sock.close()
                if reused and not reply.received:
                    continue  # bounded: each pass takes one idle connection, the last pass a new one
                raise
            except BaseException:
                sock.close()  # a deadline or error mid-exchange leaves it in an unknown state
                raise
            if reply.should_keep_alive() and len(self._idle) < self._idle_limit:
                self._idle.append(sock)
            else:
                sock.close()
            return

    def close(self) -> None:
        """Close the idle connections (those in use close when their exchange ends)."""
        while self._idle:
            self._idle.pop().close()

    def _connect(self, reply: Reply) -> gevent.socket.socket:
        reply.stage = DIAL
        sock = gevent.socket.create_connection(self._address)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # one small write per request: no Nagle wait
        return sock

    @staticmethod
    def _read(sock: gevent.socket.socket, reply: Reply) -> None:
        while not reply.complete:
            data = sock.recv(_RECV_SIZE)
            try:
                reply.feed(data)  # b"" tells the parser the connection ended
            except HTTPParseError as exc:
                if not data:
                    raise ServerClosed(partial=reply.received) from exc
                raise MalformedResponse(str(exc)) from exc
            if not data:
                if reply.complete:  # a body delimited by the end of the connection
                    return
                raise ServerClosed(partial=reply.received)
            reply.received = True
