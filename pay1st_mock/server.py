"""The emulator on a real port: a multi-threaded waitress server that can stop from any thread.

waitress runs one I/O loop and hands requests to a pool of worker threads, so slow clients never
block fast ones. We drive its loop ourselves, one turn at a time, so ``stop()`` works from
another thread (signal handlers, tests) and leaves no socket or thread behind.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from waitress import wasyncore
from waitress.server import create_server

DEFAULT_THREADS = 2  # measured: more workers only add lock contention on 2 cores (bench/)


class HttpServer:
    """A WSGI app bound to ``host:port`` (port 0 picks a free one) once constructed.

    Call ``serve()`` to run the loop on the current thread until ``stop()``; the socket is
    already listening when the constructor returns, so ``url`` is valid at once.
    """

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0,
                 threads: int = DEFAULT_THREADS) -> None:
        self._server = create_server(app, host=host, port=port, threads=threads,
                                     ident="pay1st-mock", clear_untrusted_proxy_headers=True,
                                     channel_timeout=60, asyncore_use_poll=True)
        self.host = host
        self.port: int = self._server.effective_port
        self._stopping = threading.Event()
        self._stopped = threading.Event()

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:8080``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def serve(self) -> None:
        """Serve until ``stop()`` is called (from any thread), then release everything."""
        server_map = self._server._map  # waitress keeps its sockets here; we own the loop
        try:
            while not self._stopping.is_set():
                wasyncore.loop(timeout=1.0, map=server_map, use_poll=True, count=1)
        finally:
            for channel in list(server_map.values()):
                channel.close()
            self._server.task_dispatcher.shutdown()
            self._stopped.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the loop to finish and wait (up to ``timeout``) until it has."""
        if self._stopped.is_set():
            return
        self._stopping.set()
        with contextlib.suppress(OSError):  # a closed trigger: the loop is already ending
            self._server.pull_trigger()
        self._stopped.wait(timeout)
