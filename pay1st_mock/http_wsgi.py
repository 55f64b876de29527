"""Calling a WSGI app for one request read by ``http_server``, and the bytes of its answer
(PEP 3333). No socket here: the server sends what ``run_app`` returns.

The answer is gathered whole before anything is sent, so an app that fails gets a 500 rather
than half an answer; except one that fails after declaring a Content-Length (the "drop" fault):
what it made is sent, then the connection is cut, as a client would see a server die mid-answer.
"""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Callable, Iterable
from typing import Any

from pay1st_mock.http_wire import (
    BODY_REFUSED_ENVIRON,
    Head,
    error_response,
    path_and_query,
    response_head,
)

log = logging.getLogger("pay1st_mock.server")

Environ = dict[str, Any]
StartResponse = Callable[..., Callable[[bytes], None]]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]
_NO_BODY_STATUSES = ("1", "204", "304")


def environ_for(head: Head, body: bytes, *, server: tuple[str, int], peer: tuple[str, int],
                refused: bool) -> Environ:
    """The WSGI environ of a request whose body was read whole (``refused``: not read at all,
    being over the limit; ``CONTENT_LENGTH`` then says what was declared or received)."""
    path, query = path_and_query(head.target)
    environ: Environ = {
        "REQUEST_METHOD": head.method, "SCRIPT_NAME": "", "PATH_INFO": path,
        "QUERY_STRING": query, "REQUEST_URI": head.target, "RAW_URI": head.target,
        "SERVER_NAME": server[0], "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": head.version, "SERVER_SOFTWARE": "pay1st-mock",
        "REMOTE_ADDR": peer[0], "REMOTE_PORT": str(peer[1]),
        "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    environ.update(head.headers)
    if refused:
        environ[BODY_REFUSED_ENVIRON] = True
    elif head.chunked:  # read whole: the app sees its length like any other body's
        environ["CONTENT_LENGTH"] = str(len(body))
    return environ


def run_app(app: WsgiApp, environ: Environ, head: Head, keep_alive: bool) -> tuple[bytes, bool]:
    """The app's whole answer to send, and whether the connection stays open after it (never
    after a failure; ``keep_alive``: whether it may)."""
    answer: list[Any] = []
    chunks: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]],
                       exc_info: Any = None) -> Callable[[bytes], None]:
        answer[:] = [status, headers]  # nothing is sent before the app returns: replace
        return chunks.append

    result: Iterable[bytes] = ()
    try:
        result = app(environ, start_response)
        for chunk in result:
            if not isinstance(chunk, bytes):
                raise TypeError(f"the app yielded {type(chunk).__name__}, not bytes")
            chunks.append(chunk)
        if not answer:
            raise RuntimeError("the app returned without calling start_response")
    except Exception as error:
        return _failure(head, answer, chunks, error), False
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    status, headers = answer
    payload = b"".join(chunks)
    if status.startswith(_NO_BODY_STATUSES) or head.method == "HEAD":
        payload = b""  # these answers end with their head (RFC 9110 §9.3.2, §15.3.5)
    elif not any(name.lower() == "content-length" for name, _ in headers):
        headers = [*headers, ("Content-Length", str(len(payload)))]
    return response_head(status, headers, keep_alive, head.version) + payload, keep_alive


def _failure(head: Head, answer: list[Any], chunks: list[bytes], error: Exception) -> bytes:
    declared = bool(answer) and any(name.lower() == "content-length" for name, _ in answer[1])
    if not isinstance(error, ConnectionAbortedError):  # that one is a fault on purpose
        log.error("the app failed on %s %s", head.method, head.target, exc_info=error)
    if declared:
        return response_head(answer[0], answer[1], False, head.version) + b"".join(chunks)
    return error_response(500, "the emulator failed on this request; its log has the error")
