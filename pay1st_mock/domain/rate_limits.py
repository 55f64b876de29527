"""Opt-in rate limiting, so partners can test their back-off (pay1st-api.md §4.2 lists 429 and
publishes no threshold or header).

A fixed window per partner on the emulator clock: at most ``limit`` calls in each window of
``window`` seconds; the next call is refused 429 ``RATE_LIMITED`` with ``Retry-After`` = the
whole seconds until the window ends. ``limit`` 0 turns it off (the default).
"""

from __future__ import annotations

import math
import threading

from pay1st_mock.clock import Clock
from pay1st_mock.errors import Pay1stError


class RateLimiter:
    """Counts each partner's calls per window; thread-safe."""

    def __init__(self, clock: Clock, limit: int, window: float) -> None:
        self._clock = clock
        self.limit = limit
        self.window = window
        self._counts: dict[int, tuple[int, int]] = {}  # partner id → (window number, calls)
        self._lock = threading.Lock()

    def admit(self, partner_id: int) -> None:
        """Count one call of ``partner_id``; raise 429 ``RATE_LIMITED`` beyond the limit."""
        if self.limit <= 0:
            return
        now = self._clock.now()
        number = math.floor(now / self.window)
        with self._lock:
            seen, calls = self._counts.get(partner_id, (number, 0))
            calls = calls + 1 if seen == number else 1
            self._counts[partner_id] = (number, calls)
        if calls > self.limit:
            wait = max(1, math.ceil((number + 1) * self.window - now))
            raise Pay1stError(
                "RATE_LIMITED",
                f"more than {self.limit} calls in {self.window:g} s from this partner (the "
                f"emulator's opt-in [gateway] rate_limit_requests); wait {wait} s, as "
                "Retry-After says, and retry with back-off",
                partner_id=partner_id, headers={"Retry-After": str(wait)})

    def reset(self) -> None:
        """Forget every count (a full reset)."""
        with self._lock:
            self._counts.clear()
