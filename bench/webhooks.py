"""Webhook benchmarks: delivery latency, and the partner's side both it and the full flow
(``flows.py``) use.

The partner's endpoint runs inside the benchmark process: the package's ``WebhookListener``
(HTTP/1.1 keep-alive, a thread per connection), which notes each request's arrival
(``time.monotonic``) as its request line comes in; its script parses the body, checks the
signature, hands the event to whoever waits for that payment ``reference`` and answers 200.
The server under test is a `pay1st-mock serve` subprocess on 127.0.0.1; payments are completed
headlessly with ``POST /_mock/payments/{reference}/complete`` and the dispatcher POSTs the Payment
Webhook Event to the payment's ``webhookUrl`` (the listener). Times compared with an arrival are
``time.monotonic`` too (on Linux the same clock as ``time.perf_counter``).
"""

from __future__ import annotations

import contextlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from gateway import (
    CREATE_PATH,
    FULFIL_PATH,
    PAYMENT_MEDIA_TYPE,
    SIGNING_KEY,
    RawClient,
    get_access_token,
    sign,
    timestamp_now,
)
from harness import Context, Metric, percentile
from loadgen import RequestSpec

from pay1st_mock.listener import Received, WebhookListener

COMPLETE_PATH = "/_mock/payments/{reference}/complete"
WEBHOOK_PATH = "/partner/webhooks/pay1st"
COMPLETE_BODY = json.dumps({"outcome": "success"}).encode()
SKU = "12345"

# Target from the issue (2-core machine).
WEBHOOK_P50_MS = 10.0
WEBHOOK_WAIT_S = 5.0  # a webhook later than this counts as missing
MAX_MISSING = 3  # webhook latency stops after this many missing webhooks


# --------------------------------------------------------------------------- the partner listener


@dataclass
class Arrival:
    """One webhook as the listener got it."""

    at: float  # time.monotonic() when its request line came in (``Received.at``)
    wall: float  # time.time() at the same moment
    path: str
    reference: str | None
    status: str | None
    signed_at: float | None  # the X-TIMESTAMP header as epoch seconds (the dispatcher's clock)
    signature_ok: bool


@dataclass
class PartnerEndpoint:
    """The partner's webhook endpoint: a ``WebhookListener`` whose script files each event
    under its payment reference (then answers 200), for ``take``."""

    signing_key: str = SIGNING_KEY
    arrivals: dict[str, list[Arrival]] = field(default_factory=dict)
    unmatched: int = 0  # requests without a usable reference
    bad_signatures: int = 0
    received: int = 0

    def __post_init__(self) -> None:
        self._condition = threading.Condition()
        self._wall_offset = time.time() - time.monotonic()
        self._listener = WebhookListener(self._file).start()

    @property
    def url(self) -> str:
        return f"{self._listener.url}{WEBHOOK_PATH}"

    @property
    def connections(self) -> int:
        return self._listener.connections

    def _file(self, received: Received) -> int:
        """Check the event's signature and file it under its reference; answer 200."""
        stamp = received.headers.get("X-TIMESTAMP", "")
        expected = sign(stamp, received.body)
        signature_ok = hmac.compare_digest(expected,
                                           received.headers.get("X-SIGNATURE", "").lower())
        reference = status = None
        with contextlib.suppress(ValueError, AttributeError):
            event = received.json()
            reference, status = event.get("reference"), event.get("status")
        arrival = Arrival(received.at, received.at + self._wall_offset, received.path,
                          reference if isinstance(reference, str) else None,
                          status if isinstance(status, str) else None, _epoch(stamp),
                          signature_ok)
        with self._condition:
            self.received += 1
            self.bad_signatures += not signature_ok
            if arrival.reference is None:
                self.unmatched += 1
            else:
                self.arrivals.setdefault(arrival.reference, []).append(arrival)
                self._condition.notify_all()
        return 200

    def take(self, reference: str, status: str = "SUCCESSFUL",
             timeout: float = WEBHOOK_WAIT_S) -> Arrival | None:
        """Wait for the ``status`` event of ``reference`` and remove it; None after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                found = self.arrivals.get(reference, [])
                for index, arrival in enumerate(found):
                    if arrival.status == status:
                        del found[index]
                        if not found:
                            del self.arrivals[reference]
                        return arrival
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._condition.wait(remaining)

    def leftovers(self) -> int:
        """Events received but never taken (e.g. a PENDING before the SUCCESSFUL)."""
        with self._condition:
            return sum(len(found) for found in self.arrivals.values())

    def close(self) -> None:
        self._listener.stop()


@contextlib.contextmanager
def listening() -> Iterator[PartnerEndpoint]:
    listener = PartnerEndpoint()
    try:
        yield listener
    finally:
        listener.close()


def _epoch(stamp: str) -> float | None:
    """``2024-01-01T00:00:00.123456Z`` (any number of fraction digits) → epoch seconds."""
    if not stamp.endswith("Z"):
        return None
    whole, _, fraction = stamp[:-1].partition(".")
    try:
        base = datetime.fromisoformat(whole + "+00:00").timestamp()
        return base + (float("0." + fraction) if fraction.isdigit() else 0.0)
    except ValueError:
        return None


# --------------------------------------------------------------------------- partner requests


def create_spec(access_token: str, webhook_url: str) -> RequestSpec:
    """A signed Create Payment Request with a fresh partnerReference and ``webhookUrl``."""
    body = json.dumps({
        "countryCode": "NG", "currencyCode": "NGN", "amount": 100,
        "partnerReference": str(uuid.uuid4()), "webhookUrl": webhook_url,
        "products": [{"title": "10 Credits", "sku": SKU, "price": 100, "quantity": 1,
                      "currencyCode": "NGN"}],
        "metadata": [{"key": "customerId", "value": "1"}],
    }).encode()
    stamp = timestamp_now()
    return RequestSpec("POST", CREATE_PATH, {
        "AccessToken": f"Bearer {access_token}", "Content-Type": PAYMENT_MEDIA_TYPE,
        "X-TIMESTAMP": stamp, "X-SIGNATURE": sign(stamp, body)}, body)


def fulfil_spec(access_token: str, reference: str) -> RequestSpec:
    """A signed Fulfilment Completion for the payment's one SKU."""
    body = json.dumps({"reference": reference, "products": [
        {"sku": SKU, "fulfilmentStatus": "FULFILLED", "quantity": 1}]}).encode()
    stamp = timestamp_now()
    return RequestSpec("POST", FULFIL_PATH, {
        "AccessToken": f"Bearer {access_token}", "Content-Type": PAYMENT_MEDIA_TYPE,
        "X-TIMESTAMP": stamp, "X-SIGNATURE": sign(stamp, body)}, body)


def complete_spec(reference: str) -> RequestSpec:
    return RequestSpec("POST", COMPLETE_PATH.format(reference=reference),
                       {"Content-Type": "application/json"}, COMPLETE_BODY)


def ms(values: list[float], p: float) -> float:
    """The ``p``th percentile of ``values`` (seconds), in milliseconds."""
    return percentile(values, p) * 1000


# --------------------------------------------------------------------------- webhook latency


def webhook_latency(ctx: Context) -> list[Metric]:
    """Sequential: control-API complete sent → the listener has the SUCCESSFUL webhook."""
    server = ctx.server()
    base = server.wait_for_url()
    host, port = server.address
    count, warmup = (50 if ctx.quick else 200), 10
    token = get_access_token(base)
    latencies: list[float] = []  # complete sent → webhook in (s)
    responses: list[float] = []  # complete sent → its response read (s)
    to_signed: list[float] = []  # complete sent → dispatcher's X-TIMESTAMP (wall clock, s)
    signed_to_in: list[float] = []  # X-TIMESTAMP → webhook in (wall clock, s)
    errors = {"create": 0, "complete": 0, "missing": 0, "bad_signature": 0}
    before_response = 0
    with listening() as listener:
        client = RawClient(host, port)
        try:
            creates = [client.prepare(create_spec(token, listener.url))
                       for _ in range(warmup + count)]
            references = []
            for prepared in creates:  # untimed set-up
                status, body = client.send(prepared)
                if status == 201:
                    references.append(str(json.loads(body)["reference"]))
                else:
                    errors["create"] += 1
            completes = [client.prepare(complete_spec(r)) for r in references]
            perf, wall = time.monotonic, time.time  # perf: the clock of Received.at
            for index, (reference, prepared) in enumerate(zip(references, completes,
                                                              strict=True)):
                sent_wall = wall()
                t0 = perf()
                status, _ = client.send(prepared)
                t1 = perf()
                if status != 200:
                    errors["complete"] += 1
                    continue
                arrival = listener.take(reference)
                if arrival is None:
                    errors["missing"] += 1
                    if errors["missing"] >= MAX_MISSING:  # each costs WEBHOOK_WAIT_S: give up
                        break
                    continue
                if not arrival.signature_ok:
                    errors["bad_signature"] += 1
                if index < warmup:
                    continue
                latencies.append(arrival.at - t0)
                responses.append(t1 - t0)
                before_response += arrival.at < t1
                if arrival.signed_at is not None:
                    to_signed.append(arrival.signed_at - sent_wall)
                    signed_to_in.append(arrival.wall - arrival.signed_at)
        finally:
            client.close()
        leftovers, connections = listener.leftovers(), listener.connections
    error_total = sum(errors.values())
    ctx.details["webhook_latency"] = {
        "count": count, "warmup": warmup, "timed": len(latencies), "errors": errors,
        "latency_ms": {p: ms(latencies, p) for p in (0, 50, 90, 99, 100)},
        "complete_response_ms": {p: ms(responses, p) for p in (50, 90, 99)},
        "complete_sent_to_dispatcher_signs_ms": {p: ms(to_signed, p) for p in (50, 90, 99)},
        "dispatcher_signs_to_listener_ms": {p: ms(signed_to_in, p) for p in (50, 90, 99)},
        "webhook_before_complete_response": before_response,
        "events_not_taken": leftovers, "listener_connections": connections,
        "client": "raw socket (rawhttp), requests pre-built",
    }
    return [
        Metric("webhook latency p50 (complete sent → listener has it)", ms(latencies, 50), "ms",
               WEBHOOK_P50_MS),
        Metric("webhook latency p99", ms(latencies, 99), "ms"),
        Metric("  complete call p50 (send → response)", ms(responses, 50), "ms"),
        Metric("  complete sent → dispatcher signs (p50)", ms(to_signed, 50), "ms"),
        Metric("  dispatcher signs → listener has it (p50)", ms(signed_to_in, 50), "ms"),
        Metric("webhook latency errors", error_total, "count", 0),
    ]


BENCHMARKS = [webhook_latency]
