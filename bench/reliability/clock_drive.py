"""The clock drive: after the load, advance the emulator clock until no retry is pending.

Retries run on the emulator clock (5 s, 5 min, 30 min, 2 h, ...); during the load only the
first comes due in real time. ``drain`` moves the clock past the pending ones, round by round,
and waits for the dispatcher to attempt them; the listeners keep failing for the first rounds so
the later retry levels are exercised too (bench/README.md, "The clock drive").
"""

from __future__ import annotations

import math
import time
from datetime import datetime
from typing import Any

from .emulator import Control
from .listeners import FlakyListener
from .settings import FAILING_DRAIN_ROUNDS


def parse_time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def drain(control: Control, listeners: list[FlakyListener], limit_s: float,
          failing_rounds: int = FAILING_DRAIN_ROUNDS) -> dict[str, Any]:
    """Advance the emulator clock past every pending retry until no delivery is PENDING (or
    ``limit_s`` passes); the listeners keep failing for the first ``failing_rounds`` rounds,
    so the later retry levels (5 min, 30 min, 2 h) are exercised too, then stop failing.

    Each round reads the PENDING deliveries, moves the clock just past the latest
    ``nextAttemptAt`` among them, and waits for the dispatcher to work through them. A
    delivery gets at most one attempt per round, so at most 2 (first try and the real-time 5 s
    retry during the load) + ``failing_rounds`` attempts fail: fewer than the 8 after which it
    would be EXHAUSTED.
    """
    t0 = time.monotonic()
    advanced = 0.0
    rounds = 0
    pending: list[dict[str, Any]] = []
    while True:
        if rounds >= failing_rounds:
            for listener in listeners:
                listener.failing = False
        pending = control.get("/_mock/deliveries", status="PENDING", limit=1000)["deliveries"]
        if not pending or time.monotonic() - t0 > limit_s:
            break
        rounds += 1
        now = parse_time(control.get("/_mock/clock")["now"])
        latest = max((parse_time(d["nextAttemptAt"]) for d in pending if d["nextAttemptAt"]),
                     default=now)
        if latest > now:
            step = math.ceil(latest - now) + 1
            control.post("/_mock/clock/advance", {"seconds": step})
            advanced += step
        wait_until = time.monotonic() + 10.0
        while time.monotonic() < wait_until:  # until every due one has had its attempt
            time.sleep(0.2)
            now = parse_time(control.get("/_mock/clock")["now"])
            left = control.get("/_mock/deliveries", status="PENDING", limit=1000)["deliveries"]
            if all(d["nextAttemptAt"] and parse_time(d["nextAttemptAt"]) > now for d in left):
                break
    for listener in listeners:
        listener.failing = False
    return {"seconds": round(time.monotonic() - t0, 2), "rounds": rounds,
            "clock_advanced_s": advanced, "left_pending": len(pending)}
