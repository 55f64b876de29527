"""Idle or slow connections cannot stop the server serving anyone (issue 16, point 2).

A partner's keep-alive pool, a browser or a scanner may hold many connections open and silent.
The server admits thousands, closes one that stays silent for ``server.idle_timeout_seconds``,
and when it nears its limit closes the longest idle first, so a new caller is served at once.
Latency is measured in ``bench/reliability`` (connections); the bounds here are generous.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import requests
from flask import Flask

from pay1st_mock.config import MEMORY, Settings
from pay1st_mock.process import ServerProcess
from pay1st_mock.server import HttpServer, MockServer
from tests.support import AUTH, SANDBOX, basic

IDLE_SOCKETS = 1000
ANSWER_BOUND_S = 2.0  # generous: bench/reliability measures the 100 ms target


def _enough_open_files(needed: int) -> None:
    """Let this process hold ``needed`` sockets (raise the soft limit, or skip)."""
    resource = pytest.importorskip("resource")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            pytest.skip(f"the open-files limit ({hard}) is below the {needed} sockets needed")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


@contextlib.contextmanager
def open_sockets(address: tuple[str, int], count: int,
                 first_bytes: bytes = b"") -> Iterator[list[socket.socket]]:
    """``count`` connections to ``address``, each having sent ``first_bytes`` (then silent)."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            connection = socket.create_connection(address, timeout=10)
            if first_bytes:
                connection.sendall(first_bytes)
            sockets.append(connection)
        yield sockets
    finally:
        for connection in sockets:
            connection.close()


def _timed(call: Callable[[], requests.Response]) -> tuple[requests.Response, float]:
    started = time.perf_counter()
    response = call()
    return response, time.perf_counter() - started


def _token_call(url: str) -> requests.Response:
    return requests.post(f"{url}/api/pay1st/auth/token", data='{"role":"API_USER"}',
                         headers={"Authorization": basic(SANDBOX["api_key"],
                                                         SANDBOX["api_secret"]),
                                  "Content-Type": AUTH}, timeout=ANSWER_BOUND_S)


def _closed_by_server(connection: socket.socket, within: float) -> bool:
    """Whether the server closes ``connection`` within ``within`` seconds."""
    connection.settimeout(within)
    try:
        while connection.recv(4096):
            pass  # the answer to a request sent earlier, then the end
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True
    return True


@pytest.mark.slow
def test_health_and_a_token_call_answer_while_1000_idle_and_slow_connections_are_open() -> None:
    _enough_open_files(IDLE_SOCKETS + 200)
    with ServerProcess("--data", MEMORY) as server:
        address = server.address
        url = server.wait_for_url()
        # Half say nothing at all; half are slow: a request line and a header, never finished.
        with open_sockets(address, IDLE_SOCKETS // 2), \
                open_sockets(address, IDLE_SOCKETS // 2,
                             b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n"):
            health, health_s = _timed(lambda: requests.get(f"{url}/_mock/health",
                                                           timeout=ANSWER_BOUND_S))
            token, token_s = _timed(lambda: _token_call(url))
        assert health.status_code == 200 and health_s < ANSWER_BOUND_S
        assert token.status_code == 200 and token_s < ANSWER_BOUND_S, token.text
        assert server.stop() == 0, server.stderr


@pytest.fixture
def quick_idle_server() -> Iterator[MockServer]:
    with MockServer(Settings(data=MEMORY, idle_timeout_seconds=1)) as server:
        yield server


def test_a_silent_connection_is_closed_after_the_idle_timeout(
        quick_idle_server: MockServer) -> None:
    host, port = quick_idle_server.url.removeprefix("http://").split(":")
    with open_sockets((host, int(port)), 1) as (silent,):
        assert _closed_by_server(silent, within=6), "a silent connection stayed open"


def test_a_kept_alive_connection_is_closed_after_the_idle_timeout(
        quick_idle_server: MockServer) -> None:
    host, port = quick_idle_server.url.removeprefix("http://").split(":")
    request = f"GET /_mock/health HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    with open_sockets((host, int(port)), 1, request) as (kept,):
        assert _closed_by_server(kept, within=6), "an idle keep-alive connection stayed open"


def test_the_idle_timeout_is_a_config_key() -> None:
    from pay1st_mock.config import settings_from_mapping

    settings = settings_from_mapping({"version": 1, "server": {"idle_timeout_seconds": 7}})
    assert settings.idle_timeout_seconds == 7
    assert Settings().idle_timeout_seconds == 30


def test_at_the_limit_the_longest_idle_connections_make_room(app: Flask) -> None:
    server = HttpServer(app, "127.0.0.1", 0, connection_limit=40)
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        address = ("127.0.0.1", server.port)
        with open_sockets(address, 30) as oldest, open_sockets(address, 30):
            health, took = _timed(lambda: requests.get(f"{server.url}/_mock/health",
                                                       timeout=ANSWER_BOUND_S))
            assert health.status_code == 200 and took < ANSWER_BOUND_S
            assert server.open_connections <= 40
            closed = sum(_closed_by_server(s, within=0.5) for s in oldest[:10])
            assert closed == 10, "the longest idle connections were not the ones closed"
    finally:
        server.stop()
        thread.join(5)
