"""The emulator on a real port: ``HttpServer`` (a multi-threaded waitress server that can stop
from any thread) and ``MockServer`` (the whole emulator in a background thread).

waitress runs one I/O loop and hands requests to a pool of worker threads, so slow clients never
block fast ones. We drive its loop ourselves, one turn at a time, so ``stop()`` works from
another thread (signal handlers, tests) and leaves no socket or thread behind.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import TYPE_CHECKING, Any

from waitress import wasyncore
from waitress.server import create_server

from pay1st_mock.clock import Clock
from pay1st_mock.config import MEMORY, Settings

if TYPE_CHECKING:
    from pay1st_mock.services import Services

DEFAULT_THREADS = 2  # measured: more workers only add lock contention on 2 cores (bench/)


class HttpServer:
    """A WSGI app bound to ``host:port`` (port 0 picks a free one) once constructed.

    Call ``serve()`` to run the loop on the current thread until ``stop()``; the socket is
    already listening when the constructor returns, so ``url`` is valid at once.
    """

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0,
                 threads: int = DEFAULT_THREADS) -> None:
        # Bind first, ourselves: a taken port then fails before waitress opens anything else.
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((host, port))
            listener.listen(1024)
        except OSError:
            listener.close()
            raise
        self._server = create_server(app, sockets=[listener], threads=threads,
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


class MockServer:
    """The whole emulator on a real port in a background thread, for tests and scripts.

    ::

        with MockServer() as mock:            # in memory, port 0 = any free port
            requests.get(f"{mock.url}/_mock/health")

    Ready when ``start()`` returns. ``stop()`` releases the port, the threads and the database,
    and re-raises the first unexpected exception the server met while handling requests (as
    pytest-httpserver does), so a bug on the server thread fails the caller. Nothing here
    imports pytest.
    """

    def __init__(self, settings: Settings | None = None, host: str = "127.0.0.1",
                 port: int = 0, clock: Clock | None = None) -> None:
        self.settings = settings or Settings(data=MEMORY)
        self.host, self.port_wanted, self._clock = host, port, clock
        self._server: HttpServer | None = None
        self._thread: threading.Thread | None = None
        self._app: Any = None
        self._loop_error: BaseException | None = None

    def start(self) -> MockServer:
        """Build the app, bind the port and serve in a daemon thread; return self."""
        from pay1st_mock.app import create_app  # the app pulls in Flask: only when started

        if self._server is not None:
            raise RuntimeError("this MockServer is already started")
        self._app = create_app(self.settings, self._clock)
        try:
            self._server = HttpServer(self._app, self.host, self.port_wanted)
        except OSError:
            self.services.close()
            raise
        self._thread = threading.Thread(target=self._serve, name="pay1st-mock-server",
                                        daemon=True)
        self._thread.start()
        return self

    def _serve(self) -> None:
        assert self._server is not None
        try:
            self._server.serve()
        except BaseException as exc:  # surfaced by stop()/check()
            self._loop_error = exc

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:54321``."""
        if self._server is None:
            raise RuntimeError("start() the MockServer first")
        return self._server.url

    @property
    def services(self) -> Services:
        """The running app's services (store, clock, ...), for in-process inspection."""
        from pay1st_mock.app import services

        return services(self._app)

    def check(self) -> None:
        """Re-raise the first unexpected exception the server met, if any."""
        if self._loop_error is not None:
            raise self._loop_error
        if self._app is not None and self.services.errors:
            raise self.services.errors[0]

    def stop(self) -> None:
        """Stop serving, release everything, then ``check()``."""
        if self._server is None:
            return
        self._server.stop()
        if self._thread is not None:
            self._thread.join(10)
        self.services.close()
        self._server = None
        self.check()

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
