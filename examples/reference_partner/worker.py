"""A background worker: jobs run one at a time on a daemon thread, in submission order.

Webhook handlers hand slow work (calling Pay1st back) to it and answer at once, so Pay1st never
times out waiting for us and never retries a delivery we already handled.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable

log = logging.getLogger("reference_partner.worker")


class Worker:
    """``submit`` jobs; ``wait_idle`` until all have run; ``close`` runs what is left, then ends."""

    def __init__(self, name: str) -> None:
        self._jobs: deque[Callable[[], None]] = deque()
        self._changed = threading.Condition()
        self._running = False
        self._closing = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, job: Callable[[], None]) -> None:
        """Queue ``job``; it runs after those already queued."""
        with self._changed:
            if self._closing:
                raise RuntimeError("the worker is closed")
            self._jobs.append(job)
            self._changed.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until no job is queued or running; False if ``timeout`` passed first."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._jobs and not self._running, timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Run the queued jobs, then stop the thread (waiting up to ``timeout``)."""
        with self._changed:
            self._closing = True
            self._changed.notify_all()
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._jobs or self._closing)
                if not self._jobs:
                    return
                job = self._jobs.popleft()
                self._running = True
            try:
                job()
            except Exception:  # one failed job must not stop the others
                log.exception("background job failed")
            finally:
                with self._changed:
                    self._running = False
                    self._changed.notify_all()
