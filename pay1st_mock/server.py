"""The emulator on a real port: ``MockServer``, the whole emulator in a background thread, on
``HttpServer`` (``http_server``: the HTTP/1.1 server, which can stop from any thread)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from pay1st_mock.clock import Clock
from pay1st_mock.config import MEMORY, Settings
from pay1st_mock.http_server import (
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_THREADS,
    MAX_CONNECTIONS,
    HttpServer,
    default_connection_limit,
    open_files_limit,
)

if TYPE_CHECKING:
    from pay1st_mock.services import Services

__all__ = ["DEFAULT_IDLE_TIMEOUT", "DEFAULT_THREADS", "MAX_CONNECTIONS", "HttpServer",
           "MockServer", "default_connection_limit", "open_files_limit"]


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
            self._server = HttpServer(self._app, self.host, self.port_wanted,
                                      idle_timeout=self.settings.idle_timeout_seconds)
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
        self.services.activity.close()  # a reader waiting on /_mock/events answers now
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
