"""A minimal keep-alive HTTP/1.1 client over a raw socket, for load generation.

``requests`` spends ~0.3–0.5 ms of client CPU per call; on a 2-core machine that competes with
the server being measured. This client sends pre-built request bytes and reads the response by
Content-Length (chunked bodies are also understood), so its own cost is a few tens of µs.
Only for talking to our own server on 127.0.0.1.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping


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
