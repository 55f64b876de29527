"""The live activity feed: what the emulator just did, for ``serve``'s log and ``/_mock/events``.

An event is a partner's call to the gateway (as the journal records it), one webhook attempt
(what was sent where, the answer, the next retry) or one User Info Webhook call. Events are
numbered as they happen and the newest ``capacity`` are kept in memory: the feed is for watching
the emulator work, the journal and the delivery log keep the history. Nothing secret goes in:
calls carry their method, path, redacted query, status, time and findings (never headers or
bodies), webhook URLs lose any password.

Readers page through the feed with a cursor (``"<feed id>:<number>"``). A reader at the head may
wait for the next event (a long poll); a waiting request holds one of the server's worker
threads, so at most ``MAX_WAITING`` wait at once and the others are answered at once (their
clients poll). Listeners (``subscribe``) are called on the thread that published, so they must
return quickly: ``serve``'s log queues the line for its own printing thread.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, ParamSpec

from pay1st_mock.clock import isoformat
from pay1st_mock.frozen import frozen
from pay1st_mock.records import Attempt, Delivery, Exchange, JournalEntry

log = logging.getLogger("pay1st_mock.activity")

CAPACITY = 1000
# A waiting reader holds a server thread; the server starts another when all are held (up to
# http_server.MAX_THREADS), but a dashboard or `tail` needs one reader, not a thread each.
MAX_WAITING = 1
MAX_TIMEOUT = 25.0  # seconds a reader may wait (proxies and clients give up near 30 s)
CALL, WEBHOOK, USER_INFO = "call", "webhook", "user_info"
_FINDING_FIELDS = ("path", "message", "kind", "severity")  # never "expected": it quotes bodies
_PASSWORD_IN_URL = re.compile(r"^(\w+://[^/@:]*):[^/@]*@")

P = ParamSpec("P")


@frozen
class Event:
    """One thing the emulator did, JSON-ready (``fields`` depend on ``type``)."""

    seq: int
    type: str
    at: float
    partner_id: int | None
    reference: str | None
    fields: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """The event as ``GET /_mock/events`` and ``serve --log-format json`` show it."""
        return {"id": self.seq, "type": self.type, "at": isoformat(self.at),
                "partnerId": self.partner_id, "reference": self.reference, **self.fields}


@frozen
class Page:
    """What a reader gets: events oldest first, the cursor to ask from next, how many events it
    never saw because the feed dropped them, and whether its cursor came from an earlier run."""

    events: list[Event]
    next: str
    missed: int
    restarted: bool


class CursorError(ValueError):
    """A cursor this feed cannot have issued; the message says what to send."""


class ActivityFeed:
    """The newest ``capacity`` events, numbered from 1, with waiting readers and listeners."""

    def __init__(self, capacity: int = CAPACITY, max_waiting: int = MAX_WAITING) -> None:
        self.feed_id = secrets.token_hex(4)  # tells this run's cursors from an earlier run's
        self._events: deque[Event] = deque(maxlen=capacity)
        self._seq = 0
        self._changed = threading.Condition()
        self._listeners: list[Callable[[Event], None]] = []
        self._waiting = 0
        self._max_waiting = max_waiting
        self._closed = False

    # -- writing ---------------------------------------------------------------------------------

    def publish(self, type_: str, at: float, partner_id: int | None, reference: str | None,
                fields: dict[str, Any]) -> Event:
        """Add an event, wake the readers waiting for one and tell the listeners."""
        with self._changed:
            self._seq += 1
            event = Event(self._seq, type_, at, partner_id, reference, fields)
            self._events.append(event)
            self._changed.notify_all()
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:  # a log that fails must never fail the request that was logged
                log.exception("activity listener failed")
        return event

    def subscribe(self, listener: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``listener`` with every event from now on; returns the function that stops it."""
        with self._changed:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._changed:
                if listener in self._listeners:
                    self._listeners.remove(listener)
        return unsubscribe

    def close(self) -> None:
        """Answer every waiting reader now, and wait no more (the server is stopping)."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    # -- reading ---------------------------------------------------------------------------------

    def cursor(self, seq: int) -> str:
        """The cursor just after event ``seq``."""
        return f"{self.feed_id}:{seq}"

    def read(self, after: str | None = None, partner_id: int | None = None, limit: int = 100,
             timeout: float = 0.0) -> Page:
        """Events after the cursor ``after`` (none: the newest ``limit``), oldest first.

        At the head of this run's feed, waits up to ``timeout`` seconds for the first matching
        event. A cursor of an earlier run (the server restarted) reads from this run's start
        without waiting; a malformed one, or one ahead of the feed, raises ``CursorError``.
        """
        def matches(event: Event) -> bool:
            return partner_id is None or event.partner_id == partner_id

        with self._changed:
            if after is None:
                newest = [e for e in self._events if matches(e)][-limit:]
                return Page(newest, self.cursor(self._seq), 0, False)
            seq, restarted = self._position(after)
            deadline = time.monotonic() + min(max(timeout, 0.0), MAX_TIMEOUT)
            waited = False
            try:
                while True:
                    found = [e for e in self._events if e.seq > seq and matches(e)][:limit]
                    remaining = deadline - time.monotonic()
                    if found or restarted or self._closed or remaining <= 0:
                        break
                    if not waited:
                        if self._waiting >= self._max_waiting:
                            break  # every waiting slot is taken: answer now, the client polls
                        self._waiting += 1
                        waited = True
                    self._changed.wait(remaining)
            finally:
                if waited:
                    self._waiting -= 1
            oldest = self._events[0].seq if self._events else self._seq + 1
            missed = max(0, oldest - seq - 1)
            last = found[-1].seq if len(found) == limit else self._seq
            return Page(found, self.cursor(last), missed, restarted)

    def _position(self, after: str) -> tuple[int, bool]:
        """The event number a cursor points after, and whether it is from an earlier run."""
        feed, colon, number = after.partition(":")
        if not colon or not feed or not number.isascii() or not number.isdigit() \
                or len(number) > 18:
            raise CursorError(f"after must be a cursor as answered in 'next' (e.g. "
                              f"{self.cursor(self._seq)!r}); got {after[:60]!r}")
        if feed != self.feed_id:
            return 0, True  # the server restarted since: read this run from its start
        seq = int(number)
        if seq > self._seq:
            raise CursorError(f"after {after!r} is ahead of the newest event "
                              f"({self.cursor(self._seq)!r}); send a cursor this server answered")
        return seq, False


# -- events from records --------------------------------------------------------------------------


def redact_url(url: str) -> str:
    """``url`` without the password of any ``user:password@`` part."""
    return _PASSWORD_IN_URL.sub(r"\1:<redacted>@", url)


def call_fields(entry: JournalEntry) -> dict[str, Any]:
    """A journaled gateway call (already redacted) as event fields."""
    return {"method": entry.method, "path": entry.path, "query": entry.query,
            "status": entry.status, "durationMs": round(entry.duration_ms, 3),
            "findings": [{k: f[k] for k in _FINDING_FIELDS if k in f} for f in entry.findings]}


def attempt_fields(delivery: Delivery, attempt: Attempt) -> dict[str, Any]:
    """A webhook attempt as event fields; ``delivery`` as it is once the attempt is logged
    (its status and next attempt)."""
    return {"kind": delivery.kind, "event": delivery.event, "deliveryId": delivery.id,
            "attempt": attempt.number, "url": redact_url(attempt.url),
            "responseStatus": attempt.response_status, "error": attempt.error,
            "durationMs": round(attempt.duration_ms, 3), "outcome": delivery.status,
            "nextAttemptAt": (isoformat(delivery.next_attempt_at)
                              if delivery.next_attempt_at is not None else None),
            "resend": delivery.resend_of is not None}


def user_info_fields(exchange: Exchange) -> dict[str, Any]:
    """A User Info Webhook call as event fields."""
    return {"productId": exchange.product_id, "url": redact_url(exchange.request_url),
            "responseStatus": exchange.response_status,
            "durationMs": round(exchange.duration_ms, 3), "verdict": exchange.verdict,
            "message": exchange.message}


def fan_out(*listeners: Callable[P, object]) -> Callable[P, None]:
    """One callback calling each listener in turn; one that fails is logged and the others
    still run (the dispatcher's ``observe`` takes one callback)."""
    def call_each(*args: P.args, **kwargs: P.kwargs) -> None:
        for listener in listeners:
            try:
                listener(*args, **kwargs)
            except Exception:
                log.exception("listener %r failed", listener)
    return call_each
