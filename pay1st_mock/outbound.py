"""Calls from the emulator to a partner (webhooks, User Info): bounded in time and in size.

A partner that never answers, trickles its answer byte by byte, or sends 50 MB must not hold a
worker or fill memory: the connection and each read have a timeout, the whole answer has a
deadline, and at most ``limit`` bytes are read.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

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
    body = bytearray()
    while len(body) < limit:
        if time.monotonic() > deadline:
            raise TooSlow
        # read1 returns what has arrived (read() would wait for the whole chunk, so a partner
        # sending a byte at a time could hold us far past the deadline).
        chunk = response.raw.read1(min(CHUNK, limit - len(body)), decode_content=True)
        if not chunk:
            break
        body += chunk
    return bytes(body)


@dataclass(frozen=True)
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


def post_bounded(session: Any, url: str, body: bytes, headers: dict[str, str],
                 timeout: float) -> Answer:
    """POST ``body`` to a partner and read its answer within ``timeout`` seconds (connection,
    each read and the whole answer), keeping ``BODY_KEPT`` bytes of it; never raises for what
    the partner does (refused, silent, trickling, huge, non-2xx: all in ``Answer.error``)."""
    import requests

    started = time.perf_counter()
    deadline = time.monotonic() + timeout
    status: int | None = None
    answer: str | None = None
    error: str | None = None
    try:
        with session.post(url, data=body, headers=headers, timeout=timeout, stream=True,
                          allow_redirects=False) as response:
            status = response.status_code
            raw = read_capped(response, BODY_READ, deadline)
            answer = raw[:BODY_KEPT].decode("utf-8", "replace")
    except requests.Timeout:
        error = f"no answer within {timeout:g} s"
    except TooSlow:
        error = f"the answer was still arriving after {timeout:g} s"
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"
    if status is not None and not 200 <= status < 300 and error is None:
        error = f"answered {status}; only a 2xx counts as delivered"
    return Answer(status, answer, error, (time.perf_counter() - started) * 1000)
