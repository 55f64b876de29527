"""The emulator's one source of randomness.

With a seed, the same sequence of calls yields the same references, tokens, credentials and
session ids, so a CI run can be replayed. Without one, values come from the OS.
"""

from __future__ import annotations

import base64
import random
import threading
import uuid

# 512 bytes give 684 Base64 characters ending in '=', the length and look of the real tokens
# (pay1st-api.md §6.1).
_TOKEN_RANDOM_BYTES = 512


def seed_for_start(seed: int | None, start: int) -> int | None:
    """The seed of the ``start``-th start on the same data: ``seed`` itself on the first."""
    if seed is None or start <= 1:
        return seed
    return seed * 1_000_003 + start


class Randomness:
    """Seedable generator of every random value the emulator hands out; thread-safe."""

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self._random: random.Random = (random.Random(seed) if seed is not None
                                       else random.SystemRandom())
        self._lock = threading.Lock()

    def _bytes(self, count: int) -> bytes:
        with self._lock:
            return self._random.randbytes(count)

    def _digits(self, count: int) -> str:
        with self._lock:  # one draw, not one per digit: the same values, a tenth of the time
            return f"{self._random.randrange(10 ** count):0{count}d}"

    def payment_reference(self) -> str:
        """Return a v4 payment reference: ``C-`` + 15 digits + ``-P``."""
        return f"C-{self._digits(15)}-P"

    def refund_reference(self) -> str:
        """Return a refund reference: ``R-`` + 15 digits (pay1st-api.md §4.4)."""
        return f"R-{self._digits(15)}"

    def chargeback_reference(self) -> str:
        """Return a chargeback reference: ``CB-`` + 15 digits (our choice)."""
        return f"CB-{self._digits(15)}"

    def token(self) -> str:
        """Return an opaque token shaped like Pay1st's: 684 Base64 characters.

        It always holds a ``+`` or ``/`` so that a checkout link built without URL-escaping
        breaks here just as it does in production (design.md §3).
        """
        while True:
            token = base64.b64encode(self._bytes(_TOKEN_RANDOM_BYTES)).decode("ascii")
            if "+" in token or "/" in token:
                return token

    def session_id(self) -> str:
        """Return a UUID for an error envelope's ``sessionId``."""
        return str(uuid.UUID(bytes=self._bytes(16), version=4))

    def secret(self, length: int = 32) -> str:
        """Return URL-safe Base64 of ``length`` random bytes (API keys, secrets, signing keys)."""
        return base64.urlsafe_b64encode(self._bytes(length)).decode("ascii").rstrip("=")
