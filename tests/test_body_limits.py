"""A body over the limit is refused before it is read (issue 16, point 7).

On its declared ``Content-Length`` the answer comes at once, with nothing of the body sent; a
chunked body is cut off as soon as it passes the limit. Either way the answer is the Pay1st
envelope (``REQUEST_TOO_LARGE``), the call is in the journal, and the connection closes, since
the rest of the body was never read. Raw sockets, so the test controls every byte sent.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest
import requests

from pay1st_mock.config import MEMORY, Settings
from pay1st_mock.server import MockServer
from tests.support import AUTH, SANDBOX, basic

LIMIT = 65536
ANSWER_WITHIN_S = 5.0  # the refusal is immediate; without it the server waits for the body


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(Settings(data=MEMORY, max_body_bytes=LIMIT)) as running:
        yield running


def _connect(server: MockServer) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=ANSWER_WITHIN_S)


def _read_answer(connection: socket.socket) -> tuple[str, dict[str, str], bytes]:
    """Read until the server closes; return the status line, headers and body."""
    received = b""
    while True:
        chunk = connection.recv(65536)  # a timeout here means: not answered
        if not chunk:
            break
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in
               (line.partition(":") for line in lines)}
    return status, headers, body


def _token_headers(server: MockServer, framing: str) -> bytes:
    host = server.url.removeprefix("http://")
    return (f"POST /api/pay1st/auth/token HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: {basic(SANDBOX['api_key'], SANDBOX['api_secret'])}\r\n"
            f"Content-Type: {AUTH}\r\n{framing}\r\n\r\n").encode()


def _assert_refused(status: str, headers: dict[str, str], body: bytes) -> None:
    assert status.startswith("HTTP/1.1 400"), status
    assert headers.get("connection") == "close"
    answer = json.loads(body)
    assert answer["errorCode"] == "REQUEST_TOO_LARGE"
    assert f"larger than {LIMIT} bytes" in answer["errorMessage"]


def test_a_declared_100_mb_body_is_refused_before_any_of_it_is_sent(server: MockServer) -> None:
    with _connect(server) as connection:
        connection.sendall(_token_headers(server, "Content-Length: 104857600"))
        status, headers, body = _read_answer(connection)  # no body byte was sent
    _assert_refused(status, headers, body)
    entry = requests.get(f"{server.url}/_mock/journal", params={"limit": 1},
                         timeout=10).json()["entries"][0]
    assert entry["status"] == 400 and entry["path"] == "/api/pay1st/auth/token"
    assert entry["requestBody"] == "<104857600 bytes: over the limit, not kept>"


def test_a_chunked_body_is_cut_off_once_it_passes_the_limit(server: MockServer) -> None:
    chunk = b"x" * 8192
    with _connect(server) as connection:
        connection.sendall(_token_headers(server, "Transfer-Encoding: chunked"))
        # Twice the limit, then silence: no last chunk. The server answers at the limit and
        # drops the rest (the answer survives: no reset for the bytes it never parsed).
        for _ in range(2 * LIMIT // len(chunk)):
            connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        status, headers, body = _read_answer(connection)
    _assert_refused(status, headers, body)


def test_a_client_that_sends_its_whole_large_body_still_gets_the_answer(
        server: MockServer) -> None:
    """requests sends all 10 MB before it reads; the answer must not be lost to a reset."""
    answer = requests.post(f"{server.url}/api/pay1st/auth/token", data=b"x" * 10_000_000,
                           timeout=10, headers={"Authorization": basic(SANDBOX["api_key"],
                                                                       SANDBOX["api_secret"]),
                                                "Content-Type": AUTH})
    assert answer.status_code == 400
    assert answer.json()["errorCode"] == "REQUEST_TOO_LARGE"


def test_a_body_within_the_limit_is_still_read(server: MockServer) -> None:
    padded = json.dumps({"role": "API_USER", "pad": "x" * (LIMIT - 100)})
    answer = requests.post(f"{server.url}/api/pay1st/auth/token", data=padded, timeout=10,
                           headers={"Authorization": basic(SANDBOX["api_key"],
                                                           SANDBOX["api_secret"]),
                                    "Content-Type": AUTH})
    assert answer.status_code == 200, answer.text
