"""The emulator's own HTTP/1.1 server (``pay1st_mock.http_server``), black-box over real sockets.

Small WSGI apps defined here are served on 127.0.0.1 (port 0) by ``HttpServer``; every test runs
once with ``EpollPoller`` (Linux) and once with the portable ``SelectorPoller``. Wire-level cases
use raw sockets (``Wire``), ordinary ones ``requests``. Bounds on time are generous (a shared,
small machine): they tell a hang from an answer, they do not measure speed.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from pay1st_mock.http_pollers import EpollPoller, SelectorPoller
from pay1st_mock.http_server import HttpServer
from pay1st_mock.http_wire import BODY_REFUSED_ENVIRON

HOST = "127.0.0.1"
TIMEOUT_S = 5.0  # any single wait on a socket or a request; a hang fails, it does not stall
THREAD_PREFIX = "pay1st-mock-http-"
PATTERN = bytes(range(256)) * 256  # 64 KiB, for large bodies whose every byte is checked

Environ = dict[str, Any]
StartResponse = Callable[..., Any]

# ---------------------------------------------------------------------------------- the apps

ECHOED_KEYS = ("REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "REQUEST_URI", "SERVER_PROTOCOL",
               "CONTENT_LENGTH", "CONTENT_TYPE", "REMOTE_ADDR", "REMOTE_PORT",
               BODY_REFUSED_ENVIRON)


def echo_app(environ: Environ, start_response: StartResponse) -> list[bytes]:
    """The request as the app saw it, as JSON: selected environ keys, every ``HTTP_*`` key, and
    the body (as latin-1 text, so any bytes survive) with its length."""
    body = environ["wsgi.input"].read()
    report = {key: environ[key] for key in ECHOED_KEYS if key in environ}
    report["headers"] = {key: value for key, value in environ.items()
                         if key.startswith("HTTP_")}
    report["body"] = body.decode("latin-1")
    report["body_length"] = len(body)
    payload = json.dumps(report).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(payload)))])
    return [payload]


def chunks_app(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
    """A generator of chunks (an empty one among them), without Content-Length."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"one,"
    yield b""
    yield b"two,"
    yield b"three"


def no_length_app(environ: Environ, start_response: StartResponse) -> list[bytes]:
    """A list body without Content-Length; the server must frame it."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello ", b"world"]


def raising_app(environ: Environ, start_response: StartResponse) -> list[bytes]:
    raise RuntimeError("the app failed on purpose")


def raising_generator_app(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
    """Fails after its first chunk; ``?declared`` says a Content-Length of 100 first."""
    declared = [("Content-Length", "100")] if environ["QUERY_STRING"] == "declared" else []
    start_response("200 OK", [("Content-Type", "text/plain"), *declared])
    yield b"partial"
    raise RuntimeError("the app failed on purpose, mid-body")


def status_app(environ: Environ, start_response: StartResponse) -> list[bytes]:
    """``/status/<code>``: that status; the body is the query string (usually empty)."""
    code = environ["PATH_INFO"].rsplit("/", 1)[1]
    reasons = {"204": "No Content", "304": "Not Modified"}
    start_response(f"{code} {reasons.get(code, 'Whatever')}", [])
    return [environ["QUERY_STRING"].encode()] if environ["QUERY_STRING"] else []


def big_app(environ: Environ, start_response: StartResponse) -> list[bytes]:
    """``/big?<n>``: n × 64 KiB of ``PATTERN``."""
    count = int(environ["QUERY_STRING"])
    start_response("200 OK", [("Content-Type", "application/octet-stream"),
                              ("Content-Length", str(count * len(PATTERN)))])
    return [PATTERN] * count


class ClosingResult:
    """A WSGI result with ``close()``, which PEP 3333 says the server must call."""

    def __init__(self, closed: threading.Event) -> None:
        self.closed = closed

    def __iter__(self) -> Iterator[bytes]:
        yield b"closing"

    def close(self) -> None:
        self.closed.set()


class Apps:
    """One WSGI app routing by path to the apps above, with per-test state: ``/slow`` blocks
    until ``release`` is set (at most ``TIMEOUT_S``), counting callers inside it."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.result_closed = threading.Event()
        self._lock = threading.Lock()
        self.slow_inside = 0

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ["PATH_INFO"]
        if path == "/slow":
            return self.slow(environ, start_response)
        if path == "/chunks":
            return chunks_app(environ, start_response)
        if path == "/no-length":
            return no_length_app(environ, start_response)
        if path == "/raise":
            return raising_app(environ, start_response)
        if path == "/raise-midway":
            return raising_generator_app(environ, start_response)
        if path.startswith("/status/"):
            return status_app(environ, start_response)
        if path == "/big":
            return big_app(environ, start_response)
        if path == "/closing":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return ClosingResult(self.result_closed)
        return echo_app(environ, start_response)

    def slow(self, environ: Environ, start_response: StartResponse) -> list[bytes]:
        with self._lock:
            self.slow_inside += 1
        try:
            self.release.wait(TIMEOUT_S)
        finally:
            with self._lock:
                self.slow_inside -= 1
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "4")])
        return [b"slow"]


# ---------------------------------------------------------------------------------- fixtures

@pytest.fixture(params=["epoll", "selector"])
def poller_kind(request: pytest.FixtureRequest) -> str:
    if request.param == "epoll" and not hasattr(select, "epoll"):
        pytest.skip("epoll is Linux only")
    return str(request.param)


@pytest.fixture
def serve(poller_kind: str) -> Iterator[Callable[..., HttpServer]]:
    """Start ``HttpServer(app, **options)`` with this run's poller on a daemon thread; every
    server started is stopped after the test, and its thread must have ended."""
    started: list[tuple[HttpServer, threading.Thread]] = []

    def start(app: Any, **options: Any) -> HttpServer:
        poller = EpollPoller() if poller_kind == "epoll" else SelectorPoller()
        server = HttpServer(app, HOST, 0, poller=poller, **options)
        thread = threading.Thread(target=server.serve, daemon=True, name="test-http-serve")
        thread.start()
        started.append((server, thread))
        return server

    yield start
    for server, thread in started:
        server.stop()
        thread.join(TIMEOUT_S)
        assert not thread.is_alive(), "server.stop() did not end the serving thread"


@pytest.fixture
def apps() -> Iterator[Apps]:
    routed = Apps()
    yield routed
    routed.release.set()  # never leave a slow request blocked


@pytest.fixture
def server(serve: Callable[..., HttpServer], apps: Apps) -> HttpServer:
    return serve(apps)


# ---------------------------------------------------------------------------------- helpers

@dataclass
class Reply:
    status: int
    reason: str
    headers: dict[str, str]  # names lower-cased; repeated fields joined with ", "
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Wire:
    """A raw client connection. ``response()`` reads exactly one response, keeping any bytes
    after it (pipelined answers) for the next call."""

    def __init__(self, server: HttpServer, timeout: float = TIMEOUT_S) -> None:
        self.sock = socket.create_connection((HOST, server.port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def __enter__(self) -> Wire:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> bool:
        data = self.sock.recv(65536)
        self.buffer += data
        return bool(data)

    def response(self, method: str = "GET") -> Reply:
        while b"\r\n\r\n" not in self.buffer:
            if not self._fill():
                raise AssertionError(f"the connection closed before a whole response head; "
                                     f"received {self.buffer[:300]!r}")
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        assert lines[0].startswith("HTTP/1.1 "), f"not a status line: {lines[0][:200]!r}"
        _, code, reason = (lines[0] + " ").split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            key = name.strip().lower()
            headers[key] = f"{headers[key]}, {value.strip()}" if key in headers \
                else value.strip()
        status = int(code)
        if method == "HEAD" or status < 200 or status in (204, 304):
            return Reply(status, reason.strip(), headers, b"")
        if "content-length" in headers:
            length = int(headers["content-length"])
            while len(self.buffer) < length:
                if not self._fill():
                    raise AssertionError(f"the connection closed after {len(self.buffer)} of "
                                         f"{length} body bytes")
            body, self.buffer = self.buffer[:length], self.buffer[length:]
        else:
            assert headers.get("connection") == "close", \
                f"a response with neither Content-Length nor Connection: close: {headers}"
            while self._fill():
                pass
            body, self.buffer = self.buffer, b""
        return Reply(status, reason.strip(), headers, body)

    def closed_by_server(self, timeout: float = TIMEOUT_S) -> bool:
        """Whether the server closes (or resets) the connection within ``timeout``, with no
        more bytes sent; any stray bytes fail the test."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return True
        except TimeoutError:
            return False
        finally:
            self.sock.settimeout(TIMEOUT_S)
        assert not data and not self.buffer, \
            f"unexpected bytes where the connection should end: {(self.buffer + data)[:300]!r}"
        return True

    def until_closed(self) -> bytes:
        """Everything the server sends until it closes the connection."""
        with contextlib.suppress(ConnectionResetError):
            while self._fill():
                pass
        data, self.buffer = self.buffer, b""
        return data

    def exchange(self, request: bytes, method: str = "GET") -> Reply:
        self.send(request)
        return self.response(method)


def req(method: str = "GET", target: str = "/", headers: Iterable[str] = (), body: bytes = b"",
        version: str = "HTTP/1.1", host: bool = True) -> bytes:
    """A request's bytes; ``Host`` is added unless ``host`` is False, ``Content-Length`` when
    there is a body and no framing header was given."""
    lines = [f"{method} {target} {version}"]
    if host:
        lines.append("Host: test")
    lines.extend(headers)
    named = {line.split(":", 1)[0].lower() for line in headers}
    if body and not named & {"content-length", "transfer-encoding"}:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def wait_until(predicate: Callable[[], bool], timeout: float = TIMEOUT_S) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def http_threads() -> int:
    return sum(1 for thread in threading.enumerate() if thread.name.startswith(THREAD_PREFIX))


# ---------------------------------------------------------------------------------- keep-alive

def test_many_requests_share_one_keep_alive_connection(server: HttpServer) -> None:
    with Wire(server) as wire:
        ports = set()
        for number in range(25):
            reply = wire.exchange(req("POST", f"/n/{number}", body=f"body {number}".encode()))
            assert reply.status == 200, f"request {number} on the kept connection: {reply}"
            seen = reply.json()
            assert (seen["PATH_INFO"], seen["body"]) == (f"/n/{number}", f"body {number}")
            assert "connection" not in reply.headers, "an HTTP/1.1 answer that keeps the " \
                f"connection needs no Connection header: {reply.headers}"
            ports.add(seen["REMOTE_PORT"])
        assert len(ports) == 1, f"the requests came from several connections: {ports}"
        assert server.open_connections == 1, "one client connection should be open"


def test_a_requests_session_reuses_its_connection(server: HttpServer) -> None:
    with requests.Session() as session:
        ports = {session.get(f"{server.url}/s/{n}", timeout=TIMEOUT_S).json()["REMOTE_PORT"]
                 for n in range(10)}
    assert len(ports) == 1, f"requests.Session opened several connections: {ports}"


def test_http_1_0_closes_after_the_answer_by_default(server: HttpServer) -> None:
    with Wire(server) as wire:
        reply = wire.exchange(req(version="HTTP/1.0", host=False))
        assert reply.status == 200
        assert reply.json()["SERVER_PROTOCOL"] == "HTTP/1.0"
        assert reply.headers.get("connection") == "close", reply.headers
        assert wire.closed_by_server(), "an HTTP/1.0 connection without keep-alive stayed open"


def test_http_1_0_keeps_the_connection_when_asked(server: HttpServer) -> None:
    with Wire(server) as wire:
        first = wire.exchange(req(target="/one", version="HTTP/1.0",
                                  headers=["Connection: keep-alive"]))
        assert first.headers.get("connection") == "keep-alive", \
            f"HTTP/1.0 keep-alive must be confirmed in the answer: {first.headers}"
        second = wire.exchange(req(target="/two", version="HTTP/1.0",
                                   headers=["Connection: Keep-Alive"]))
        assert second.status == 200 and second.json()["PATH_INFO"] == "/two"
        assert first.json()["REMOTE_PORT"] == second.json()["REMOTE_PORT"]


def test_connection_close_closes_after_the_answer(server: HttpServer) -> None:
    with Wire(server) as wire:
        reply = wire.exchange(req(headers=["Connection: close"]))
        assert reply.status == 200
        assert reply.headers.get("connection") == "close", reply.headers
        assert wire.closed_by_server(), "the connection stayed open after Connection: close"


# ---------------------------------------------------------------------------------- framing

def test_pipelined_requests_are_answered_in_order(server: HttpServer) -> None:
    with Wire(server) as wire:
        wire.send(req(target="/first") + req("POST", "/second", body=b"abc")
                  + req("PUT", "/third?x=1", body=b"0123456789"))
        seen = [wire.response().json() for _ in range(3)]
    assert [(s["REQUEST_METHOD"], s["PATH_INFO"], s["body"]) for s in seen] == [
        ("GET", "/first", ""), ("POST", "/second", "abc"), ("PUT", "/third", "0123456789")], \
        "pipelined answers out of order or mixed up"


def test_a_request_split_into_many_small_sends(server: HttpServer) -> None:
    body = b"x" * 3000 + b"end"
    head = req("POST", "/split?a=b", headers=[f"Content-Length: {len(body)}",
                                              "X-Probe: byte by byte"])
    chunked = (b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n")
    with Wire(server) as wire:
        for byte in head:
            wire.send(bytes([byte]))
            time.sleep(0.001)
        for start in range(0, len(body), 500):
            wire.send(body[start:start + 500])
            time.sleep(0.005)
        seen = wire.response().json()
        assert (seen["PATH_INFO"], seen["QUERY_STRING"]) == ("/split", "a=b")
        assert seen["headers"]["HTTP_X_PROBE"] == "byte by byte"
        assert seen["body"].encode("latin-1") == body, "the body sent in pieces arrived changed"

        for byte in req("POST", "/chunked-split", headers=["Transfer-Encoding: chunked"]) \
                + chunked:
            wire.send(bytes([byte]))
            time.sleep(0.001)
        seen = wire.response().json()
        assert seen["body"] == "hello world", "a chunked body sent byte by byte arrived changed"
        assert seen["CONTENT_LENGTH"] == "11"


def test_a_content_length_body_reaches_the_app_whole(server: HttpServer) -> None:
    body = PATTERN * 3 + b"tail"
    reply = requests.post(f"{server.url}/upload", data=body, timeout=TIMEOUT_S,
                          headers={"Content-Type": "application/octet-stream"})
    seen = reply.json()
    assert seen["body_length"] == len(body)
    assert seen["body"].encode("latin-1") == body, "the body reached the app changed"
    assert seen["CONTENT_LENGTH"] == str(len(body))
    assert seen["CONTENT_TYPE"] == "application/octet-stream"
    assert "HTTP_CONTENT_LENGTH" not in seen["headers"], "PEP 3333: CONTENT_LENGTH, no HTTP_"


def test_a_chunked_body_with_extensions_and_trailers_reaches_the_app(server: HttpServer) -> None:
    chunked = (b"4;name=value\r\nWiki\r\n"
               b"5 ; quoted=\"a;b\"\r\npedia\r\n"
               b"e\r\n in\r\n\r\nchunks.\r\n"
               b"0000;last\r\nX-Trailer: one\r\nX-Other: two\r\n\r\n")
    with Wire(server) as wire:
        wire.send(req("POST", "/chunked", headers=["Transfer-Encoding: chunked"]) + chunked
                  + req(target="/after-trailers"))
        seen = wire.response().json()
        body = "Wikipedia in\r\n\r\nchunks."
        assert seen["body"] == body, "the chunked body reached the app changed"
        assert seen["CONTENT_LENGTH"] == str(len(body)), \
            "CONTENT_LENGTH must be the decoded chunked body's length"
        assert "HTTP_TRANSFER_ENCODING" not in seen["headers"]
        after = wire.response().json()
        assert after["PATH_INFO"] == "/after-trailers", \
            "the request after the trailers was not read where the chunked body ended"


def test_a_chunked_body_from_requests_reaches_the_app(server: HttpServer) -> None:
    pieces = [b"first ", PATTERN, b" last"]
    seen = requests.post(f"{server.url}/generated", data=iter(pieces), timeout=TIMEOUT_S).json()
    assert seen["body"].encode("latin-1") == b"".join(pieces)
    assert seen["CONTENT_LENGTH"] == str(len(b"".join(pieces)))


def test_expect_100_continue_is_answered_before_the_body_is_sent(server: HttpServer) -> None:
    with Wire(server) as wire:
        wire.send(req("POST", "/expect", headers=["Expect: 100-continue",
                                                  "Content-Length: 11"]))
        interim = wire.response()
        assert interim.status == 100 and interim.reason == "Continue", \
            f"expected HTTP/1.1 100 Continue before the body, got {interim}"
        assert wire.buffer == b"", f"bytes after 100 Continue: {wire.buffer!r}"
        wire.send(b"hello world")
        final = wire.response()
        assert final.status == 200 and final.json()["body"] == "hello world"

        wire.send(req("POST", "/expect-chunked", headers=["Expect: 100-continue",
                                                          "Transfer-Encoding: chunked"]))
        assert wire.response().status == 100, "no 100 Continue for a chunked body"
        wire.send(b"3\r\nabc\r\n0\r\n\r\n")
        assert wire.response().json()["body"] == "abc"


# ---------------------------------------------------------------------------------- bad requests

OVERSIZED_HEADER = "X-Big: " + "a" * 70000

BAD_REQUESTS = {
    "request line of two words": (b"GET /\r\nHost: t\r\n\r\n", 400),
    "request line of four words": (b"GET / HTTP/1.1 extra\r\nHost: t\r\n\r\n", 400),
    "method not a token": (b"G(T / HTTP/1.1\r\nHost: t\r\n\r\n", 400),
    "not HTTP at all": (b"GET / FTP/1.1\r\nHost: t\r\n\r\n", 400),
    "target not a path": (b"GET nowhere HTTP/1.1\r\nHost: t\r\n\r\n", 400),
    "header line without colon": (req(headers=["NoColonHere"]), 400),
    "space before the colon": (req(headers=["X-Probe : x"]), 400),
    "obsolete line folding": (req(headers=["X-Probe: a", " folded"]), 400),
    "non-numeric Content-Length": (req("POST", headers=["Content-Length: ten"]), 400),
    "signed Content-Length": (req("POST", headers=["Content-Length: +5"]) + b"hello", 400),
    "two different Content-Lengths": (req("POST", headers=["Content-Length: 5",
                                                           "Content-Length: 6"]) + b"hello!",
                                      400),
    "Content-Length and Transfer-Encoding": (
        req("POST", headers=["Content-Length: 5", "Transfer-Encoding: chunked"])
        + b"5\r\nhello\r\n0\r\n\r\n", 400),
    "unsupported Transfer-Encoding": (req("POST", headers=["Transfer-Encoding: gzip"]), 501),
    "gzip then chunked": (req("POST", headers=["Transfer-Encoding: gzip, chunked"]), 501),
    "chunk size not hex": (req("POST", headers=["Transfer-Encoding: chunked"])
                           + b"zz\r\nhello\r\n0\r\n\r\n", 400),
    "chunk data longer than its size": (req("POST", headers=["Transfer-Encoding: chunked"])
                                        + b"3\r\nhello\r\n0\r\n\r\n", 400),
    "HTTP/2.0": (b"GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505),
    "head over 64 KiB": (req(headers=[OVERSIZED_HEADER]), 431),
    "head over 64 KiB, unfinished": (req(headers=[OVERSIZED_HEADER])[:-4], 431),
}


@pytest.mark.parametrize("case", list(BAD_REQUESTS))
def test_a_bad_request_gets_its_status_in_plain_text_then_the_connection_closes(
        server: HttpServer, case: str) -> None:
    data, status = BAD_REQUESTS[case]
    with Wire(server) as wire:
        reply = wire.exchange(data)
        assert reply.status == status, f"{case}: expected {status}, got {reply}"
        assert reply.headers.get("content-type", "").startswith("text/plain"), reply.headers
        assert reply.body.decode().startswith(f"{status} {reply.reason}\n"), reply.body
        assert reply.headers.get("connection") == "close", reply.headers
        assert wire.closed_by_server(), f"{case}: the connection stayed open after {status}"
    assert requests.get(server.url, timeout=TIMEOUT_S).status_code == 200, \
        "the server stopped serving after a bad request"


# ---------------------------------------------------------------------------------- the environ

def test_header_names_with_underscores_are_dropped(server: HttpServer) -> None:
    with Wire(server) as wire:
        seen = wire.exchange(req(headers=["X_Signature: smuggled-before",
                                          "X-Signature: genuine",
                                          "X_SIGNATURE: smuggled-after",
                                          "Content_Type: text/evil"])).json()
    assert seen["headers"]["HTTP_X_SIGNATURE"] == "genuine", \
        "a header spelt with _ reached the app as if spelt with -"
    assert "CONTENT_TYPE" not in seen, "Content_Type was taken for Content-Type"


def test_forwarding_headers_never_reach_the_app(server: HttpServer) -> None:
    forged = {"X-Forwarded-For": "203.0.113.9", "Forwarded": "for=203.0.113.9",
              "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https",
              "X-Forwarded-Port": "443"}
    seen = requests.get(f"{server.url}/who", headers=forged, timeout=TIMEOUT_S).json()
    leaked = [key for key in seen["headers"] if "FORWARDED" in key]
    assert not leaked, f"proxy headers reached the app: {leaked}"
    assert seen["REMOTE_ADDR"] == HOST


def test_repeated_headers_are_joined_with_a_comma(server: HttpServer) -> None:
    with Wire(server) as wire:
        seen = wire.exchange(req(headers=["X-Probe: one", "x-probe: two, three",
                                          "X-PROBE:four"])).json()
    assert seen["headers"]["HTTP_X_PROBE"] == "one, two, three, four"


def test_the_path_is_percent_decoded_as_latin_1_and_the_query_kept_raw(
        server: HttpServer) -> None:
    target = "/a%20b/caf%C3%A9/x%2Fy/100%25?q=a%20b&name=caf%C3%A9&plus=a+b&empty="
    with Wire(server) as wire:
        seen = wire.exchange(req(target=target)).json()
        assert seen["PATH_INFO"] == "/a b/caf\u00c3\u00a9/x/y/100%", \
            "PATH_INFO must be the percent-decoded bytes read as latin-1 (PEP 3333)"
        assert seen["QUERY_STRING"] == "q=a%20b&name=caf%C3%A9&plus=a+b&empty=", \
            "QUERY_STRING must be kept as sent"
        assert seen["REQUEST_URI"] == target
        absolute = wire.exchange(req(target="http://elsewhere.example/abs/olute?k=v")).json()
        assert (absolute["PATH_INFO"], absolute["QUERY_STRING"]) == ("/abs/olute", "k=v"), \
            "an absolute-form target must keep only its path and query"


# ---------------------------------------------------------------------------------- responses

def test_head_gets_no_body(server: HttpServer) -> None:
    with Wire(server) as wire:
        for path in ("/echo", "/chunks"):
            reply = wire.exchange(req("HEAD", path), method="HEAD")
            assert reply.status == 200
            assert wire.buffer == b"", f"HEAD {path} was answered with a body: {wire.buffer!r}"
            after = wire.exchange(req(target="/after-head")).json()
            assert after["PATH_INFO"] == "/after-head", "the connection broke after HEAD"


@pytest.mark.parametrize(("path", "body"), [("/no-length", b"hello world"),
                                            ("/chunks", b"one,two,three")])
def test_a_body_without_content_length_gets_one(server: HttpServer, path: str,
                                                body: bytes) -> None:
    with Wire(server) as wire:
        for _ in range(2):  # the framing holds: the connection serves on
            reply = wire.exchange(req(target=path))
            assert reply.headers.get("content-length") == str(len(body)), reply.headers
            assert reply.body == body
            assert "connection" not in reply.headers, "the connection was not kept"


def test_the_result_close_method_is_called(server: HttpServer, apps: Apps) -> None:
    assert requests.get(f"{server.url}/closing", timeout=TIMEOUT_S).content == b"closing"
    assert apps.result_closed.wait(TIMEOUT_S), "PEP 3333: the server must call result.close()"


@pytest.mark.parametrize("status", [204, 304])
def test_204_and_304_get_no_body_and_no_content_length(server: HttpServer, status: int) -> None:
    with Wire(server) as wire:
        reply = wire.exchange(req(target=f"/status/{status}"))
        assert reply.status == status
        assert "content-length" not in reply.headers, \
            f"a Content-Length was added to a {status}: {reply.headers}"
        after = wire.exchange(req(target="/after")).json()
        assert after["PATH_INFO"] == "/after", f"the connection broke after a {status}"


def test_an_app_that_raises_gets_500_and_the_server_serves_on(server: HttpServer) -> None:
    with Wire(server) as wire:
        reply = wire.exchange(req(target="/raise"))
        assert reply.status == 500, f"an app that raised: {reply}"
        assert reply.headers.get("content-type", "").startswith("text/plain")
        assert reply.headers.get("connection") == "close", reply.headers
        assert wire.closed_by_server(), "the connection stayed open after a 500"
    for _ in range(3):
        assert requests.get(f"{server.url}/ok", timeout=TIMEOUT_S).status_code == 200, \
            "the server stopped serving after the app raised"


def test_an_app_failing_mid_body_after_declaring_its_length_is_seen_cut(
        server: HttpServer) -> None:
    """What a dropped-connection fault relies on: the head and part of the declared body, then
    the connection closes, so the client knows the answer was cut (a 500 would do too)."""
    with Wire(server) as wire:
        wire.send(req(target="/raise-midway?declared"))
        answer = wire.until_closed()
    head, _, body = answer.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 500 "):
        assert head.startswith(b"HTTP/1.1 200 "), answer[:300]
        assert b"\r\ncontent-length: 100\r\n" in head.lower() + b"\r\n", head
        assert len(body) < 100, f"a whole body arrived from an app that failed midway: {body!r}"
    assert requests.get(f"{server.url}/ok", timeout=TIMEOUT_S).status_code == 200


def test_an_app_failing_mid_body_without_a_length_is_not_taken_as_complete(
        server: HttpServer) -> None:
    with Wire(server) as wire:
        wire.send(req(target="/raise-midway"))
        answer = wire.until_closed()
    head = answer.partition(b"\r\n\r\n")[0]
    complete_looking = (head.startswith(b"HTTP/1.1 200 ") and b"content-length" not in
                        head.lower() and b"transfer-encoding" not in head.lower())
    assert not complete_looking, f"a cut answer looks whole: {answer[:300]!r}"


def test_a_large_response_reaches_a_slow_reader_whole(server: HttpServer) -> None:
    count = 96  # 6 MiB
    reader = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        reader.settimeout(TIMEOUT_S)
        reader.connect((HOST, server.port))
        reader.sendall(req(target=f"/big?{count}", headers=["Connection: close"]))
        received = bytearray()
        for _ in range(25):  # slow at first: the server must wait, not give up
            received += reader.recv(8192)
            time.sleep(0.02)
        # Meanwhile the server answers others.
        assert requests.get(f"{server.url}/meanwhile", timeout=TIMEOUT_S).status_code == 200
        while data := reader.recv(1 << 20):
            received += data
    finally:
        reader.close()
    head, _, body = bytes(received).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 "), head[:200]
    assert len(body) == count * len(PATTERN), f"{len(body)} bytes of {count * len(PATTERN)}"
    assert body == PATTERN * count, "the large body arrived changed"


# ---------------------------------------------------------------------------------- body limit

def _keep_sending(wire: Wire, first: bytes, piece: bytes, stop: threading.Event) -> None:
    """Send ``first``, then ``piece`` every few milliseconds until ``stop`` (or the server
    closes): a client that does not wait for the answer before sending its body."""
    with contextlib.suppress(OSError):
        wire.send(first)
        for _ in range(2000):
            if stop.is_set():
                return
            wire.send(piece)
            time.sleep(0.002)


@pytest.mark.parametrize("framing", ["length", "chunked"])
def test_an_over_limit_body_is_refused_unread_and_the_answer_still_arrives(
        serve: Callable[..., HttpServer], apps: Apps, framing: str) -> None:
    server = serve(apps, max_body_bytes=1000)
    if framing == "length":
        first = req("POST", "/big-upload", headers=["Content-Length: 1000000"])
        piece = b"x" * 8192
    else:
        first = req("POST", "/big-upload", headers=["Transfer-Encoding: chunked"])
        piece = b"200\r\n" + b"y" * 512 + b"\r\n"
    stop = threading.Event()
    with Wire(server) as wire:
        sender = threading.Thread(target=_keep_sending, args=(wire, first, piece, stop))
        sender.start()
        try:
            reply = wire.response()
            closed = wire.closed_by_server()
        finally:
            stop.set()
            sender.join(TIMEOUT_S)
    assert reply.status == 200, f"the app's answer to a refused body: {reply}"
    seen = reply.json()
    assert seen.get(BODY_REFUSED_ENVIRON) is True, f"{BODY_REFUSED_ENVIRON} not set: {seen}"
    assert seen["body"] == "", "a refused body was still handed to the app"
    if framing == "length":
        assert seen["CONTENT_LENGTH"] == "1000000", "CONTENT_LENGTH should be the declared one"
    assert reply.headers.get("connection") == "close", reply.headers
    assert closed, "the connection was not closed after refusing the body"
    assert wait_until(lambda: server.open_connections == 0), \
        "the refused connection stayed open after the client left"
    assert requests.get(server.url, timeout=TIMEOUT_S).status_code == 200


def test_an_over_limit_body_with_expect_gets_no_100_continue(
        serve: Callable[..., HttpServer], apps: Apps) -> None:
    server = serve(apps, max_body_bytes=1000)
    with Wire(server) as wire:
        reply = wire.exchange(req("POST", "/expect-big", headers=["Expect: 100-continue",
                                                                  "Content-Length: 5000"]))
        assert reply.status == 200, f"expected the final answer, not {reply.status}"
        assert reply.json().get(BODY_REFUSED_ENVIRON) is True
        assert wire.closed_by_server()


def test_a_body_at_the_limit_is_accepted(serve: Callable[..., HttpServer], apps: Apps) -> None:
    server = serve(apps, max_body_bytes=1000)
    with Wire(server) as wire:
        for request in (req("POST", body=b"z" * 1000),
                        req("POST", headers=["Transfer-Encoding: chunked"])
                        + b"1f4\r\n" + b"z" * 500 + b"\r\n1f4\r\n" + b"z" * 500 + b"\r\n0\r\n\r\n"):
            seen = wire.exchange(request).json()
            assert seen["body_length"] == 1000 and BODY_REFUSED_ENVIRON not in seen, seen


# ---------------------------------------------------------------------------------- connections

def test_idle_connections_are_closed_after_the_idle_timeout(
        serve: Callable[..., HttpServer], apps: Apps) -> None:
    server = serve(apps, idle_timeout=1)
    with Wire(server) as silent, Wire(server) as kept, Wire(server) as partial:
        opened = time.monotonic()
        assert kept.exchange(req()).status == 200
        partial.send(b"GET /never-fin")
        assert wait_until(lambda: server.open_connections == 3), server.open_connections
        for name, wire in (("silent", silent), ("kept-alive", kept),
                           ("half a request line", partial)):
            assert wire.closed_by_server(timeout=4), \
                f"a {name} connection was still open ~4 s after a 1 s idle timeout"
            assert time.monotonic() - opened >= 0.9, \
                f"a {name} connection was closed before the idle timeout passed"
    assert wait_until(lambda: server.open_connections == 0, 2), \
        f"open_connections is still {server.open_connections}"


def test_past_the_connection_limit_the_oldest_idle_are_closed_and_new_clients_served(
        serve: Callable[..., HttpServer], apps: Apps) -> None:
    limit = 40
    server = serve(apps, connection_limit=limit)
    idle: list[socket.socket] = []
    try:
        for _ in range(limit + 20):
            idle.append(socket.create_connection((HOST, server.port), timeout=TIMEOUT_S))
        reply = requests.get(f"{server.url}/newcomer", timeout=TIMEOUT_S)
        assert reply.status_code == 200, "a new client was not served past the limit"
        assert server.open_connections <= limit, \
            f"{server.open_connections} connections open with a limit of {limit}"
        idle[0].settimeout(TIMEOUT_S)
        with contextlib.suppress(ConnectionResetError):  # reset: closed, as it should be
            assert idle[0].recv(1) == b"", "the oldest idle connection got bytes"
    finally:
        for connection in idle:
            connection.close()


def test_threads_grow_while_all_are_stuck_and_leave_after(
        server: HttpServer, apps: Apps) -> None:
    assert requests.get(f"{server.url}/warm-up", timeout=TIMEOUT_S).status_code == 200
    assert wait_until(lambda: http_threads() == server.threads), \
        f"{http_threads()} server threads before the test, expected {server.threads}"
    results: list[int] = []
    slow = [threading.Thread(target=lambda: results.append(
        requests.get(f"{server.url}/slow", timeout=TIMEOUT_S * 2).status_code))
        for _ in range(4)]
    try:
        for thread in slow:
            thread.start()
        assert wait_until(lambda: apps.slow_inside == 4), \
            f"only {apps.slow_inside} of 4 slow requests reached the app: threads did not grow"
        fast = requests.get(f"{server.url}/fast", timeout=TIMEOUT_S)
        assert fast.status_code == 200
        assert apps.slow_inside == 4 and not results, \
            "the fast request was answered only after a slow one finished"
        assert http_threads() > 4, f"{http_threads()} server threads with 4 stuck in the app"
    finally:
        apps.release.set()
        for thread in slow:
            thread.join(TIMEOUT_S * 2)
    assert results == [200] * 4, f"slow requests answered {results}"
    assert wait_until(lambda: http_threads() == server.threads, 8), \
        f"{http_threads()} server threads still running after the slow requests finished"


def test_stop_returns_promptly_closes_idle_connections_and_frees_the_port(
        serve: Callable[..., HttpServer], apps: Apps) -> None:
    server = serve(apps)
    wires = [Wire(server) for _ in range(3)]
    try:
        for wire in wires:
            assert wire.exchange(req()).status == 200  # now idle, kept alive
        assert server.open_connections == 3
        started = time.monotonic()
        server.stop()
        took = time.monotonic() - started
        assert took < 3, f"stop() took {took:.1f} s with idle keep-alive connections open"
        for wire in wires:
            assert wire.closed_by_server(timeout=2), "stop() left a connection open"
    finally:
        for wire in wires:
            wire.close()
    assert server.open_connections == 0
    again = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind((HOST, server.port))  # fails while anything still listens there
        again.listen(1)
    finally:
        again.close()


# ---------------------------------------------------------------------------------- known bugs

@pytest.mark.parametrize("raw_path", [b"/caf\xe9", b"/caf\xc3\xa9"])
def test_raw_non_ascii_bytes_in_the_target(server: HttpServer, raw_path: bytes) -> None:
    with Wire(server) as wire:
        reply = wire.exchange(b"GET " + raw_path + b" HTTP/1.1\r\nHost: t\r\n\r\n")
        assert reply.status == 400 or reply.json()["PATH_INFO"] == raw_path.decode("latin-1"), \
            f"PATH_INFO for raw bytes {raw_path!r}: {reply.body[:200]!r}"


@pytest.mark.parametrize(("size", "data"), [(b"0x3", b"abc"), (b"+3", b"abc"),
                                            (b"1_0", b"0123456789abcdef")])
def test_a_chunk_size_is_hex_digits_only(server: HttpServer, size: bytes, data: bytes) -> None:
    with Wire(server) as wire:
        reply = wire.exchange(req("POST", headers=["Transfer-Encoding: chunked"])
                              + size + b"\r\n" + data + b"\r\n0\r\n\r\n")
        assert reply.status == 400, f"chunk size {size!r} was accepted: {reply.body[:200]!r}"


@pytest.mark.parametrize("bad", ["\r", "\n", "\x00"])
def test_cr_lf_nul_in_a_header_value(server: HttpServer, bad: str) -> None:
    with Wire(server) as wire:
        reply = wire.exchange(req(headers=[f"X-Probe: a{bad}b"]))
        assert reply.status == 400 or reply.json()["headers"]["HTTP_X_PROBE"] == "a b", \
            f"X-Probe: a{bad!r}b reached the app as {reply.body[:200]!r}"


@pytest.mark.parametrize("hosts", [[], ["Host: a", "Host: b"]])
def test_http_1_1_needs_exactly_one_host(server: HttpServer, hosts: list[str]) -> None:
    with Wire(server) as wire:
        reply = wire.exchange(req(host=False, headers=hosts))
        assert reply.status == 400, f"Host lines {hosts}: answered {reply.status}"


def test_http_1_0_with_transfer_encoding_closes(server: HttpServer) -> None:
    with Wire(server) as wire:
        reply = wire.exchange(req("POST", version="HTTP/1.0", host=False,
                                  headers=["Connection: keep-alive",
                                           "Transfer-Encoding: chunked"])
                              + b"3\r\nabc\r\n0\r\n\r\n")
        assert reply.status in (200, 400)
        assert wire.closed_by_server(timeout=0.5), "the connection was kept alive"


def test_a_higher_http_1_minor_version_is_served_as_1_1(server: HttpServer) -> None:
    with Wire(server) as wire:
        reply = wire.exchange(req(version="HTTP/1.2"))
        assert reply.status == 200, f"HTTP/1.2 got {reply.status}"


@pytest.mark.parametrize("status", [204, 304])
def test_a_body_an_app_returns_with_204_or_304_is_not_sent(server: HttpServer,
                                                           status: int) -> None:
    with Wire(server) as wire:
        wire.send(req(target=f"/status/{status}?oops") + req(target="/next"))
        assert wire.response().status == status
        assert wire.response().json()["PATH_INFO"] == "/next", "the framing broke"


def _str_body_app(environ: Environ, start_response: StartResponse) -> list[str]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return ["a str, not bytes"]


def _no_start_response_app(environ: Environ, start_response: StartResponse) -> list[bytes]:
    return [b"start_response never called"]


@pytest.mark.parametrize("app", [_str_body_app, _no_start_response_app])
def test_an_app_breaking_pep_3333_gets_500(serve: Callable[..., HttpServer],
                                           app: Callable[..., Any]) -> None:
    server = serve(app)
    with Wire(server) as wire:
        reply = wire.exchange(req())
        assert reply.status == 500, f"answered {reply}"
