"""A real HTTP listener standing in for a partner's backend: it records every request and
answers from a script (status codes to return, in order; then 200)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Received:
    """One request the listener got."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Listener:
    """A partner endpoint on 127.0.0.1:<free port>; ``fail_first`` answers 500 that many times."""

    fail_first: int = 0
    requests: list[Received] = field(default_factory=list)
    answer: Callable[[Received], tuple[int, bytes]] | None = None

    def __post_init__(self) -> None:
        listener = self
        self._condition = threading.Condition()

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                parts = urlsplit(self.path)
                received = Received(self.command, parts.path, parse_qs(parts.query),
                                    dict(self.headers.items()), self.rfile.read(length),
                                    time.monotonic())
                status, body = listener._respond(received)
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _handle

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def _respond(self, received: Received) -> tuple[int, bytes]:
        with self._condition:
            self.requests.append(received)
            position = len(self.requests)
            self._condition.notify_all()
        if self.answer is not None:
            return self.answer(received)
        if position <= self.fail_first:
            return 500, b"partner is down (scripted)"
        return 200, b"ok"

    def wait_for(self, count: int, timeout: float = 10.0,
                 path: str | None = None) -> list[Received]:
        """Block until ``count`` requests (to ``path``, if given) arrived; fail after timeout."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                matching = [r for r in self.requests if path is None or r.path == path]
                if len(matching) >= count:
                    return matching
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"expected {count} request(s) to {path or 'any path'} "
                                         f"within {timeout} s; got {len(matching)}")
                self._condition.wait(remaining)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
