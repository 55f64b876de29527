"""The outbox dispatcher: a background thread that delivers due webhooks and sweeps
abandoned payments.

Deliveries are rows written in the same transaction as the change that caused them, so none is
lost: after a crash the dispatcher simply finds them pending again. Each attempt signs afresh
(new ``X-TIMESTAMP``), is logged with request and response, and a failure schedules the next
attempt on the emulator clock, so advancing the clock makes retries due at once. A reference's
deliveries go out one at a time, in order.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from pay1st_mock.clock import Clock
from pay1st_mock.faults import FaultBook
from pay1st_mock.outbound import Connections, post_bounded
from pay1st_mock.records import Attempt, Delivery
from pay1st_mock.store.deliveries import DeliveryRepository

log = logging.getLogger("pay1st_mock.webhooks")

_IDLE_WAIT = 1.0  # seconds between sweeps when nothing is due
# Emulator seconds between two sweeps: a busy outbox wakes the dispatcher for every event, and
# sweeping each time cost several queries per payment. Moving the clock sweeps at once.
_SWEEP_EVERY = 1.0


SignHeaders = Callable[[Delivery, str], dict[str, str]]
ObserveAttempt = Callable[[Delivery, Attempt], None]


def logged(headers: dict[str, str]) -> dict[str, str]:
    """The headers as the delivery log keeps them: credentials (the Shop's ``Authorization:
    Basic``, whose Base64 text is also the Summary signing key) shown as a fingerprint only, so
    a partner can tell the right pair was sent and nobody can read it back."""
    def shown(name: str, value: str) -> str:
        if name.lower() != "authorization":
            return value
        scheme, _, secret = value.partition(" ")
        return f"{scheme} <redacted sha256:{hashlib.sha256(secret.encode()).hexdigest()[:8]}>"
    return {name: shown(name, value) for name, value in headers.items()}


class Dispatcher:
    """Delivers the outbox in the background; ``wake()`` after enqueuing or moving the clock.

    ``sign`` returns the signature headers of a delivery for a timestamp text; ``sweep`` is
    called with the emulator time (abandonment, refunds) on a turn when ``_SWEEP_EVERY`` has
    passed on the emulator clock since the last one. After a failed attempt n the
    next waits ``retry_delays[n - 1]``; after ``len(retry_delays) + 1`` attempts it is EXHAUSTED.
    ``observe`` is told of every attempt once it is logged, with the delivery as logged (its
    new status and next attempt; the go-live checklist and the activity feed listen).
    """

    def __init__(self, deliveries: DeliveryRepository, clock: Clock, sign: SignHeaders,
                 sweep: Callable[[float], object], retry_delays: tuple[float, ...],
                 timeout: float, faults: FaultBook | None = None, workers: int = 4,
                 observe: ObserveAttempt | None = None) -> None:
        self._deliveries = deliveries
        self._clock = clock
        self._sign = sign
        self._observe = observe
        self._sweep = sweep
        self._retry_delays = retry_delays
        self._timeout = timeout
        self._faults = faults if faults is not None else FaultBook()
        self._workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers,
                                        thread_name_prefix="pay1st-mock-webhook")
        self._busy: set[str] = set()
        self._lock = threading.Lock()
        self._wakeup = threading.Condition(self._lock)
        self._stopping = False
        self._woken = False
        self._swept_at: float | None = None  # emulator time of the last sweep
        self._next_due: float | None = None  # when the last turn's next delivery falls due
        self._local = threading.local()
        self._all_connections: list[Connections] = []
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the background thread (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="pay1st-mock-dispatcher",
                                            daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """Look at the outbox now rather than at the next timed turn."""
        with self._wakeup:
            self._woken = True
            self._wakeup.notify()

    def stop(self) -> None:
        """Finish in-flight attempts and stop; pending deliveries stay in the outbox."""
        with self._wakeup:
            self._stopping = True
            self._wakeup.notify()
        if self._thread is not None:
            self._thread.join(10)
        self._pool.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            for connections in self._all_connections:
                connections.close()
            self._all_connections.clear()

    def _run(self) -> None:
        while True:
            with self._wakeup:
                if self._stopping:
                    return
            try:
                self._turn()
                with self._wakeup:
                    again = self._woken  # woken during the turn: look again at once
                # reads the store: never while holding _wakeup
                wait = 0.0 if again else self._wait_seconds()
            except Exception:  # keep delivering whatever one bad turn did
                log.exception("dispatcher turn failed")
                wait = _IDLE_WAIT
            with self._wakeup:
                if self._stopping:
                    return
                if not self._woken:
                    self._wakeup.wait(wait)
                self._woken = False

    def _wait_seconds(self) -> float:
        """How long to sleep unless woken: until the next delivery the pool could take falls
        due, as the turn just found it. A delivery being sent, or waiting behind one, wakes
        the dispatcher when it is done, so it is no reason to look again now (that was a busy
        loop); nor is a delivery added since the turn, which wakes it too."""
        with self._lock:
            full = len(self._busy) >= self._workers
        if full or self._next_due is None:
            return _IDLE_WAIT
        return max(0.0, min(_IDLE_WAIT, self._next_due - self._clock.now()))

    def _turn(self) -> None:
        now = self._clock.now()
        if self._swept_at is None or not 0 <= now - self._swept_at < _SWEEP_EVERY:
            self._swept_at = now
            self._sweep(now)
        with self._lock:
            busy = set(self._busy)
        free = self._workers - len(busy)  # more would only queue behind the pool's threads
        if free <= 0:
            self._next_due = None  # a worker finishing wakes the dispatcher
            return
        due, self._next_due = self._deliveries.due(now, busy, limit=free)
        for delivery in due:
            with self._lock:
                if delivery.reference in self._busy:
                    continue
                self._busy.add(delivery.reference)
            self._pool.submit(self._deliver, delivery)

    def _deliver(self, delivery: Delivery) -> None:
        try:
            fault = self._faults.take("webhook", None, delivery.kind, delivery.partner_id) or {}
            if fault.get("reorder"):
                later = self._deliveries.next_pending_after(delivery)
                if later is not None:  # the partner gets the newer event first
                    self._attempt_and_record(later)
            if "delayMs" in fault:
                time.sleep(fault["delayMs"] / 1000)
            attempt = self._attempt_and_record(delivery)
            if fault.get("duplicate") and attempt.succeeded:
                # the same request again, as a network retry would: logged as another attempt,
                # and the delivery stays DELIVERED whatever the partner answers to the copy
                fresh = self._deliveries.get(delivery.id)
                if fresh is not None:
                    self._attempt_and_record(fresh, keep="DELIVERED")
        except Exception:
            log.exception("delivery %s failed unexpectedly", delivery.id)
        finally:
            with self._wakeup:
                self._busy.discard(delivery.reference)
                self._woken = True  # the reference's next delivery may now go
                self._wakeup.notify()

    def _attempt_and_record(self, delivery: Delivery, keep: str | None = None) -> Attempt:
        """Send one attempt and log it; the delivery moves on by its result (or stays ``keep``)."""
        attempt = self._attempt(delivery)
        number = attempt.number
        if keep is not None:
            status, next_at = keep, None
        elif attempt.succeeded:
            status, next_at = "DELIVERED", None
        elif number > len(self._retry_delays):
            status, next_at = "EXHAUSTED", None
        else:
            status, next_at = "PENDING", self._clock.now() + self._retry_delays[number - 1]
        logged = self._deliveries.record_attempt(delivery, attempt, status, next_at)
        if self._observe is not None:
            self._observe(logged, attempt)
        return attempt

    def _connections(self) -> Connections:
        """This worker thread's keep-alive connections (they are not thread-safe)."""
        connections: Connections | None = getattr(self._local, "connections", None)
        if connections is None:
            connections = Connections()
            self._local.connections = connections
            with self._lock:
                self._all_connections.append(connections)  # closed by stop()
        return connections

    def _attempt(self, delivery: Delivery) -> Attempt:
        assert delivery.url is not None
        # The partner checks X-TIMESTAMP against its own wall clock, so sign with wall time even
        # when the emulator clock has been moved forward.
        timestamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        headers = {"Content-Type": "application/json", "User-Agent": "pay1st-mock",
                   **self._sign(delivery, timestamp)}
        at = self._clock.now()
        answer = post_bounded(self._connections(), delivery.url, delivery.body.encode("utf-8"),
                              headers, self._timeout)
        return Attempt(delivery.attempts + 1, at, delivery.url, logged(headers), delivery.body,
                       answer.status, answer.body, answer.duration_ms, answer.error)
