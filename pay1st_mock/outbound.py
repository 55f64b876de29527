"""Calls from the emulator to a partner (webhooks, User Info): bounded in time and in size.

A partner that never answers, trickles its answer byte by byte, or sends 50 MB must not hold a
worker or fill memory: the connection and each read have a timeout, the whole answer has a
deadline, and at most ``limit`` bytes are read.

POSTs (webhooks) go through ``Connections``, keep-alive ``http.client`` connections: a quarter
of what a ``requests`` call costs, on the path every payment's webhook takes (issue 18). Like
``requests`` here, they never use a proxy and never follow a redirect.
"""

from __future__ import annotations

import base64
import http.client
import select
import ssl
import time
from typing import Any
from urllib.parse import unquote, urlsplit

from pay1st_mock.frozen import frozen

CHUNK = 8192
BODY_KEPT = 2048  # bytes of the partner's answer kept in logs
BODY_READ = 65536  # bytes read at most, so a huge answer cannot exhaust us


class TooSlow(Exception):
    """The partner's answer did not finish before the deadline."""


def new_session() -> Any:
    """A ``requests`` session that ignores proxy variables: partners are on this machine or
    reached directly, never through whatever proxy the environment names."""
    import requests  # imported on first use: the cold start does not need it

    session = requests.Session()
    session.trust_env = False
    return session


def read_capped(response: Any, limit: int, deadline: float) -> bytes:
    """Read at most ``limit`` bytes of a streamed ``requests`` response before ``deadline``
    (a ``time.monotonic()`` value); raise ``TooSlow`` if the body is still coming then."""
    return _read_capped(lambda size: response.raw.read1(size, decode_content=True), limit,
                        deadline)


def _read_capped(read1: Any, limit: int, deadline: float) -> bytes:
    body = bytearray()
    while len(body) < limit:
        if time.monotonic() > deadline:
            raise TooSlow
        # read1 returns what has arrived (read() would wait for the whole chunk, so a partner
        # sending a byte at a time could hold us far past the deadline).
        chunk = read1(min(CHUNK, limit - len(body)))
        if not chunk:
            break
        body += chunk
    return bytes(body)


class Connections:
    """One thread's keep-alive connections to partners, by scheme, host and port (not
    thread-safe: one per thread). A connection the partner has closed meanwhile is noticed
    before it is used again, as urllib3 does, and replaced; a request is never sent twice."""

    def __init__(self) -> None:
        self._open: dict[tuple[str, str, int], http.client.HTTPConnection] = {}
        self._tls: ssl.SSLContext | None = None

    def connection(self, scheme: str, host: str, port: int,
                   timeout: float) -> http.client.HTTPConnection:
        """An open connection to reuse, or a new one (connected when first used)."""
        key = (scheme, host, port)
        found = self._open.get(key)
        if found is not None and found.sock is not None and not _dropped(found.sock):
            found.sock.settimeout(timeout)
            return found
        self.forget(scheme, host, port)
        if scheme == "https":
            if self._tls is None:
                self._tls = _tls_context()
            made: http.client.HTTPConnection = http.client.HTTPSConnection(
                host, port, timeout=timeout, context=self._tls)
        else:
            made = http.client.HTTPConnection(host, port, timeout=timeout)
        self._open[key] = made
        return made

    def forget(self, scheme: str, host: str, port: int) -> None:
        """Close the connection to that partner, if one is open (its state is unknown)."""
        found = self._open.pop((scheme, host, port), None)
        if found is not None:
            found.close()

    def close(self) -> None:
        """Close every connection."""
        for found in self._open.values():
            found.close()
        self._open.clear()


def _tls_context() -> ssl.SSLContext:
    """Verify partners' certificates against certifi's authorities, as requests did (some
    Python installs, macOS's python.org builds among them, come without system ones)."""
    try:
        import certifi
    except ImportError:  # pragma: no cover - requests brings certifi
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


def _dropped(sock: Any) -> bool:
    """An idle keep-alive socket that is readable was closed by the partner (or holds bytes
    nobody asked for): either way it cannot carry the next request."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


@frozen
class Answer:
    """What came back from one POST: a status and the start of the body, or why nothing did."""

    status: int | None
    body: str | None
    error: str | None  # set when no complete 2xx arrived in time
    duration_ms: float

    @property
    def succeeded(self) -> bool:
        """A complete 2xx answer in time."""
        return self.error is None and self.status is not None and 200 <= self.status < 300


def post_bounded(connections: Connections, url: str, body: bytes, headers: dict[str, str],
                 timeout: float) -> Answer:
    """POST ``body`` to a partner and read its answer within ``timeout`` seconds (connection,
    each read and the whole answer), keeping ``BODY_KEPT`` bytes of it; never raises for what
    the partner does (refused, silent, trickling, huge, non-2xx: all in ``Answer.error``)."""
    started = time.perf_counter()
    deadline = time.monotonic() + timeout
    status: int | None = None
    answer: str | None = None
    error: str | None = None
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), parts.hostname
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:  # a port that is no number
        port, host = 0, None
    if scheme not in ("http", "https") or not host:
        return Answer(None, None, f"InvalidURL: cannot POST to {url!r}",
                      (time.perf_counter() - started) * 1000)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if parts.username is not None:  # credentials in the URL: Basic auth, as requests sends them
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode("latin-1")
        headers = {**headers, "Authorization": "Basic " + base64.b64encode(pair).decode()}
    keep = False
    try:
        connection = connections.connection(scheme, host, port, timeout)
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        status = response.status
        raw = _read_capped(response.read1, BODY_READ, deadline)
        answer = raw[:BODY_KEPT].decode("utf-8", "replace")
        if response.length == 0:  # read whole (read1 does not close it at the end)
            response.close()
        keep = not response.will_close and response.isclosed()  # read whole: reusable
    except TimeoutError:
        error = f"no answer within {timeout:g} s"
    except TooSlow:
        error = f"the answer was still arriving after {timeout:g} s"
    except (OSError, http.client.HTTPException, ValueError) as exc:  # ValueError: a URL with
        error = f"{type(exc).__name__}: {exc}"  # text http.client cannot send (not ASCII)
    if not keep:
        connections.forget(scheme, host, port)
    if status is not None and not 200 <= status < 300 and error is None:
        error = f"answered {status}; only a 2xx counts as delivered"
    return Answer(status, answer, error, (time.perf_counter() - started) * 1000)
