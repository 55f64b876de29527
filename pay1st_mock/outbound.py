"""Calls from the emulator to a partner (webhooks, User Info): bounded in time and in size.

A partner that never answers, trickles its answer byte by byte, or sends 50 MB must not hold a
worker or fill memory: the connection and each read have a timeout, the whole answer has a
deadline, and at most ``limit`` bytes are read.
"""

from __future__ import annotations

import time
from typing import Any

CHUNK = 8192


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
