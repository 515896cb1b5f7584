"""The attack's HTTP client against scripted servers in this process (gevent sockets, nothing monkey-patched)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import gevent
import pytest
from gevent.server import StreamServer
from gevent.socket import socket as GeventSocket

from bridge.loadtest.client import Client, Reply
from bridge.loadtest.recorder import BODY, DIAL, HEADERS, MalformedResponse, ServerClosed

OK = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ID": 42}\n'

Handler = Callable[[GeventSocket, tuple[str, int]], None]


@contextmanager
def serving(handler: Handler) -> Iterator[tuple[Client, list[int]]]:
    """A server running ``handler`` per connection, a Client for it, and the count of connections so far."""
    connections = [0]

    def counted(sock: GeventSocket, address: tuple[str, int]) -> None:
        connections[0] += 1
        handler(sock, address)

    server = StreamServer(("127.0.0.1", 0), counted)
    server.start()
    try:
        with gevent.Timeout(10):  # every test is bounded, whatever the server does
            yield Client("127.0.0.1", server.server_port), connections
    finally:
        server.stop(timeout=1)


def _read_request(sock: GeventSocket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return data
        data += chunk
    return data


def _answer(*responses: bytes, close: bool = False, pieces: int = 0) -> Handler:
    """Answer each request on a connection with the next response, in ``pieces``-byte writes if given."""

    def handler(sock: GeventSocket, _address: tuple[str, int]) -> None:
        for response in responses:
            if not _read_request(sock):
                return
            if pieces:
                for i in range(0, len(response), pieces):
                    sock.sendall(response[i : i + pieces])
                    gevent.sleep(0)
            else:
                sock.sendall(response)
        if close:
            sock.close()
        else:
            _read_request(sock)  # hold the connection until the client lets go

    return handler


def test_a_response_in_one_byte_pieces_parses_whole() -> None:
    with serving(_answer(OK, pieces=1)) as (client, _):
        reply = Reply()
        client.get("/inquiry/42", reply)
    assert (reply.status_code, reply.reason, bytes(reply.body), reply.stage) == (200, "OK", b'{"ID": 42}\n', BODY)
    assert reply.fields == [("Content-Type", "application/json"), ("Content-Length", "11")]


def test_the_request_is_a_plain_keep_alive_get() -> None:
    seen: list[bytes] = []

    def handler(sock: GeventSocket, _address: tuple[str, int]) -> None:
        seen.append(_read_request(sock))
        sock.sendall(OK)

    with serving(handler) as (client, _):
        client.get("/inquiry/7", Reply())
    assert seen == [
        f"GET /inquiry/7 HTTP/1.1\r\nHost: {client.target}\r\nUser-Agent: locust-open-model\r\n\r\n".encode()
    ]


def test_chunked_body_and_interim_response() -> None:
    response = (
        b"HTTP/1.1 100 Continue\r\nX-Interim: yes\r\n\r\n"
        b"HTTP/1.1 504 Gateway Time-out\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n"
        b"4\r\nwait\r\n3\r\ned.\r\n0\r\n\r\n"
    )
    with serving(_answer(response)) as (client, _):
        reply = Reply()
        client.get("/", reply)
    assert (reply.status_code, reply.reason, bytes(reply.body)) == (504, "Gateway Time-out", b"waited.")
    assert reply.fields == [("Transfer-Encoding", "chunked"), ("X-A", "1")]


def test_a_body_ended_by_closing_the_connection() -> None:
    with serving(_answer(b"HTTP/1.0 200 OK\r\n\r\nuntil the end", close=True)) as (client, _):
        reply = Reply()
        client.get("/", reply)
    assert (reply.status_code, bytes(reply.body)) == (200, b"until the end")


def test_connections_are_kept_alive_and_reused() -> None:
    with serving(_answer(OK, OK, OK)) as (client, connections):
        for _ in range(3):
            client.get("/", Reply())
        assert connections[0] == 1


def test_a_connection_the_server_closed_while_idle_is_retried_on_a_new_one() -> None:
    with serving(_answer(OK, close=True)) as (client, connections):
        client.get("/", Reply())
        gevent.sleep(0.05)  # the server has closed the idle connection by now
        reply = Reply()
        client.get("/", reply)
        assert (reply.status_code, connections[0]) == (200, 2)


def test_connection_close_is_honoured() -> None:
    closing = OK.replace(b"Content-Length", b"Connection: close\r\nContent-Length")
    with serving(_answer(closing, close=True)) as (client, connections):
        client.get("/", Reply())
        client.get("/", Reply())
        assert connections[0] == 2


def _hang_up(sock: GeventSocket, _address: tuple[str, int]) -> None:
    _read_request(sock)  # read first: closing with unread data would reset the connection instead
    sock.close()


def test_no_answer_on_a_new_connection_is_eof() -> None:
    with serving(_hang_up) as (client, _):
        reply = Reply()
        with pytest.raises(ServerClosed) as raised:
            client.get("/", reply)
    assert (raised.value.partial, reply.stage) == (False, HEADERS)


def test_half_an_answer_is_unexpected_eof() -> None:
    with serving(_answer(OK[:-4], close=True)) as (client, _):
        reply = Reply()
        with pytest.raises(ServerClosed) as raised:
            client.get("/", reply)
    assert (raised.value.partial, reply.stage) == (True, BODY)


def test_garbage_is_a_malformed_response() -> None:
    with serving(_answer(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")) as (client, _), pytest.raises(MalformedResponse):
        client.get("/", Reply())


def test_refused_connection_fails_while_dialling() -> None:
    server = StreamServer(("127.0.0.1", 0), lambda *_: None)
    server.start()
    port = server.server_port
    server.stop()  # the port is free now: connecting is refused
    reply = Reply()
    with gevent.Timeout(10), pytest.raises(ConnectionRefusedError):
        Client("127.0.0.1", port).get("/", reply)
    assert reply.stage == DIAL
