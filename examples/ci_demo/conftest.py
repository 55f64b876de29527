"""The studio's own fixture: ``backend``, a local webhook endpoint the emulator can call.

Everything Pay1st-related comes from the pay1st-mock plugin's fixtures (``pay1st_partner``,
``pay1st_url``, ...), which the installed package registers by itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass(frozen=True)
class Hook:
    """One request the backend received."""

    path: str
    headers: dict[str, str]
    body: bytes


class Backend:
    """A webhook endpoint on 127.0.0.1:<free port>; it answers 500 ``failures`` times, then 200."""

    def __init__(self) -> None:
        self.received: list[Hook] = []
        self.failures = 0
        self._changed = threading.Condition()
        backend = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                hook = Hook(self.path, dict(self.headers.items()), self.rfile.read(length))
                status = backend._record(hook)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/webhooks/pay1st"

    def _record(self, hook: Hook) -> int:
        with self._changed:
            self.received.append(hook)
            self._changed.notify_all()
            if self.failures > 0:
                self.failures -= 1
                return 500
            return 200

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Hook]:
        """Block until ``count`` webhooks arrived; fail saying how many did."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.received) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"expected {count} webhook(s) within {timeout} s; "
                                         f"got {len(self.received)}")
                self._changed.wait(remaining)
            return list(self.received)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


@pytest.fixture
def backend() -> Iterator[Backend]:
    """Our webhook handler, started for this test."""
    server = Backend()
    try:
        yield server
    finally:
        server.close()
