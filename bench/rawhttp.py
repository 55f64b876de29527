"""Minimal keep-alive HTTP/1.1 over raw sockets: a client for load, a responder for partners.

``requests`` spends ~0.3–0.5 ms of client CPU per call; on a 2-core machine that competes with
the server being measured. ``RawConnection`` sends pre-built request bytes and reads the response
by Content-Length (chunked bodies are also understood), so its own cost is a few tens of µs.
``Responder`` is the other side, for a partner endpoint that must write its own bytes (the
scenario runner's instant partner; a partner that stalls or trickles): a thread per keep-alive
connection that hands each request to a callback. Only for 127.0.0.1. A partner that answers
ordinary HTTP and records what it got is the package's ``pay1st_mock.listener.WebhookListener``.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Mapping


def build_request(method: str, path: str, host: str, headers: Mapping[str, str] | None = None,
                  body: bytes = b"") -> bytes:
    """The exact bytes of one HTTP/1.1 keep-alive request."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class RawConnection:
    """One persistent connection; ``request(raw)`` → (status, body)."""

    def __init__(self, host: str, port: int, timeout: float = 10.0) -> None:
        self.address = (host, port)
        self.timeout = timeout
        self.reconnects = 0
        self._sock: socket.socket | None = None
        self._buf = b""
        self._connect()

    def _connect(self) -> None:
        self.close()
        sock = socket.create_connection(self.address, timeout=self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock, self._buf = sock, b""

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def request(self, raw: bytes) -> tuple[int, bytes]:
        """Send ``raw`` and read one response; reconnects when the server closed the socket."""
        if self._sock is None:
            self.reconnects += 1
            self._connect()
        assert self._sock is not None
        self._sock.sendall(raw)
        status, body, close = self._read_response()
        if close:
            self.close()
        return status, body

    def _recv(self) -> bytes:
        assert self._sock is not None
        chunk = self._sock.recv(65536)
        if not chunk:
            self.close()
            raise ConnectionError("server closed the connection mid-response")
        return chunk

    def _read_response(self) -> tuple[int, bytes, bool]:
        buf = self._buf
        end = buf.find(b"\r\n\r\n")
        while end < 0:
            buf += self._recv()
            end = buf.find(b"\r\n\r\n")
        head, rest = buf[:end], buf[end + 4:]
        status = int(head[9:12])
        lower = head.lower()
        close = b"\r\nconnection: close" in lower or head.startswith(b"HTTP/1.0")
        length = _header_int(lower, b"content-length")
        if length is not None:
            while len(rest) < length:
                rest += self._recv()
            body, self._buf = rest[:length], rest[length:]
        elif b"\r\ntransfer-encoding: chunked" in lower:
            body, self._buf = self._read_chunked(rest)
        elif status in (204, 304) or 100 <= status < 200:
            body, self._buf = b"", rest
        else:  # body until close
            while True:
                try:
                    rest += self._recv()
                except ConnectionError:
                    break
            body, self._buf, close = rest, b"", True
        return status, body, close

    def _read_chunked(self, rest: bytes) -> tuple[bytes, bytes]:
        body = b""
        while True:
            line_end = rest.find(b"\r\n")
            while line_end < 0:
                rest += self._recv()
                line_end = rest.find(b"\r\n")
            size = int(rest[:line_end].split(b";")[0], 16)
            rest = rest[line_end + 2:]
            if size == 0:
                trailer_end = rest.find(b"\r\n")  # no trailers expected: just the final CRLF
                while trailer_end < 0:
                    rest += self._recv()
                    trailer_end = rest.find(b"\r\n")
                return body, rest[trailer_end + 2:]
            while len(rest) < size + 2:
                rest += self._recv()
            body += rest[:size]
            rest = rest[size + 2:]


def _header_int(lower_head: bytes, name: bytes) -> int | None:
    start = lower_head.find(b"\r\n" + name + b":")
    if start < 0:
        return None
    start += len(name) + 3
    stop = lower_head.find(b"\r\n", start)
    return int(lower_head[start:stop if stop >= 0 else None].strip())


# --------------------------------------------------------------------------- the server side

MAX_HEAD = 65536
MAX_BODY = 1 << 20


class Responder:
    """HTTP/1.1 on 127.0.0.1:<free port>: one thread per connection, keep-alive.

    Reads each request's head and its ``Content-Length`` body (all our clients send; at most
    ``MAX_BODY``), then calls ``handle(conn, head, body)`` at once, which sends the answer
    itself, so it decides what happens before and after. ``head`` is the request line and
    headers as sent, without the blank line. A connection ends when the client closes it or
    asks ``Connection: close``, or when ``handle`` raises ``OSError``. ``connections`` counts
    those accepted; ``requests`` the requests of connections that have ended.
    """

    def __init__(self, handle: Callable[[socket.socket, bytes, bytes], None], name: str,
                 backlog: int = 64, nodelay: bool = True) -> None:
        self.handle = handle
        self.name = name
        self.nodelay = nodelay
        self.connections = 0
        self.requests = 0
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._closed = False
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(backlog)
        self._thread = threading.Thread(target=self._accept, name=name, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return  # closed
            if self.nodelay:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                if self._closed:
                    conn.close()
                    return
                self._open.add(conn)
                self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), name=f"{self.name}-conn",
                             daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buf = b""
        served = 0
        try:
            while True:
                end = buf.find(b"\r\n\r\n")
                while end < 0:
                    chunk = conn.recv(65536)
                    if not chunk or len(buf) > MAX_HEAD:
                        return
                    buf += chunk
                    end = buf.find(b"\r\n\r\n")
                head, rest = buf[:end], buf[end + 4:]
                lower = head.lower()
                length = min(_content_length(lower), MAX_BODY)
                while len(rest) < length:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    rest += chunk
                body, buf = rest[:length], rest[length:]
                self.handle(conn, head, body)
                served += 1
                if b"\r\nconnection: close" in lower:
                    return
        except OSError:
            return
        finally:
            with self._lock:
                self.requests += served
                self._open.discard(conn)
            conn.close()

    def close(self) -> None:
        """Stop accepting and shut down the connections still open."""
        with self._lock:
            self._closed = True
            still_open = list(self._open)
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        for conn in still_open:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._thread.join(2.0)


def _content_length(lower_head: bytes) -> int:
    """A request's Content-Length; 0 when absent or unreadable."""
    try:
        return max(0, _header_int(lower_head, b"content-length") or 0)
    except ValueError:
        return 0
