"""HTTP/1.1 on the wire, for ``http_server``: reading one request out of a connection's bytes,
and writing a response's head. Pure functions over bytes; no socket here.

What is read (RFC 9112): a request line ``METHOD target HTTP/1.x`` (empty lines before it are
skipped), header fields, then a body framed by ``Content-Length`` or ``Transfer-Encoding:
chunked`` (never both: that is how requests are smuggled past proxies). Anything else is a
``WireError`` carrying the status to answer before closing. Header names containing ``_`` are
dropped, as waitress and nginx do: in the WSGI environ ``X_SIGNATURE`` would be read as
``X-SIGNATURE``, so a client could pass a header a proxy in front never saw.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from email.utils import formatdate
from urllib.parse import unquote_to_bytes

# Set by the server in the WSGI environ of a request whose body it refused unread (too large).
BODY_REFUSED_ENVIRON = "pay1st_mock.body_refused"
MAX_HEAD_BYTES = 65536  # request line and headers together; more is answered 431
_METHOD_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789"
                          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")  # RFC 9110 token
# Never taken from a client: no trusted proxy stands in front of the emulator.
_VERSION = re.compile(r"^HTTP/[0-9]\.[0-9]$")
_FORBIDDEN = re.compile("[\x00\r\n]")  # never inside a line (RFC 9110 §5.5)
_HEX = re.compile(r"^[0-9A-Fa-f]+$")
_PROXY_HEADERS = frozenset({"FORWARDED", "X_FORWARDED_FOR", "X_FORWARDED_HOST",
                            "X_FORWARDED_PROTO", "X_FORWARDED_PORT", "X_FORWARDED_BY"})
REASONS = {400: "Bad Request", 413: "Content Too Large", 431: "Request Header Fields Too Large",
           500: "Internal Server Error", 501: "Not Implemented",
           505: "HTTP Version Not Supported"}


class WireError(Exception):
    """A request that cannot be read: answer ``status`` with ``message``, then close."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Head:
    """A request's line and headers, as the WSGI environ wants them (``HTTP_*`` keys, plus
    ``CONTENT_TYPE`` and ``CONTENT_LENGTH`` without the prefix)."""

    method: str
    target: str
    version: str
    headers: dict[str, str]
    size: int  # bytes up to and including the blank line
    content_length: int | None = None
    chunked: bool = False
    keep_alive: bool = True
    expects_continue: bool = False


def read_head(buffer: bytes | bytearray) -> Head | None:
    """The head at the start of ``buffer``, or None while its blank line has not arrived.

    Raises ``WireError`` for a malformed head, an unsupported version or framing, or a head
    over ``MAX_HEAD_BYTES``.
    """
    start = 0
    while buffer.startswith(b"\r\n", start):  # RFC 9112 §2.2: ignore empty lines before
        start += 2
    end = buffer.find(b"\r\n\r\n", start)
    if end < 0:
        if len(buffer) - start > MAX_HEAD_BYTES:
            raise WireError(431, "the request line and headers exceed 64 KiB")
        return None
    if end - start > MAX_HEAD_BYTES:
        raise WireError(431, "the request line and headers exceed 64 KiB")
    text = bytes(buffer[start:end]).decode("latin-1")
    lines = text.split("\r\n")
    # CR, LF or NUL inside a line: once over the whole head, then line by line to name it.
    suspect = "\x00" in text or text.count("\r") != len(lines) - 1 \
        or text.count("\n") != len(lines) - 1
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[0] or not parts[1] \
            or (parts[0] not in _KNOWN_METHODS and not set(parts[0]) <= _METHOD_CHARS) \
            or (suspect and _FORBIDDEN.search(lines[0])):
        raise WireError(400, f"malformed request line: {lines[0][:200]!r}")
    method, target, version = parts
    if not _VERSION.match(version):
        raise WireError(400, f"malformed request line: {lines[0][:200]!r}")
    if not version.startswith("HTTP/1."):
        raise WireError(505, f"{version} is not supported: send HTTP/1.1")
    if version != "HTTP/1.0":
        version = "HTTP/1.1"  # RFC 9112 §2.3: a later 1.x minor is answered as 1.1
    headers: dict[str, str] = {}
    hosts = 0
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip(" \t") or line[0] in " \t" \
                or (suspect and _FORBIDDEN.search(line)):
            raise WireError(400, f"malformed header line: {line[:200]!r}")
        key = _ENVIRON_KEYS.get(name)
        if key is None:
            key = _environ_key(name)
        if not key:
            continue  # dropped: an underscore in its name, or a proxy's header
        hosts += key == "HTTP_HOST"
        value = value.strip(" \t")
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    if version == "HTTP/1.1" and hosts != 1:  # RFC 9112 §3.2
        raise WireError(400, "send exactly one Host header" if hosts else
                        "the Host header is missing; HTTP/1.1 requires it")
    head = Head(method, target, version, headers, end + 4)
    _read_framing(head)
    connection = headers.get("HTTP_CONNECTION", "").lower()
    if version == "HTTP/1.0":  # a chunked 1.0 request cannot be framed back: close (§6.1)
        head.keep_alive = "keep-alive" in connection and not head.chunked
    else:
        head.keep_alive = "close" not in connection
    head.expects_continue = (version == "HTTP/1.1"
                             and headers.get("HTTP_EXPECT", "").lower() == "100-continue")
    return head


_KNOWN_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
_ENVIRON_KEYS: dict[str, str] = {}  # header name as sent -> environ key ("" = dropped)


def _environ_key(name: str) -> str:
    """The environ key of a header name ("" when it is dropped), remembered for the next
    request (bounded: a client may invent any name)."""
    key = name.upper()
    if "_" in key:
        key = ""
    else:
        key = key.replace("-", "_")
        if key in _PROXY_HEADERS:
            key = ""
        elif key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
    if len(_ENVIRON_KEYS) < 1000:
        _ENVIRON_KEYS[name] = key
    return key


def _read_framing(head: Head) -> None:
    encoding = head.headers.pop("HTTP_TRANSFER_ENCODING", None)
    length = head.headers.get("CONTENT_LENGTH")
    if encoding is not None:
        if length is not None:
            raise WireError(400, "both Content-Length and Transfer-Encoding: send only one")
        if encoding.strip().lower() != "chunked":
            raise WireError(501, f"Transfer-Encoding {encoding!r} is not supported: "
                                 "send chunked or a Content-Length")
        head.chunked = True
        return
    if length is not None:
        if not length.isdigit() or not length.isascii():
            raise WireError(400, f"Content-Length {length!r} is not a number of bytes")
        head.content_length = int(length)


def read_chunked(buffer: bytes | bytearray, start: int,
                 limit: int | None) -> tuple[bytes, int] | None:
    """The body of a chunked message that begins at ``start`` in ``buffer``, and the offset just
    after it; None while incomplete. Raises ``WireError`` on bad framing, and
    ``BodyTooLarge`` (carrying the bytes decoded so far) once the body passes ``limit``."""
    parts: list[bytes] = []
    size = 0
    position = start
    while True:
        line_end = buffer.find(b"\r\n", position)
        if line_end < 0:
            if len(buffer) - position > 1024:
                raise WireError(400, "a chunk-size line is longer than 1 KiB")
            return None
        size_text = bytes(buffer[position:line_end]).split(b";", 1)[0].decode("latin-1")
        size_text = size_text.rstrip(" \t")  # whitespace before an extension (RFC 9112 §7.1.1)
        if not _HEX.match(size_text):  # int(…, 16) would also take "0x3", "+3", "1_0"
            raise WireError(400, f"bad chunk size {size_text[:40]!r}: hexadecimal digits only")
        chunk = int(size_text, 16)
        if chunk == 0:
            trailer_end = buffer.find(b"\r\n\r\n", line_end)  # trailers are read and dropped
            if buffer.startswith(b"\r\n", line_end + 2):
                return b"".join(parts), line_end + 4
            if trailer_end < 0:
                return None
            return b"".join(parts), trailer_end + 4
        if limit is not None and size + chunk > limit:
            raise BodyTooLarge(size + chunk)
        data_end = line_end + 2 + chunk
        if len(buffer) < data_end + 2:
            return None
        if buffer[data_end:data_end + 2] != b"\r\n":
            raise WireError(400, "a chunk does not end with CRLF where its size says")
        parts.append(bytes(buffer[line_end + 2:data_end]))
        size += chunk
        position = data_end + 2


class BodyTooLarge(Exception):
    """A chunked body passed the limit after ``received`` bytes."""

    def __init__(self, received: int) -> None:
        super().__init__(received)
        self.received = received


def path_and_query(target: str) -> tuple[str, str]:
    """``PATH_INFO`` (percent-decoded, as latin-1 text, per PEP 3333) and ``QUERY_STRING``."""
    if not target.startswith("/"):
        if "://" in target:  # absolute form: keep the path
            after = target.split("://", 1)[1]
            slash = after.find("/")
            target = after[slash:] if slash >= 0 else "/"
        elif target != "*":
            raise WireError(400, f"malformed request target {target[:200]!r}")
    path, _, query = target.partition("?")
    path = path.partition("#")[0]
    # The target was read as latin-1: back to its bytes, then percent-decoded (PEP 3333).
    return unquote_to_bytes(path.encode("latin-1")).decode("latin-1"), query


_date_cache: tuple[int, bytes] = (0, b"")


def date_header() -> bytes:
    """``Date: …\\r\\n`` for now, made once per second."""
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, f"Date: {formatdate(now, usegmt=True)}\r\n".encode("latin-1"))
    return _date_cache[1]


def response_head(status: str, headers: list[tuple[str, str]], keep_alive: bool,
                  version: str) -> bytes:
    """The status line and headers (``Server`` and ``Date`` added, ``Connection`` set from
    ``keep_alive``), ending with the blank line."""
    lines = [f"HTTP/1.1 {status}\r\n"]
    lines.extend(f"{name}: {value}\r\n" for name, value in headers
                 if name.lower() != "connection")
    if not keep_alive:
        lines.append("Connection: close\r\n")
    elif version == "HTTP/1.0":
        lines.append("Connection: keep-alive\r\n")
    lines.append("Server: pay1st-mock\r\n")
    return "".join(lines).encode("latin-1") + date_header() + b"\r\n"


def error_response(status: int, message: str) -> bytes:
    """A whole plain-text answer for a request that could not be read; it closes."""
    body = f"{status} {REASONS.get(status, 'Error')}\n\n{message}\n".encode()
    head = response_head(f"{status} {REASONS.get(status, 'Error')}",
                         [("Content-Type", "text/plain; charset=utf-8"),
                          ("Content-Length", str(len(body)))], False, "HTTP/1.1")
    return head + body
