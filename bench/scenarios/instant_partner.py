"""The instant partner: a raw-socket HTTP/1.1 responder that answers ``200 {}`` at once."""

from __future__ import annotations

import socket

from rawhttp import Responder

_ANSWER = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")


class InstantPartner:
    """HTTP/1.1 on 127.0.0.1:<free port>: ``200 {}`` to any request as soon as it is in.

    One thread per connection, keep-alive (``rawhttp.Responder``); reads the head and a
    ``Content-Length`` body (all the runner sends), nothing else. Runs in the runner's process:
    each request is a GIL hand-off to a thread that was waiting in ``recv``, the same for the
    runner and the bare client.
    """

    def __init__(self) -> None:
        self._server = Responder(self._answer, name="instant-partner", backlog=16)

    @staticmethod
    def _answer(conn: socket.socket, head: bytes, body: bytes) -> None:
        conn.sendall(_ANSWER)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.port}"

    @property
    def requests(self) -> int:
        return self._server.requests

    @property
    def connections(self) -> int:
        return self._server.connections

    def close(self) -> None:
        self._server.close()
