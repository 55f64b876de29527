"""The connection-exhaustion run: 1,000 idle or slow connections must not stop the server
serving anyone (issue 16, point 2), and the server closes them on its idle timeout.

Against ``serve --data :memory:`` with ``server.idle_timeout_seconds = 5``: first the latency of
``GET /_mock/health`` and of a token call, each on a fresh connection (a new client), with no
other connection open; then the same with 500 silent connections and 500 slow ones (a request
line and one header, never finished) open. Target: every call answers within 100 ms. Then the
time until the server has closed all 1,000 (target: the timeout plus its check interval).
"""

from __future__ import annotations

import http.client
import socket
import tempfile
import time
from pathlib import Path

from gateway import API_KEY, API_SECRET, AUTH_MEDIA_TYPE, TOKEN_PATH
from harness import Context, Metric, percentile

from pay1st_mock.process import ServerProcess

from .settings import TOKEN_BODY
from .signing import basic

OPEN_CONNECTIONS = 1000
CALLS, CALLS_QUICK = 200, 50  # timed calls of each kind, per phase
ANSWER_TARGET_MS = 100.0
IDLE_TIMEOUT_S = 5  # the run's server.idle_timeout_seconds
CLOSE_TARGET_S = IDLE_TIMEOUT_S + 2 + 1  # + the check interval (timeout // 4, at least 1 s) + 1


def _raise_open_files(needed: int) -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))


def _timed_call(address: tuple[str, int], method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> float:
    """One call on a fresh connection; its seconds (a non-2xx is an error)."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection(*address, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise RuntimeError(f"{method} {path} answered {response.status}")
    return time.perf_counter() - started


def _phase(address: tuple[str, int], calls: int) -> tuple[list[float], list[float]]:
    token_headers = {"Authorization": basic(API_KEY, API_SECRET),
                     "Content-Type": AUTH_MEDIA_TYPE}
    health, token = [], []
    for _ in range(calls):
        health.append(_timed_call(address, "GET", "/_mock/health"))
        token.append(_timed_call(address, "POST", TOKEN_PATH, TOKEN_BODY, token_headers))
    return health, token


def _open(address: tuple[str, int], count: int, first: bytes) -> list[socket.socket]:
    opened = []
    for _ in range(count):
        connection = socket.create_connection(address, timeout=10)
        if first:
            connection.sendall(first)
        opened.append(connection)
    return opened


def _seconds_until_closed(sockets: list[socket.socket], opened_at: float,
                          limit: float) -> float | None:
    """When (seconds after ``opened_at``) the server had closed every socket; None if not."""
    pending = list(sockets)
    deadline = opened_at + limit
    for connection in pending:
        connection.setblocking(False)
    while pending and time.perf_counter() < deadline:
        still = []
        for connection in pending:
            try:
                if connection.recv(4096) == b"":
                    continue  # closed by the server
            except BlockingIOError:
                pass
            except ConnectionResetError:
                continue
            still.append(connection)
        pending = still
        if pending:
            time.sleep(0.05)
    return None if pending else time.perf_counter() - opened_at


def _ms(values: list[float], p: float) -> float:
    return percentile(values, p) * 1000


def connections(ctx: Context) -> list[Metric]:
    """Health and token latency with 1,000 idle and slow connections open; their closing."""
    calls = CALLS_QUICK if ctx.quick else CALLS
    _raise_open_files(OPEN_CONNECTIONS + 500)
    with tempfile.TemporaryDirectory(prefix="pay1st-conn-") as tmp:
        config = Path(tmp) / "mock.toml"
        config.write_text(f"version = 1\n[server]\nidle_timeout_seconds = {IDLE_TIMEOUT_S}\n",
                          encoding="utf-8")
        with ServerProcess("--data", ":memory:", "--config", str(config)) as server:
            server.wait_healthy()
            address = server.address
            alone_health, alone_token = _phase(address, calls)
            silent = _open(address, OPEN_CONNECTIONS // 2, b"")
            slow = _open(address, OPEN_CONNECTIONS // 2,
                         b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            opened_at = time.perf_counter()
            busy_health, busy_token = _phase(address, calls)
            closed_after = _seconds_until_closed(silent + slow, opened_at, 3 * CLOSE_TARGET_S)
            for connection in silent + slow:
                connection.close()
            server.stop()
    worst = max(busy_health + busy_token) * 1000
    ctx.details["reliability_connections"] = {
        "open_connections": OPEN_CONNECTIONS, "calls_per_kind": calls,
        "alone_ms": {"health_p50": _ms(alone_health, 50), "token_p50": _ms(alone_token, 50)},
        "with_open_ms": {"health_p50": _ms(busy_health, 50), "health_p95": _ms(busy_health, 95),
                         "health_max": max(busy_health) * 1000,
                         "token_p50": _ms(busy_token, 50), "token_p95": _ms(busy_token, 95),
                         "token_max": max(busy_token) * 1000},
        "idle_timeout_s": IDLE_TIMEOUT_S, "all_closed_after_s": closed_after,
    }
    return [
        Metric(f"connections: {OPEN_CONNECTIONS:,} idle and slow connections open "
               f"({calls} calls of each kind, each on a new connection)", None, ""),
        Metric("  GET /_mock/health p50 with no other connection open", _ms(alone_health, 50),
               "ms"),
        Metric("  GET /_mock/health p50 with them open", _ms(busy_health, 50), "ms"),
        Metric("  token call p50 with no other connection open", _ms(alone_token, 50), "ms"),
        Metric("  token call p50 with them open", _ms(busy_token, 50), "ms"),
        Metric("  health and token p95 with them open",
               max(_ms(busy_health, 95), _ms(busy_token, 95)), "ms"),
        Metric("  slowest answer with them open", worst, "ms", ANSWER_TARGET_MS),
        Metric(f"  all {OPEN_CONNECTIONS:,} closed by the server (idle timeout "
               f"{IDLE_TIMEOUT_S} s) after", closed_after if closed_after is not None
               else float("nan"), "s", CLOSE_TARGET_S),
    ]
