"""The emulator on a real port: ``HttpServer`` (a multi-threaded waitress server that can stop
from any thread) and ``MockServer`` (the whole emulator in a background thread).

waitress runs one I/O loop and hands requests to a pool of worker threads, so slow clients never
block fast ones. We drive its loop ourselves, one turn at a time, so ``stop()`` works from
another thread (signal handlers, tests) and leaves no socket or thread behind.

Connections cannot starve the server: it polls (``select()`` fails past 1,024 sockets), admits
thousands of connections (the process's open-files limit is raised to allow it), closes a
connection idle for ``idle_timeout`` seconds, and when it nears its limit closes the longest
idle ones first, so a new caller is always served. A body larger than the limit is refused on
its declared length, before it is read, and a chunked one as soon as it passes the limit.
"""

from __future__ import annotations

import contextlib
import io
import socket
import threading
import time
from typing import TYPE_CHECKING, Any

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import create_server
from waitress.task import ErrorTask, WSGITask
from waitress.utilities import RequestEntityTooLarge

from pay1st_mock.clock import Clock
from pay1st_mock.config import BODY_REFUSED_ENVIRON, MEMORY, Settings

if TYPE_CHECKING:
    from pay1st_mock.services import Services

DEFAULT_THREADS = 2  # measured: more workers only add lock contention on 2 cores (bench/)
DEFAULT_IDLE_TIMEOUT = 30  # seconds a connection may stay open without traffic
MAX_CONNECTIONS = 10000  # at most; fewer when the open-files limit cannot be raised that far
_FILES_KEPT = 100  # open files left for the database, pipes, outgoing webhook calls
_LINGER_S = 2.0  # after refusing a body: how long to drop what the client still sends
_DRAIN_BYTES = 65536
_ACCEPTS_PER_TURN = 256


def open_files_limit() -> int:
    """Raise this process's soft limit on open files to its hard limit (capped at what
    ``MAX_CONNECTIONS`` needs) and return the soft limit now in force."""
    try:
        import resource
    except ImportError:  # Windows: no such limit to raise
        return 512
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = MAX_CONNECTIONS + _FILES_KEPT
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        with contextlib.suppress(ValueError, OSError):  # some systems refuse: keep what we have
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
    return wanted if soft == resource.RLIM_INFINITY else soft


def default_connection_limit() -> int:
    """How many connections the server admits: ``MAX_CONNECTIONS``, or what open files allow."""
    return max(64, min(MAX_CONNECTIONS, open_files_limit() - _FILES_KEPT))


class _RefusedBodyTask(WSGITask):  # type: ignore[misc]  # waitress is untyped
    """The answer to a request whose body is over the limit: the app is called with an empty
    body and ``BODY_REFUSED_ENVIRON`` set (so it answers its own error, journal entry
    included), then the connection closes, since the rest of the body was never read."""

    def get_environment(self) -> dict[str, Any]:
        environ: dict[str, Any] = super().get_environment()
        environ["wsgi.input"] = io.BytesIO()
        environ[BODY_REFUSED_ENVIRON] = True
        if "CONTENT_LENGTH" not in environ:  # chunked: what arrived before it was cut off
            environ["CONTENT_LENGTH"] = str(self.request.body_bytes_received)
        return environ

    def build_response_header(self) -> bytes:
        self.set_close_on_finish()
        self.channel.linger_until = time.monotonic() + _LINGER_S
        return super().build_response_header()  # type: ignore[no-any-return]


def _error_task(channel: HTTPChannel, request: Any) -> ErrorTask | WSGITask:
    if isinstance(request.error, RequestEntityTooLarge) and request.headers_finished:
        return _RefusedBodyTask(channel, request)
    return ErrorTask(channel, request)


class _Channel(HTTPChannel):  # type: ignore[misc]  # waitress is untyped
    """waitress's connection, answering oversized bodies through the app.

    After such an answer it closes gracefully ("lingering close"): it stops sending, then
    reads and drops what the client still sends, for at most ``_LINGER_S`` seconds. Closing
    at once with unread bytes would make the kernel reset the connection, and a client still
    sending its body would lose the answer to the reset.
    """

    error_task_class = staticmethod(_error_task)
    linger_until: float | None = None  # set by the refused body's answer
    _lingering = False

    def handle_close(self) -> None:
        if self.linger_until is None or self._lingering or not self.connected:
            super().handle_close()
            return
        self._lingering = True  # the answer is flushed: half-close, then drain
        try:
            self.socket.shutdown(socket.SHUT_WR)
        except OSError:
            super().handle_close()

    def readable(self) -> bool:
        if not self._lingering:
            return bool(super().readable())
        if self.linger_until is not None and time.monotonic() > self.linger_until:
            super().handle_close()  # the client kept sending: enough
            return False
        return True

    def writable(self) -> bool:
        return False if self._lingering else bool(super().writable())

    def handle_read(self) -> None:
        if not self._lingering:
            super().handle_read()
            return
        try:
            self.recv(_DRAIN_BYTES)  # dropped; at the end, recv() closes the channel itself
        except OSError:
            super().handle_close()


class HttpServer:
    """A WSGI app bound to ``host:port`` (port 0 picks a free one) once constructed.

    Call ``serve()`` to run the loop on the current thread until ``stop()``; the socket is
    already listening when the constructor returns, so ``url`` is valid at once. A connection
    without traffic for ``idle_timeout`` seconds is closed; at ``connection_limit`` open
    connections (default: ``default_connection_limit()``) the least recently active idle ones
    are closed; bodies over ``max_body_bytes`` (default: a Flask app's ``MAX_CONTENT_LENGTH``)
    are refused unread.
    """

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0,
                 threads: int = DEFAULT_THREADS, *, idle_timeout: int = DEFAULT_IDLE_TIMEOUT,
                 connection_limit: int | None = None,
                 max_body_bytes: int | None = None) -> None:
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
        self.connection_limit = connection_limit or default_connection_limit()
        if max_body_bytes is None:  # a Flask app says its own limit
            max_body_bytes = getattr(app, "config", {}).get("MAX_CONTENT_LENGTH")
        limits: dict[str, int] = {}
        if max_body_bytes is not None:  # waitress refuses from this size on: one byte more
            limits["max_request_body_size"] = max_body_bytes + 1
        self._server = create_server(
            app, sockets=[listener], threads=threads, ident="pay1st-mock",
            clear_untrusted_proxy_headers=True, asyncore_use_poll=True,
            channel_timeout=idle_timeout, cleanup_interval=max(1, min(5, idle_timeout // 4)),
            # waitress stops accepting at its limit; we close idle connections before that.
            connection_limit=self.connection_limit + 2, **limits)
        self._server.channel_class = _Channel
        self._accept_one = self._server.handle_accept
        self._server.handle_accept = self._accept_waiting  # waitress takes one per loop turn
        # Past the high mark, the longest idle connections are closed down to the low mark.
        margin = max(2, self.connection_limit // 20)
        self._high_mark = self.connection_limit
        self._low_mark = self.connection_limit - margin
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
                if len(self._server.active_channels) >= self._high_mark:
                    self._close_idle(len(self._server.active_channels) - self._low_mark)
        finally:
            for channel in list(server_map.values()):
                channel.close()
            self._server.task_dispatcher.shutdown()
            self._stopped.set()

    @property
    def open_connections(self) -> int:
        """How many client connections are open now."""
        return len(self._server.active_channels)

    def _accept_waiting(self) -> None:
        """Accept the connections waiting (up to a batch) in one turn of the loop: a turn
        costs a look at every open connection, and a burst of a thousand must not make a
        new caller wait behind a thousand turns."""
        channels = self._server.active_channels
        for _ in range(_ACCEPTS_PER_TURN):
            before = len(channels)
            self._accept_one()
            if len(channels) == before or len(channels) >= self._high_mark:
                return  # none waiting (or it failed), or room must be made first

    def _close_idle(self, count: int) -> None:
        """Close up to ``count`` connections, least recently active first, among those with
        no request in a worker and nothing left to send (on the loop's thread: the only one
        that gives a connection a request)."""
        idle = [channel for channel in list(self._server.active_channels.values())
                if not channel.requests and not channel.total_outbufs_len]
        idle.sort(key=lambda channel: channel.last_activity)
        for channel in idle[:count]:
            channel.handle_close()

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
