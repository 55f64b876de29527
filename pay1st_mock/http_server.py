"""The emulator's HTTP/1.1 server: a WSGI app on a real port, served by a few threads that share
one poller.

A thread the poller wakes for a connection reads the request, calls the app and writes the answer
itself, then re-arms the connection. Each connection is armed one-shot, so exactly one thread
has it at a time; there is no hand-off between an I/O thread and workers and no loop over every
open connection per request. (Until issue 18 this was waitress: its I/O loop and hand-offs cost
more CPU per request than the emulator's own work.)

Connections cannot starve the server: it admits thousands (the open-files limit is raised to
allow it), closes one idle for ``idle_timeout`` seconds, and near its limit closes the longest
idle first, so a new caller is always served. When every thread has been inside the app for a
while (a long poll on ``/_mock/events``, a delay fault, a slow partner's User Info), another
thread is started, up to ``MAX_THREADS``; it leaves once no thread is stuck. A body larger
than the limit is refused on its declared length, before it is read (a chunked one as soon as it
passes the limit): the app answers it (``BODY_REFUSED_ENVIRON``), then the connection closes
gracefully, dropping what the client still sends for at most ``_LINGER_S`` seconds, because
closing with unread bytes makes the kernel reset the connection and the client lose the answer.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from typing import Any

from pay1st_mock.http_pollers import WAKE, Poller, new_poller
from pay1st_mock.http_wire import (
    BodyTooLarge,
    Head,
    WireError,
    error_response,
    read_chunked,
    read_head,
)
from pay1st_mock.http_wsgi import WsgiApp, environ_for, run_app

log = logging.getLogger("pay1st_mock.server")

DEFAULT_THREADS = 1  # always there; more only while requests are stuck (GIL hand-offs cost, bench/)
MAX_THREADS = 32  # at most, while requests are stuck in the app
DEFAULT_IDLE_TIMEOUT = 30  # seconds a connection may stay open without traffic
MAX_CONNECTIONS = 10000  # at most; fewer when the open-files limit cannot be raised that far
_FILES_KEPT = 100  # open files left for the database, pipes, outgoing webhook calls
_LINGER_S = 2.0  # after refusing a body: how long to drop what the client still sends
_RECV_BYTES = 65536
_ACCEPTS_PER_TURN = 256
_TICK_S = 0.02  # how often the serving thread looks for stuck threads while connections are open
_QUIET_TICK_S = 0.25  # how often without any connection (a stuck request needs one)
_STUCK_S = 0.02  # inside the app this long, on every thread: start another
_WAIT_S = 1.0  # a thread's longest wait on the poller (it checks for a stop in between)


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


class _Connection:
    """One client connection; ``busy`` while a thread has it (under the server's lock)."""

    __slots__ = (
        "buffer",
        "busy",
        "closed",
        "continue_sent",
        "fd",
        "head",
        "last_active",
        "linger_until",
        "peer",
        "sock",
    )

    def __init__(self, sock: socket.socket, peer: Any) -> None:
        self.sock = sock
        self.fd = sock.fileno()
        self.peer: tuple[str, int] = (str(peer[0]), int(peer[1])) if isinstance(peer, tuple) \
            else ("", 0)
        self.buffer = bytearray()
        self.head: Head | None = None  # read, while its body is still arriving
        self.last_active = time.monotonic()
        self.busy = False
        self.closed = False
        self.linger_until: float | None = None
        self.continue_sent = False


class HttpServer:
    """A WSGI app bound to ``host:port`` (port 0 picks a free one) once constructed.

    Call ``serve()`` to run on the current thread until ``stop()`` (from any thread); the socket
    is already listening when the constructor returns, so ``url`` is valid at once. A connection
    without traffic for ``idle_timeout`` seconds is closed; at ``connection_limit`` open
    connections (default: ``default_connection_limit()``) the least recently active idle ones
    are closed; bodies over ``max_body_bytes`` (default: a Flask app's ``MAX_CONTENT_LENGTH``)
    are refused unread. ``threads`` threads always serve; more are started while all are stuck
    in the app. ``poller`` is for tests (the portable one on Linux).
    """

    def __init__(self, app: WsgiApp, host: str = "127.0.0.1", port: int = 0,
                 threads: int = DEFAULT_THREADS, *, idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
                 connection_limit: int | None = None, max_body_bytes: int | None = None,
                 poller: Poller | None = None) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((host, port))
            listener.listen(1024)
            listener.setblocking(False)
        except OSError:
            listener.close()
            raise
        self.app = app
        self.host = host
        self.port: int = listener.getsockname()[1]
        self.threads = max(1, threads)
        self.idle_timeout = idle_timeout
        self.connection_limit = connection_limit or default_connection_limit()
        if max_body_bytes is None:  # a Flask app says its own limit
            max_body_bytes = getattr(app, "config", {}).get("MAX_CONTENT_LENGTH")
        self.max_body_bytes = max_body_bytes
        # Past the high mark, the longest idle connections are closed down to the low mark.
        self._high_mark = self.connection_limit
        self._low_mark = self.connection_limit - max(2, self.connection_limit // 20)
        self._listener = listener
        self._poller = poller or new_poller()
        self._poller.add(listener.fileno())
        self._connections: dict[int, _Connection] = {}
        self._lock = threading.Lock()  # connections, their ``busy`` flags, the threads
        self._workers: list[threading.Thread] = []
        self._in_app: dict[int, float] = {}  # thread ident -> when it took its connection
        self._stopping = threading.Event()
        self._stopped = threading.Event()

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:8080``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def open_connections(self) -> int:
        """How many client connections are open now."""
        return len(self._connections)

    # ------------------------------------------------------------------ running and stopping

    def serve(self) -> None:
        """Serve until ``stop()`` is called (from any thread), then release everything."""
        try:
            for _ in range(self.threads):
                self._start_thread()
            sweep_every = max(0.5, min(5.0, self.idle_timeout / 4))
            next_sweep = time.monotonic() + sweep_every
            while not self._stopping.wait(_TICK_S if self._connections else _QUIET_TICK_S):
                now = time.monotonic()
                self._grow_if_stuck(now)
                if now >= next_sweep:
                    self._sweep(now)
                    next_sweep = now + sweep_every
        finally:
            self._stopping.set()
            self._poller.wake_all()
            for worker in list(self._workers):
                worker.join(10)
            with self._lock:
                for conn in list(self._connections.values()):
                    self._close_locked(conn)
            self._poller.close()
            self._listener.close()
            self._stopped.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the server to finish (requests in the app complete) and wait up to ``timeout``."""
        if self._stopped.is_set():
            return
        self._stopping.set()
        self._poller.wake_all()
        self._stopped.wait(timeout)

    def _start_thread(self) -> None:
        with self._lock:
            if len(self._workers) >= MAX_THREADS:
                return
            spare = len(self._workers) >= self.threads
            worker = threading.Thread(target=self._work, args=(spare,), daemon=True,
                                      name=f"pay1st-mock-http-{len(self._workers) + 1}")
            self._workers.append(worker)
        worker.start()

    def _grow_if_stuck(self, now: float) -> None:
        """Start a thread when every thread has been inside the app for ``_STUCK_S``."""
        with self._lock:
            stuck = (len(self._in_app) >= len(self._workers)
                     and all(now - since > _STUCK_S for since in self._in_app.values()))
        if stuck:
            self._start_thread()

    def _work(self, spare: bool) -> None:
        ident = threading.get_ident()
        try:
            while not self._stopping.is_set():
                for fd in self._poller.wait(_WAIT_S):
                    if fd == WAKE:
                        continue
                    if fd == self._listener.fileno():
                        self._accept()
                        continue
                    conn = self._claim(fd, ident)
                    if conn is not None:
                        self._handle(conn, ident)
                if spare and not self._someone_stuck(ident):
                    return  # the thread it stood in for is back
        finally:
            with self._lock:
                self._workers.remove(threading.current_thread())

    def _someone_stuck(self, ident: int) -> bool:
        """Whether another thread has been inside the app for ``_STUCK_S`` or more."""
        now = time.monotonic()
        with self._lock:
            return any(now - since >= _STUCK_S for other, since in self._in_app.items()
                       if other != ident)

    # ------------------------------------------------------------------ connections

    def _accept(self) -> None:
        try:
            for _ in range(_ACCEPTS_PER_TURN):
                try:
                    sock, peer = self._listener.accept()
                except (BlockingIOError, InterruptedError):
                    return
                except OSError as error:  # out of files: the sweep makes room
                    log.warning("cannot accept a connection: %s", error)
                    return
                sock.setblocking(False)
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                conn = _Connection(sock, peer)
                with self._lock:
                    if len(self._connections) >= self._high_mark:
                        self._close_idle_locked(len(self._connections) - self._low_mark + 1)
                    self._connections[conn.fd] = conn
                    self._poller.add(conn.fd)
        finally:
            if not self._stopping.is_set():
                with contextlib.suppress(OSError, ValueError):
                    self._poller.rearm(self._listener.fileno())

    def _claim(self, fd: int, ident: int) -> _Connection | None:
        with self._lock:
            conn = self._connections.get(fd)
            if conn is None or conn.busy or conn.closed:
                return None  # closed meanwhile (its number may already be reused)
            conn.busy = True
            self._in_app[ident] = time.monotonic()
            return conn

    def _handle(self, conn: _Connection, ident: int) -> None:
        try:
            keep = self._read_and_answer(conn)
        except OSError:  # the client went away mid-answer
            keep = False
        except Exception:  # never lose the thread to one connection
            log.exception("unexpected error serving %s:%s", *conn.peer)
            keep = False
        with self._lock:
            self._in_app.pop(ident, None)
            conn.busy = False
            if not keep or self._stopping.is_set():
                self._close_locked(conn)
            elif not conn.closed:
                try:
                    self._poller.rearm(conn.fd)
                except (OSError, ValueError):
                    self._close_locked(conn)

    def _sweep(self, now: float) -> None:
        """Close connections idle too long, and lingering ones past their time."""
        with self._lock:
            for conn in list(self._connections.values()):
                if conn.busy:
                    continue
                if conn.linger_until is not None:
                    if now > conn.linger_until:
                        self._close_locked(conn)
                elif now - conn.last_active > self.idle_timeout:
                    self._close_locked(conn)

    def _close_idle_locked(self, count: int) -> None:
        idle = [conn for conn in self._connections.values() if not conn.busy]
        idle.sort(key=lambda conn: conn.last_active)
        for conn in idle[:count]:
            self._close_locked(conn)

    def _close_locked(self, conn: _Connection) -> None:
        if conn.closed:
            return
        conn.closed = True
        self._poller.remove(conn.fd)
        self._connections.pop(conn.fd, None)
        with contextlib.suppress(OSError):
            conn.sock.close()

    # ------------------------------------------------------------------ requests

    def _read_and_answer(self, conn: _Connection) -> bool:
        """Read what arrived and answer every whole request in it; False: close."""
        try:
            data = conn.sock.recv(_RECV_BYTES)
        except (BlockingIOError, InterruptedError):
            return True
        except OSError:
            return False
        if not data:
            return False
        conn.last_active = time.monotonic()
        if conn.linger_until is not None:  # dropping the rest of a refused body
            return time.monotonic() < conn.linger_until
        conn.buffer += data
        while conn.buffer and conn.linger_until is None:
            try:
                answered = self._answer_one(conn)
            except WireError as error:
                self._send(conn, error_response(error.status, str(error)))
                return False
            if answered is None:
                return True  # the rest has not arrived
            if not answered:
                return False
        return True

    def _answer_one(self, conn: _Connection) -> bool | None:
        """Answer the request at the start of the buffer: True (go on), False (close), None
        (incomplete: wait for more)."""
        head = conn.head or read_head(conn.buffer)
        if head is None:
            return None
        conn.head = head
        limit = self.max_body_bytes
        if head.chunked:
            try:
                framed = read_chunked(conn.buffer, head.size, limit)
            except BodyTooLarge as too:
                return self._refuse_body(conn, head, too.received)
            if framed is None:
                self._await_body(conn, head)
                return None
            body, end = framed
        else:
            length = head.content_length or 0
            if limit is not None and length > limit:
                return self._refuse_body(conn, head, length)
            end = head.size + length
            if len(conn.buffer) < end:
                self._await_body(conn, head)
                return None
            body = bytes(conn.buffer[head.size:end])
        del conn.buffer[:end]
        conn.head = None
        conn.continue_sent = False
        return self._call_app(conn, head, body, refused=False)

    def _await_body(self, conn: _Connection, head: Head) -> None:
        if head.expects_continue and not conn.continue_sent:
            conn.continue_sent = True
            self._send(conn, b"HTTP/1.1 100 Continue\r\n\r\n")

    def _refuse_body(self, conn: _Connection, head: Head, length: int) -> bool:
        """The app answers an over-limit body unread; then the connection lingers closed."""
        head.headers["CONTENT_LENGTH"] = str(length)
        conn.buffer.clear()
        conn.head = None
        self._call_app(conn, head, b"", refused=True)
        with contextlib.suppress(OSError):
            conn.sock.shutdown(socket.SHUT_WR)
        conn.linger_until = time.monotonic() + _LINGER_S
        return True

    def _call_app(self, conn: _Connection, head: Head, body: bytes, *, refused: bool) -> bool:
        """Run the app (``http_wsgi``) and send its answer; True when the connection stays."""
        environ = environ_for(head, body, server=(self.host, self.port), peer=conn.peer,
                              refused=refused)
        keep = head.keep_alive and not refused and not self._stopping.is_set()
        answer, keep = run_app(self.app, environ, head, keep)
        self._send(conn, answer)
        conn.last_active = time.monotonic()
        return keep

    def _send(self, conn: _Connection, data: bytes) -> None:
        """Send it all: at once when the socket takes it, else waiting up to the idle timeout."""
        try:
            sent = conn.sock.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        if sent < len(data):
            conn.sock.settimeout(self.idle_timeout)
            try:
                conn.sock.sendall(memoryview(data)[sent:])
            finally:
                conn.sock.setblocking(False)
