"""Command-line input checked before anything runs: each problem is one line saying what to
change, and the command exits 2 (never a traceback).

``OneLineParser`` turns argparse's usage errors into ``UsageError``; the ``type=`` functions
(``port_number``, ``http_url``, ``server_timestamp``) refuse a value with a message naming what
is expected; ``host_problem`` and ``listen_problem`` explain why an address cannot be served.
"""

from __future__ import annotations

import argparse
import errno
import socket
import time
from typing import NoReturn
from urllib.parse import urlsplit

from pay1st_mock.domain.signatures import parse_timestamp
from pay1st_mock.errors import Pay1stError


class UsageError(Exception):
    """Bad command-line input; the message is the whole line to print."""


class OneLineParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line (``UsageError``), not usage + traceback."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def port_number(text: str) -> int:
    """A TCP port, 0 to 65535 (0: any free port)."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(
            f"must be a port number from 0 to 65535 (0 picks a free one); got {text!r}")
    return port


def http_url(text: str) -> str:
    """An ``http://`` or ``https://`` URL with a host (a partner's base URL, a server's)."""
    expected = f"must be an http:// or https:// URL such as http://127.0.0.1:3000; got {text!r}"
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace()
                                                                          for c in text.strip()):
        raise argparse.ArgumentTypeError(expected)
    try:
        parts.port  # noqa: B018  (reading it checks it)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"has a port that is not 0 to 65535; got {text!r}") from None
    return text.strip()


def server_timestamp(text: str) -> str:
    """An ``X-TIMESTAMP`` the emulator would accept the form of (ISO-8601 with a zone)."""
    try:
        parse_timestamp(text)
    except Pay1stError as exc:
        raise argparse.ArgumentTypeError(
            exc.message.replace("X-TIMESTAMP ", "", 1).replace("send e.g.", "pass e.g.")) from None
    return text


def seconds_from_now(timestamp: str) -> float:
    """How far ``timestamp`` (a valid ``X-TIMESTAMP``) is ahead of now (negative: behind)."""
    return parse_timestamp(timestamp) - time.time()


def host_problem(host: str, resolve_only: bool = False) -> str | None:
    """Why ``host`` cannot be listened on (not a name that resolves, or with ``resolve_only``
    false not an address of this machine), or ``None``."""
    try:
        found = socket.getaddrinfo(host.strip("[]"), None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return (f"cannot listen on {host}: it is not an address of this machine, nor a name "
                f"that resolves; pass --host 127.0.0.1 (this machine only), 0.0.0.0 (all its "
                f"addresses) or one of its addresses")
    if resolve_only:
        return None
    family, _, _, _, address = found[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((address[0], 0))
        except OSError as exc:
            if exc.errno == errno.EADDRNOTAVAIL:
                return (f"cannot listen on {host}: it is not an address of this machine; pass "
                        f"--host 127.0.0.1 (this machine only), 0.0.0.0 (all its addresses) or "
                        f"one of its addresses")
    return None


def listen_problem(host: str, port: int, exc: OSError) -> str:
    """What to change when binding ``host:port`` failed with ``exc``."""
    where = f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return (f"cannot listen on {where}: the port is taken by another process; stop it or "
                f"pass --port 0 for any free port")
    if exc.errno == errno.EACCES:
        return (f"cannot listen on {where}: ports below 1024 need administrator rights; pass a "
                f"port from 1024 up, or --port 0 for any free port")
    if exc.errno == errno.EADDRNOTAVAIL or isinstance(exc, socket.gaierror):
        return host_problem(host) or f"cannot listen on {where} ({exc.strerror})"
    return f"cannot listen on {where} ({exc.strerror or exc})"
