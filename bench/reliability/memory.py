"""Memory sampling of the server under load: VmRSS from /proc every second, and its slope.

The soak reports the RSS at the start, peak and end of the load, and the least-squares slope
over the load's second half (a leak shows as a steady climb once warm-up is over).
"""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path


def rss_kb(pid: int) -> int | None:
    """VmRSS of a process in kB (Linux /proc), None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def slope_per_minute(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) points, per minute; NaN for < 3 points."""
    if len(points) < 3:
        return math.nan
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    if var == 0:
        return math.nan
    return 60 * sum((t - mean_t) * (v - mean_v) for t, v in points) / var


class RssSampler:
    """VmRSS of a process every ``interval`` s, in a thread: (seconds since start, MB)."""

    def __init__(self, pid: int, interval: float = 1.0) -> None:
        self.pid = pid
        self.interval = interval
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._t0 = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="soak-rss", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            kb = rss_kb(self.pid)
            if kb is not None:
                self.samples.append((time.monotonic() - self._t0, kb / 1024))
            if self._stop.wait(self.interval):
                return

    def since(self, start: float, end: float) -> list[tuple[float, float]]:
        return [(t, mb) for t, mb in self.samples if start <= t <= end]

    def now(self) -> float:
        return time.monotonic() - self._t0

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2.0)
