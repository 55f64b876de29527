"""The partners' webhook listeners: one per partner, failing a seeded share of deliveries.

Each ``FlakyListener`` is the package's ``WebhookListener`` (HTTP/1.1, keep-alive, a thread per
connection) in the benchmark process, with a script that checks each webhook's signature with
its partner's signing key, answers 500 to a seeded 30 % while ``failing`` is set (200
otherwise), and records every arrival with its ``X-TIMESTAMP`` and the answer it gave: the
listeners' view for the accounting.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

from pay1st_mock.listener import Received, Reply, WebhookListener

from .settings import FAIL_PROBABILITY
from .signing import sign


def _fails(seed: int, partner: int, reference: str, status: str, nth: int) -> bool:
    """Whether a listener answers 500 to the ``nth`` arrival of (reference, status).

    Seeded and decided per event, so the same emulator behaviour meets the same failures
    whatever the thread interleaving.
    """
    digest = hashlib.sha256(f"{seed}:{partner}:{reference}:{status}:{nth}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2 ** 64 < FAIL_PROBABILITY


@dataclass
class Reception:
    """One webhook as a listener got it and what it answered."""

    reference: str | None
    status: str | None
    partner_id: Any
    timestamp: str  # X-TIMESTAMP: matches the emulator's logged attempt
    signature_ok: bool
    answered: int
    at: float  # time.monotonic() of its arrival (``Received.at``)


_OK: Reply = (200, b"ok")
_FAIL: Reply = (500, b"partner down (scripted)")


class FlakyListener:
    """A partner's webhook endpoint on 127.0.0.1:<free port> that fails a seeded share.

    Decides before answering: while ``failing`` is set, the n-th arrival of an event is
    answered 500 when ``_fails(seed, index, reference, status, n)``; otherwise 200. Every
    arrival is recorded with its ``X-TIMESTAMP`` and the answer given.
    """

    def __init__(self, index: int, seed: int) -> None:
        self.index = index
        self.seed = seed
        self.signing_key = ""
        self.partner_id: int | None = None
        self.failing = True
        self.receptions: list[Reception] = []
        self._seen: Counter[tuple[str | None, str | None]] = Counter()
        self._lock = threading.Lock()
        self._listener = WebhookListener(self._answer).start()

    @property
    def url(self) -> str:
        return f"{self._listener.url}/pay1st/events/{self.index}"

    @property
    def connections(self) -> int:
        return self._listener.connections

    def _answer(self, received: Received) -> Reply:
        return _OK if self._judge(received).answered == 200 else _FAIL

    def _judge(self, received: Received) -> Reception:
        stamp = received.headers.get("X-TIMESTAMP", "")
        signature_ok = hmac.compare_digest(sign(self.signing_key, stamp, received.body),
                                           received.headers.get("X-SIGNATURE", ""))
        reference = status = partner_id = None
        with contextlib.suppress(ValueError, AttributeError):
            event = json.loads(received.body)
            reference, status, partner_id = (event.get("reference"), event.get("status"),
                                             event.get("partnerId"))
        with self._lock:
            nth = self._seen[(reference, status)]
            self._seen[(reference, status)] += 1
            fail = self.failing and _fails(self.seed, self.index, str(reference), str(status), nth)
            reception = Reception(reference, status, partner_id, stamp, signature_ok,
                                  500 if fail else 200, received.at)
            self.receptions.append(reception)
        return reception

    def snapshot(self) -> list[Reception]:
        with self._lock:
            return list(self.receptions)

    def close(self) -> None:
        self._listener.stop()
