"""The partners' backends: the load clients that run full gateway flows back to back.

One ``Worker`` per partner, in its own thread, over one keep-alive ``rawhttp.RawConnection``:
token → create (signed) → ``POST /_mock/payments/REF/complete`` with a seeded outcome →
fulfilment (signed) when SUCCESSFUL. A call without an answer (the server was killed) is
re-sent, freshly signed, for ``retry_window`` seconds, and an answer that shows the cut call went
through is accepted. Each worker keeps its ``Flow``s and ``ClientStats``: the clients' view for
the accounting. ``Target`` is where they send; the crash run moves it to the restarted server.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from gateway import AUTH_MEDIA_TYPE, CREATE_PATH, FULFIL_PATH, PAYMENT_MEDIA_TYPE, TOKEN_PATH
from rawhttp import RawConnection, build_request

from .emulator import Control
from .listeners import FlakyListener
from .settings import CALL_TIMEOUT_S, COUNTRIES, OUTCOMES, REFERENCE_RE, SKU, TOKEN_BODY
from .signing import basic, sign, timestamp_now


class TransportError(Exception):
    """No HTTP answer: the connection was refused, reset or closed (e.g. the server was killed)."""


class Target:
    """Where the clients send; moved to the new port after a restart."""

    def __init__(self, url: str) -> None:
        self.address = ("", 0)
        self.point(url)

    def point(self, url: str) -> None:
        host, _, port = url.removeprefix("http://").rpartition(":")
        if host != "127.0.0.1":
            raise RuntimeError(f"server listens on {url}, not 127.0.0.1")
        self.address = (host, int(port))


@dataclass
class ClientStats:
    """What the clients saw: every answer by (call, status), transport errors, surprises."""

    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    transport: Counter[str] = field(default_factory=Counter)
    unexpected: Counter[str] = field(default_factory=Counter)  # "create 400", "fulfil gave up"
    samples: list[str] = field(default_factory=list)  # a few unexpected answers, verbatim

    def merge(self, other: ClientStats) -> None:
        self.statuses.update(other.statuses)
        self.transport.update(other.transport)
        self.unexpected.update(other.unexpected)
        self.samples.extend(other.samples[: max(0, 10 - len(self.samples))])

    def five_xx(self) -> int:
        return sum(n for (_, status), n in self.statuses.items() if status >= 500)


@dataclass
class Flow:
    """One partner flow as the client knows it."""

    partner: int  # the partner's index
    partner_reference: str
    outcome: str
    reference: str | None = None
    create: str = ""  # "201", "found" (a retry after a cut call met DUPLICATE_PARTNER_REFERENCE)
    completed: bool = False
    fulfilled: bool = False
    retried: list[str] = field(default_factory=list)  # steps re-sent after a transport error


@dataclass
class Partner:
    index: int
    partner_id: int
    api_key: str
    api_secret: str
    signing_key: str
    listener: FlakyListener


class Worker:
    """One partner's backend: back-to-back flows over one keep-alive raw-socket connection."""

    def __init__(self, partner: Partner, target: Target, seed: int, retry_window: float) -> None:
        self.partner = partner
        self.target = target
        self.rng = random.Random(seed * 1000 + partner.index)
        self.retry_window = retry_window
        self.stats = ClientStats()
        self.flows: list[Flow] = []
        self._conn: RawConnection | None = None
        self._token_headers = {"Authorization": basic(partner.api_key, partner.api_secret),
                               "Content-Type": AUTH_MEDIA_TYPE}

    # -- one call ---------------------------------------------------------------------------

    def _call(self, label: str, method: str, path: str, headers: dict[str, str],
              body: bytes) -> tuple[int, bytes]:
        host, port = self.target.address
        try:
            if self._conn is None or self._conn.address != (host, port):
                self.close()
                self._conn = RawConnection(host, port, timeout=CALL_TIMEOUT_S)
            status, answer = self._conn.request(build_request(method, path, f"{host}:{port}",
                                                              headers, body))
        except (OSError, ValueError) as exc:
            self.close()
            self.stats.transport[label] += 1
            raise TransportError(str(exc)) from exc
        self.stats.statuses[(label, status)] += 1
        return status, answer

    def _step(self, label: str, build: Callable[[], tuple[str, str, dict[str, str], bytes]],
              flow: Flow) -> tuple[int, bytes, bool] | None:
        """Send ``build()`` (rebuilt per try: fresh timestamp and signature) until it is
        answered; a transport error is retried for ``retry_window`` s. None: gave up."""
        first_failure: float | None = None
        while True:
            try:
                status, answer = self._call(label, *build())
                return status, answer, first_failure is not None
            except TransportError:
                now = time.monotonic()
                if first_failure is None:
                    first_failure = now
                    flow.retried.append(label)
                if now - first_failure > self.retry_window:
                    self._surprise(f"{label} gave up", "no answer within the retry window")
                    return None
                time.sleep(0.05)

    def _surprise(self, what: str, detail: bytes | str) -> None:
        self.stats.unexpected[what] += 1
        if len(self.stats.samples) < 10:
            text = detail.decode("utf-8", "replace") if isinstance(detail, bytes) else detail
            self.stats.samples.append(f"partner {self.partner.index}: {what}: {text[:300]}")

    def _signed(self, path: str, token: str, body: bytes) -> tuple[str, str, dict[str, str],
                                                                   bytes]:
        stamp = timestamp_now()
        return "POST", path, {"AccessToken": f"Bearer {token}",
                              "Content-Type": PAYMENT_MEDIA_TYPE, "X-TIMESTAMP": stamp,
                              "X-SIGNATURE": sign(self.partner.signing_key, stamp, body)}, body

    # -- one flow ---------------------------------------------------------------------------

    def flow(self) -> Flow:
        """token → create → complete → fulfilment (SUCCESSFUL only); stops at the first surprise."""
        flow = Flow(self.partner.index, str(uuid.uuid4()), self.rng.choice(list(OUTCOMES)))
        country, currency = self.rng.choice(COUNTRIES)
        self.flows.append(flow)
        got = self._step("token", lambda: ("POST", TOKEN_PATH, self._token_headers, TOKEN_BODY),
                         flow)
        if got is None:
            return flow
        if got[0] != 200:
            self._surprise(f"token {got[0]}", got[1])
            return flow
        token = json.loads(got[1])["accessToken"]

        create = json.dumps({
            "countryCode": country, "currencyCode": currency, "amount": 100,
            "partnerReference": flow.partner_reference,
            "products": [{"title": "Soak credits", "sku": SKU, "price": 100, "quantity": 1,
                          "currencyCode": currency}],
            "metadata": [{"key": "customerId", "value": f"soak-{self.partner.index}"}],
        }).encode()
        got = self._step("create", lambda: self._signed(CREATE_PATH, token, create), flow)
        if got is None:
            flow.create = "unknown"
            return flow
        status, answer, retried = got
        if status == 201:
            flow.reference, flow.create = json.loads(answer)["reference"], "201"
        elif retried and status == 400 and b"DUPLICATE_PARTNER_REFERENCE" in answer:
            # The cut attempt was committed: the error names the earlier payment.
            found = REFERENCE_RE.search(json.loads(answer).get("errorMessage", ""))
            if found is None:
                self._surprise("create duplicate without a reference", answer)
                return flow
            flow.reference, flow.create = found.group(0), "found"
        else:
            flow.create = f"answered {status}"
            self._surprise(f"create {status}", answer)
            return flow

        reference = flow.reference
        complete = json.dumps({"outcome": flow.outcome}).encode()
        got = self._step("complete", lambda: ("POST", f"/_mock/payments/{reference}/complete",
                                              {"Content-Type": "application/json"}, complete),
                         flow)
        if got is None:
            return flow
        status, answer, retried = got
        if not (status == 200 or (retried and status == 409)):  # 409: the cut one went through
            self._surprise(f"complete {status}", answer)
            return flow
        flow.completed = True
        if flow.outcome != "success":
            return flow

        fulfil = json.dumps({"reference": reference, "products": [
            {"sku": SKU, "fulfilmentStatus": "FULFILLED", "quantity": 1}]}).encode()
        got = self._step("fulfil", lambda: self._signed(FULFIL_PATH, token, fulfil), flow)
        if got is None:
            return flow
        status, answer, retried = got
        if status == 200 or (retried and status == 400
                             and b"FULFILMENT_QUANTITY_EXCEEDED" in answer):
            flow.fulfilled = True
        else:
            self._surprise(f"fulfil {status}", answer)
        return flow

    def run(self, deadline: float) -> None:
        try:
            while time.monotonic() < deadline:
                self.flow()
        except Exception as exc:  # reported, never silently lost
            self._surprise(f"worker crashed: {type(exc).__name__}", str(exc))
        finally:
            self.close()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def create_partners(control: Control, listeners: list[FlakyListener]) -> list[Partner]:
    partners = []
    for listener in listeners:
        created = control.post("/_mock/partners", {
            "code": f"SOAK_{listener.index:02d}", "name": f"Soak partner {listener.index}",
            "webhookUrl": listener.url})
        listener.signing_key = created["signingKey"]
        listener.partner_id = created["partnerId"]
        partners.append(Partner(listener.index, created["partnerId"], created["apiKey"],
                                created["apiSecret"], created["signingKey"], listener))
    return partners


def start_workers(partners: list[Partner], target: Target, seed: int, retry_window: float,
                  deadline: float) -> tuple[list[Worker], list[threading.Thread]]:
    workers = [Worker(p, target, seed, retry_window) for p in partners]
    threads = [threading.Thread(target=w.run, args=(deadline,), name=f"soak-partner-{i}",
                                daemon=True) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    return workers, threads
