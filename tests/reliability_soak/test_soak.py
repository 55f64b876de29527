"""A short soak and a short crash check: nothing lost, nothing duplicated, no 5xx.

A ``pay1st-mock serve --data DIR`` subprocess; partners created with ``POST /_mock/partners``, each
with its own real listener (``pay1st_mock.listener``) that answers 500 to a seeded 30 % of the
webhooks it gets; one thread per partner running full gateway flows (token → create → complete →
fulfilment when SUCCESSFUL). Then the emulator clock is advanced until no delivery is PENDING,
and every count is checked three ways: what the clients were told, what the emulator holds
(control API) and what the listeners acknowledged. The crash check SIGKILLs the server in the
middle of the load and restarts it on the same data.

Self-contained on purpose (bench/ is not a package the tests import); the long versions, with
memory and growth, are ``python bench/run.py --only reliability``.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import signal
import sqlite3
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from pay1st_mock.listener import Received, WebhookListener
from pay1st_mock.process import ServerProcess
from pay1st_mock.signing import sign_request, verify_request
from tests.support import AUTH, PAYMENT, basic, now_timestamp

pytestmark = pytest.mark.slow

PARTNERS = 4
SOAK_SECONDS = 2.5
CRASH_SECONDS = 2.5
KILL_AFTER = 1.0
FAIL_PROBABILITY = 0.3
FAILING_DRAIN_ROUNDS = 2  # clock-drive rounds in which the listeners still fail
DRAIN_LIMIT = 20.0
SEED = 11
OUTCOMES = {"success": "SUCCESSFUL", "declined": "FAILED", "cancel": "CANCELLED"}
WEBHOOK_STATUSES = {"PENDING", "SUCCESSFUL", "FAILED", "CANCELLED", "ABANDONED"}
DB_FILE = "pay1st-mock.sqlite3"
REFERENCE = re.compile(r"C-\d{15}-P")
SKU = "SOAK-1"


# --------------------------------------------------------------------------- partners


@dataclass
class Seen:
    """One webhook a listener got, and its answer."""

    reference: str | None
    status: str | None
    timestamp: str
    signature_ok: bool
    answered: int
    at: float


@dataclass
class Flow:
    """One gateway flow as its client knows it."""

    partner_reference: str
    outcome: str
    reference: str | None = None
    completed: bool = False
    fulfilled: bool = False


class Base:
    """The server's URL, moved after a restart; clients read it on every call."""

    def __init__(self, url: str) -> None:
        self.url = url


class FlakyPartner:
    """A partner's backend: its credentials, a listener that fails a seeded share of webhooks,
    and a client that runs flows and counts every answer it gets."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.failing = True
        self.seen: list[Seen] = []
        self.flows: list[Flow] = []
        self.statuses: Counter[str] = Counter()
        self.surprises: list[str] = []
        self.cut = 0  # calls that got no answer (refused or cut by the kill) and were re-sent
        self.partner_id = 0
        self.credentials: dict[str, str] = {}
        self._lock = threading.Lock()
        self._arrivals: Counter[tuple[str | None, str | None]] = Counter()
        self._rng = random.Random(SEED * 100 + index)
        self.http = requests.Session()
        self.http.trust_env = False
        self.listener = WebhookListener(self._answer).start()

    def register(self, base: str) -> None:
        response = requests.post(f"{base}/_mock/partners", timeout=10, json={
            "code": f"SOAK_{self.index}", "webhookUrl": f"{self.listener.url}/events"})
        assert response.status_code == 201, response.text
        created = response.json()
        self.partner_id = created["partnerId"]
        self.credentials = created

    def _answer(self, received: Received) -> tuple[int, bytes]:
        headers = {k.lower(): v for k, v in received.headers.items()}
        stamp = headers.get("x-timestamp", "")
        ok = verify_request(self.credentials.get("signingKey", ""), stamp, received.body,
                            headers.get("x-signature", ""))
        try:
            event = json.loads(received.body)
            key = (event.get("reference"), event.get("status"))
        except ValueError:
            key = (None, None)
        with self._lock:
            nth = self._arrivals[key]
            self._arrivals[key] += 1
            digest = hashlib.sha256(f"{SEED}:{self.index}:{key}:{nth}".encode()).digest()
            fail = self.failing and int.from_bytes(digest[:8], "big") / 2 ** 64 < FAIL_PROBABILITY
            self.seen.append(Seen(key[0], key[1], stamp, ok, 500 if fail else 200,
                                  time.monotonic()))
        return (500, b"down (scripted)") if fail else (200, b"ok")

    # -- the client side --------------------------------------------------------------------

    def _call(self, base: Base, label: str, method: str, path: str, body: bytes,
              headers: dict[str, str], sign_with: str | None = None,
              ) -> tuple[requests.Response, bool] | None:
        """Send until answered; a refused or cut connection (the kill) is re-sent for 15 s."""
        first_failure: float | None = None
        while True:
            sent = dict(headers)
            if sign_with is not None:  # a fresh timestamp and signature for every try
                sent["X-TIMESTAMP"] = now_timestamp()
                sent["X-SIGNATURE"] = sign_request(sign_with, sent["X-TIMESTAMP"], body)
            try:
                response = self.http.request(method, base.url + path, data=body, headers=sent,
                                             timeout=15)
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
                # refused, reset, or cut in the middle of the answer (the kill can land there)
                if first_failure is None:
                    first_failure = time.monotonic()
                    self.cut += 1
                if time.monotonic() - first_failure > 15:
                    self.surprises.append(f"{label}: no answer for 15 s")
                    return None
                time.sleep(0.05)
                continue
            self.statuses[f"{label} {response.status_code}"] += 1
            return response, first_failure is not None

    def flow(self, base: Base) -> None:
        flow = Flow(str(uuid.uuid4()), self._rng.choice(list(OUTCOMES)))
        self.flows.append(flow)
        got = self._call(base, "token", "POST", "/api/pay1st/auth/token",
                         b'{"role": "API_USER"}', {"Content-Type": AUTH, "Authorization": basic(
                             self.credentials["apiKey"], self.credentials["apiSecret"])})
        if got is None or got[0].status_code != 200:
            self.surprises.append(f"token: {got and got[0].text}")
            return
        token = got[0].json()["accessToken"]
        signed = {"AccessToken": f"Bearer {token}", "Content-Type": PAYMENT}
        key = self.credentials["signingKey"]
        body = json.dumps({
            "countryCode": "NG", "currencyCode": "NGN", "amount": 100,
            "partnerReference": flow.partner_reference,
            "products": [{"title": "Credits", "sku": SKU, "price": 100, "quantity": 1}],
        }).encode()
        got = self._call(base, "create", "POST", "/api/pay1st/payments/create", body, signed, key)
        if got is None:
            return
        response, retried = got
        found = REFERENCE.search(response.text)
        if response.status_code == 201:
            flow.reference = response.json()["reference"]
        elif retried and "DUPLICATE_PARTNER_REFERENCE" in response.text and found:
            flow.reference = found.group(0)  # the cut try had been committed
        else:
            self.surprises.append(f"create {response.status_code}: {response.text[:200]}")
            return
        got = self._call(base, "complete", "POST", f"/_mock/payments/{flow.reference}/complete",
                         json.dumps({"outcome": flow.outcome}).encode(),
                         {"Content-Type": "application/json"})
        if got is None:
            return
        response, retried = got
        if not (response.status_code == 200 or (retried and response.status_code == 409)):
            self.surprises.append(f"complete {response.status_code}: {response.text[:200]}")
            return
        flow.completed = True
        if flow.outcome != "success":
            return
        body = json.dumps({"reference": flow.reference, "products": [
            {"sku": SKU, "fulfilmentStatus": "FULFILLED", "quantity": 1}]}).encode()
        got = self._call(base, "fulfil", "POST", "/api/pay1st/payments/fulfilments", body,
                         signed, key)
        if got is None:
            return
        response, retried = got
        if response.status_code == 200 or (retried and "FULFILMENT_QUANTITY_EXCEEDED"
                                           in response.text):
            flow.fulfilled = True
        else:
            self.surprises.append(f"fulfil {response.status_code}: {response.text[:200]}")

    def run(self, base: Base, deadline: float) -> None:
        try:
            while time.monotonic() < deadline:
                self.flow(base)
        except Exception as exc:  # surfaced by the accounting, not lost in a thread
            self.surprises.append(f"worker crashed: {exc!r}")

    def close(self) -> None:
        self.http.close()
        self.listener.stop()


@contextmanager
def partners() -> Iterator[list[FlakyPartner]]:
    made = [FlakyPartner(index) for index in range(PARTNERS)]
    try:
        yield made
    finally:
        for partner in made:
            partner.close()


def load(base: Base, team: list[FlakyPartner], seconds: float) -> list[threading.Thread]:
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=p.run, args=(base, deadline), daemon=True) for p in team]
    for thread in threads:
        thread.start()
    return threads


# --------------------------------------------------------------------------- after the load


def when(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def drain(base: str, team: list[FlakyPartner]) -> int:
    """Advance the clock past every pending retry until none is PENDING; return the rounds.

    The listeners fail for the first rounds too (later retry levels), then stop: at most
    2 + FAILING_DRAIN_ROUNDS attempts fail, fewer than the 8 after which a delivery is
    EXHAUSTED.
    """
    deadline = time.monotonic() + DRAIN_LIMIT
    rounds = 0
    while time.monotonic() < deadline:
        if rounds >= FAILING_DRAIN_ROUNDS:
            for partner in team:
                partner.failing = False
        pending = requests.get(f"{base}/_mock/deliveries", params={"status": "PENDING",
                                                                   "limit": 1000},
                               timeout=10).json()["deliveries"]
        if not pending:
            return rounds
        rounds += 1
        now = when(requests.get(f"{base}/_mock/clock", timeout=10).json()["now"])
        latest = max(when(d["nextAttemptAt"]) for d in pending)
        if latest > now:
            requests.post(f"{base}/_mock/clock/advance", json={"seconds": latest - now + 1},
                          timeout=10).raise_for_status()
        time.sleep(0.2)
    raise AssertionError(f"deliveries still PENDING after {DRAIN_LIMIT} s of clock drive")


def account(base: str, team: list[FlakyPartner],
            killed_at: float | None = None) -> dict[str, Any]:
    """Every count that must be zero, with the references behind it."""
    payments: dict[str, dict[str, Any]] = {}
    for partner in team:
        listed = requests.get(f"{base}/_mock/payments", timeout=10, params={
            "partnerId": partner.partner_id, "limit": 1000}).json()["payments"]
        assert len(listed) < 1000, "more payments than one list shows"
        payments.update((p["reference"], p) for p in listed)
    flows = [f for p in team for f in p.flows if f.reference]
    problems: dict[str, Any] = {
        "missing": [f.reference for f in flows if f.reference not in payments],
        "wrong status": [f.reference for f in flows if f.completed and f.reference in payments
                         and payments[f.reference]["status"] != OUTCOMES[f.outcome]],
        "fulfilment not recorded": [f.reference for f in flows if f.fulfilled
                                    and not payments.get(str(f.reference), {}).get("fulfilments")],
        "partnerReference twice": [k for k, n in Counter(
            (p["partnerId"], p["partnerReference"]) for p in payments.values()).items() if n > 1],
        "client surprises": [s for p in team for s in p.surprises],
        "5xx": {k: n for p in team for k, n in p.statuses.items() if int(k.split()[-1]) >= 500},
    }
    expected = {(ref, change["status"]) for ref, p in payments.items()
                for change in p["history"] if change["status"] in WEBHOOK_STATUSES}
    acknowledged: dict[tuple[str | None, str | None], list[Seen]] = {}
    for partner in team:
        for seen in partner.seen:
            if not seen.signature_ok or payments.get(str(seen.reference), {}).get(
                    "partnerId") != partner.partner_id:
                problems.setdefault("misrouted or badly signed", []).append(seen.reference)
            if seen.answered == 200:
                acknowledged.setdefault((seen.reference, seen.status), []).append(seen)
    problems["lost"] = sorted(expected - acknowledged.keys())
    problems["not expected"] = sorted(map(str, acknowledged.keys() - expected))
    by_fault = []
    for (reference, status), got in acknowledged.items():
        if len(got) < 2:
            continue
        log = requests.get(f"{base}/_mock/deliveries", params={"reference": reference},
                           timeout=10).json()["deliveries"]
        logged = {  # each attempt's X-TIMESTAMP → the emulator logged a 2xx (not a resend)
            {k.lower(): v for k, v in a["requestHeaders"].items()}.get("x-timestamp"):
                (a["responseStatus"] or 0) // 100 == 2 and d["resendOf"] is None
            for d in log if d["event"] == status for a in d["attempts"]}
        twice = sum(logged.get(s.timestamp, False) for s in got) > 1
        unexplained = [s for s in got if s.timestamp not in logged
                       and (killed_at is None or s.at > killed_at)]
        if twice or unexplained:
            by_fault.append((reference, status, len(got)))
    problems["duplicated by the emulator"] = by_fault
    problems["not DELIVERED"] = [
        (d["reference"], d["status"])
        for status in ("PENDING", "EXHAUSTED", "SKIPPED")
        for d in requests.get(f"{base}/_mock/deliveries", params={"status": status},
                              timeout=10).json()["deliveries"]]
    assert expected, "no webhook was expected: the load did nothing"
    return {name: found for name, found in problems.items() if found}


def integrity(data: Path) -> str:
    with closing(sqlite3.connect(data / DB_FILE)) as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


# --------------------------------------------------------------------------- the tests


def test_soak_loses_nothing_duplicates_nothing_and_never_answers_5xx(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with partners() as team, ServerProcess("--data", str(data), "--seed", str(SEED),
                                           cwd=tmp_path) as server:
        assert server.url is not None
        for partner in team:
            partner.register(server.url)
        for thread in load(Base(server.url), team, SOAK_SECONDS):
            thread.join(SOAK_SECONDS + 30)
        drain(server.url, team)
        problems = account(server.url, team)
        made = sum(1 for p in team for f in p.flows if f.reference)
        failed = sum(s.answered != 200 for p in team for s in p.seen)
    assert problems == {}, problems
    assert made >= 4 * PARTNERS and failed > 0, (made, failed)  # load ran, retries happened
    assert integrity(data) == "ok"


def test_sigkill_mid_load_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with partners() as team:
        with ServerProcess("--data", str(data), "--seed", str(SEED), cwd=tmp_path) as first:
            assert first.url is not None
            for partner in team:
                partner.register(first.url)
            base = Base(first.url)
            threads = load(base, team, CRASH_SECONDS)
            time.sleep(KILL_AFTER)
            first.process.send_signal(signal.SIGKILL)
            first.process.wait(10)
            killed_at = time.monotonic()
        assert integrity(data) == "ok"
        with ServerProcess("--data", str(data), "--seed", str(SEED), cwd=tmp_path) as second:
            assert second.url is not None
            base.url = second.url  # the clients re-send what the kill cut, to the new port
            for thread in threads:
                thread.join(CRASH_SECONDS + 30)
            drain(second.url, team)
            problems = account(second.url, team, killed_at)
            made = sum(1 for p in team for f in p.flows if f.reference)
            cut = sum(p.cut for p in team)
        assert problems == {}, problems
        assert made >= 4 * PARTNERS and cut > 0, (made, cut)  # the kill cut calls, re-sent
    assert integrity(data) == "ok"
