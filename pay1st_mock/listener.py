"""A partner's webhook endpoint for tests: it records every request and answers from a script.

::

    with WebhookListener() as listener:        # 127.0.0.1:<free port>, served by a daemon thread
        payment = partner.create_payment(webhookUrl=f"{listener.url}/webhooks/pay1st")
        partner.complete(payment["reference"], outcome="success")
        (hook,) = listener.wait_for(1)         # or fails: "expected 1 webhook(s) within 10 s; ..."
        assert hook.json()["status"] == "SUCCESSFUL"
        assert verify_request(signing_key, hook.headers["X-Timestamp"], hook.body,
                              hook.headers["X-Signature"])

A *script* says what to answer. ``None``: 200 ``ok`` to everything. A list of replies: one per
request, in order, then 200 (``[500, 500]``: your backend is down for the first two attempts).
A callable ``(Received) -> reply``: anything else (routes, delays, answers that depend on the
body). A reply is a status, ``(status, body)`` or ``(status, body, headers)``; a body that is
neither ``bytes`` nor ``str`` is sent as JSON. An exception raised by a callable is answered 500
and re-raised by ``stop()`` (and ``check()``), so a bug in a test's partner fails that test.

Standard library only (``http.server``): HTTP/1.1 with keep-alive, and each answer leaves in one
write with Nagle off, so a client that reuses its connection (the emulator's dispatcher does)
never waits on a delayed ACK. The benchmarks in ``bench/`` use it as their partner endpoint.
For tests on this machine only: no TLS, no limits on what it reads.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlencode, urlsplit

from pay1st_mock.frozen import frozen

Reply = int | tuple[int, Any] | tuple[int, Any, Mapping[str, str]]
"""What to answer: a status, or ``(status, body)``, or ``(status, body, headers)``."""

Script = Callable[["Received"], Reply] | Iterable[Reply] | None
"""How to answer: a callable per request, replies used in order (then 200), or None (200)."""

POLL_SECONDS = 0.05  # how long stop() may wait for the serving loop to notice
LISTED = 10  # requests named in a wait_for failure


class Headers(Mapping[str, str]):
    """A request's headers: looked up in any case, iterated with the names as they were sent."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._by_name: dict[str, tuple[str, str]] = {}
        for name, value in pairs:
            self._by_name.setdefault(name.lower(), (name, value))  # the first of repeated ones

    def __getitem__(self, name: str) -> str:
        return self._by_name[name.lower()][1]

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    def __repr__(self) -> str:
        return f"Headers({dict(self.items())!r})"


@frozen
class Received:
    """One request as the listener got it.

    ``at`` is its arrival: ``time.monotonic()`` when its request line came in, before the
    listener parsed anything (a webhook's head and body come in together).
    """

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Headers
    body: bytes
    at: float

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    def __str__(self) -> str:
        query = f"?{urlencode(self.query, doseq=True)}" if self.query else ""
        return f"{self.method} {self.path}{query} ({len(self.body)} bytes)"


class WebhookListener:
    """A partner's HTTP endpoint on ``host``:``port`` (0: any free port) in a daemon thread.

    Ready when ``start()`` returns (or on entering ``with``); ``stop()`` releases the port and
    the open connections. ``script`` is described in the module's docstring.
    """

    def __init__(self, script: Script = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port_wanted = host, port
        self._condition = threading.Condition()
        self._received: list[Received] = []
        self._answer = _answerer(script)
        self._errors: list[BaseException] = []
        self._connections: set[socket.socket] = set()
        self._accepted = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle ----------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind the port and serve in a daemon thread; return self."""
        if self._server is not None:
            raise RuntimeError("this WebhookListener is already started")
        self._server = _Server((self.host, self.port_wanted), self)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(POLL_SECONDS,),
                                        name=f"webhook-listener-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the connections still open, then ``check()``."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        with self._condition:
            still_open = list(self._connections)
        for connection in still_open:  # a keep-alive connection would hold its thread forever
            with contextlib.suppress(OSError):  # the client hung up already
                connection.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if self._thread is not None:
            self._thread.join(5)
        self.check()

    def check(self) -> None:
        """Re-raise the first exception a callable script raised, if any."""
        with self._condition:
            error = self._errors[0] if self._errors else None
        if error is not None:
            raise error

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port actually bound."""
        if self._server is None:
            raise RuntimeError("start() the WebhookListener first")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:54321``: add any path for your webhooks."""
        return f"http://{self.host}:{self.port}"

    @property
    def connections(self) -> int:
        """How many TCP connections were accepted (a client reusing one keeps this at 1)."""
        with self._condition:
            return self._accepted

    # -- what arrived --------------------------------------------------------------------------

    @property
    def requests(self) -> list[Received]:
        """Every request so far, oldest first (a copy)."""
        with self._condition:
            return list(self._received)

    def received(self, path: str | None = None) -> list[Received]:
        """The requests so far to ``path`` (every request when None), oldest first."""
        with self._condition:
            return [r for r in self._received if path is None or r.path == path]

    def wait_for(self, count: int, timeout: float = 10.0,
                 path: str | None = None) -> list[Received]:
        """Block until ``count`` requests (to ``path``, if given) arrived; return all of them.

        Raises ``AssertionError`` after ``timeout`` seconds, naming what did arrive.
        """
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                matching = [r for r in self._received if path is None or r.path == path]
                if len(matching) >= count:
                    return matching
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    others = [r for r in self._received if path is not None and r.path != path]
                    break
                self._condition.wait(remaining)
        where = f" to {path}" if path is not None else ""
        message = (f"expected {count} webhook(s){where} within {timeout:g} s; "
                   f"got {len(matching)}: {_listing(matching)}")
        if others:
            message += f"; to other paths: {_listing(others)}"
        raise AssertionError(message)

    # -- what to answer ------------------------------------------------------------------------

    def answer_with(self, script: Script) -> None:
        """Answer the next requests from ``script`` (see the module's docstring)."""
        answer = _answerer(script)
        with self._condition:
            self._answer = answer

    def reset(self) -> None:
        """Forget every request and answer 200 again, as a new listener would."""
        with self._condition:
            self._received.clear()
            self._answer = _answerer(None)

    # -- called by the serving threads ---------------------------------------------------------

    def _arrived(self, received: Received) -> tuple[int, bytes, Mapping[str, str]]:
        with self._condition:
            self._received.append(received)
            answer = self._answer
            self._condition.notify_all()
        try:
            return _encode(answer(received))
        except Exception as exc:
            self._failed(exc)
            return 500, f"the listener's script raised {exc!r}".encode(), {}

    def _failed(self, error: BaseException) -> None:
        with self._condition:
            self._errors.append(error)  # re-raised in the test by stop() / check()

    def _opened(self, connection: socket.socket) -> None:
        with self._condition:
            self._connections.add(connection)
            self._accepted += 1

    def _closed(self, connection: socket.socket) -> None:
        with self._condition:
            self._connections.discard(connection)


def _answerer(script: Script) -> Callable[[Received], Reply]:
    """One callable for any kind of script; a list is consumed one reply per request."""
    if script is None:
        return lambda _: 200
    if callable(script):
        return script
    replies = iter(list(script))  # copied: the caller's list stays as it was
    lock = threading.Lock()

    def next_reply(_: Received) -> Reply:
        with lock:
            return next(replies, 200)
    return next_reply


def _encode(reply: Reply) -> tuple[int, bytes, Mapping[str, str]]:
    """A reply as (status, body bytes, headers), with a body and Content-Type by default."""
    if isinstance(reply, int):
        return reply, _default_body(reply), {}
    status, body, *rest = reply
    headers: Mapping[str, str] = rest[0] if rest else {}
    if isinstance(body, bytes):
        return status, body, headers
    if isinstance(body, str):
        return status, body.encode("utf-8"), headers
    return status, json.dumps(body).encode("utf-8"), {"Content-Type": "application/json",
                                                      **headers}


def _default_body(status: int) -> bytes:
    if 200 <= status < 300:
        return b"ok"
    if status >= 500:
        return b"partner is down (scripted)"
    try:
        return f"{HTTPStatus(status).phrase} (scripted)".encode()
    except ValueError:
        return b"(scripted)"


def _listing(requests: list[Received]) -> str:
    if not requests:
        return "nothing"
    named = "; ".join(str(r) for r in requests[:LISTED])
    return named + (f"; and {len(requests) - LISTED} more" if len(requests) > LISTED else "")


# --------------------------------------------------------------------------- the HTTP server


class _Server(ThreadingHTTPServer):
    """A thread per connection; knows its listener; quiet about clients that hang up."""

    daemon_threads = True
    request_queue_size = 128  # bursts of webhooks to many listeners must not overflow a backlog

    def __init__(self, address: tuple[str, int], listener: WebhookListener) -> None:
        self.listener = listener
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, OSError):
            return  # the client hung up (e.g. its timeout) or stop() closed the connection
        if error is not None:
            self.listener._failed(error)  # e.g. a request it could not read


class _Handler(BaseHTTPRequestHandler):
    """Reads a request, hands it to the listener, writes the answer in one piece."""

    protocol_version = "HTTP/1.1"  # keep-alive
    disable_nagle_algorithm = True
    wbufsize = -1  # buffered: status line, headers and body leave in one write at the flush
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.listener._opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            # The client hung up (its timeout) with our answer still in the buffer: closing the
            # writer failed, so the reader was never closed; close it, or the socket stays open.
            self.rfile.close()
        finally:
            self.server.listener._closed(self.connection)

    def parse_request(self) -> bool:
        # The request line is in: that is its arrival, before any parsing costs a thing.
        self.arrived_at = time.monotonic()
        return super().parse_request()

    def _handle(self) -> None:
        body = self._read_body()
        parts = urlsplit(self.path)
        received = Received(self.command, parts.path,
                            parse_qs(parts.query, keep_blank_values=True),
                            Headers(self.headers.items()), body, self.arrived_at)
        status, content, headers = self.server.listener._arrived(received)
        self.send_response_only(status)
        if not any(name.lower() == "content-type" for name in headers):
            self.send_header("Content-Type", "text/plain")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(content)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return b"".join(self._chunks())
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _chunks(self) -> Iterator[bytes]:
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline().strip():  # trailers, up to the blank line
                    pass
                return
            yield self.rfile.read(size)
            self.rfile.readline()  # the CRLF after each chunk

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests read the record, not a log


__all__ = ["Headers", "Received", "Reply", "Script", "WebhookListener"]
