"""Helpers for the runner tests: a tiny real partner, an emulator wired to it, scenario builders.

``Partner`` answers a ``WebhookListener`` on 127.0.0.1:<free port> as a correct Pay1st
integration would (it verifies signatures with ``pay1st_mock.signing``, fulfils SUCCESSFUL payments
through the emulator's Gateway API, credits Summary Webhooks once) unless a test flips one of its
switches to make it misbehave. It records every request with the verdict of its signature check.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pay1st_mock.client import PartnerClient
from pay1st_mock.config import MEMORY, SANDBOX_PARTNER, Settings
from pay1st_mock.listener import Received, WebhookListener
from pay1st_mock.runner.engine import Engine
from pay1st_mock.runner.events import Event, ScenarioFinished, StepFinished
from pay1st_mock.runner.model import Scenario, parse_scenario
from pay1st_mock.runner.target import build_target, with_partner_url
from pay1st_mock.server import MockServer
from pay1st_mock.signing import summary_key, verify_request, verify_summary

SUMMARY_USER, SUMMARY_PASSWORD = "apiuser", "apipassword"  # the demo product's Basic Auth
TOLERANCE_SECONDS = 300


@dataclass
class Call:
    """One request the partner got, and what its signature check decided (if it made one)."""

    method: str
    path: str
    query: dict[str, str]
    headers: Mapping[str, str]  # names in any case
    body: bytes
    verdict: str | None = None

    @classmethod
    def of(cls, received: Received) -> Call:
        return cls(received.method, received.path,
                   {name: values[0] for name, values in received.query.items()},
                   received.headers, received.body)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Partner:
    """A partner backend on a real socket; ``emulator_url`` must be set before it fulfils."""

    emulator_url: str | None = None
    fulfil: str = "once"  # once | always (buggy: every SUCCESSFUL) | never
    user_info_delay: float = 0.0
    webhook_delay: float = 0.0  # seconds before answering a payment event
    refuse_events: bool = False  # answer 401 to every payment event (a broken verification)
    check_basic_auth: bool = True  # the Shop's calls must carry the product's Basic pair
    players: dict[str, int] = field(default_factory=lambda: {"player-1": 0})
    calls: list[Call] = field(default_factory=list)
    fulfilment_statuses: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._fulfilled: set[str] = set()
        self._credited: set[str] = set()
        self._orders: dict[str, str] = {}  # reference → sku
        self._client: PartnerClient | None = None
        self._listener = WebhookListener(self._answer).start()

    @property
    def url(self) -> str:
        return self._listener.url

    def close(self) -> None:
        self._listener.stop()
        if self._client is not None:
            self._client.http.close()

    def calls_to(self, path: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.path == path]

    # -- the app -----------------------------------------------------------------------------

    def _answer(self, received: Received) -> tuple[int, Any]:
        call = Call.of(received)
        with self._lock:
            self.calls.append(call)
        return self._route(call)  # a str body goes as text/plain, anything else as JSON

    def _route(self, call: Call) -> tuple[int, Any]:
        path = call.path
        if path == "/pay1st/payment-events" and call.method == "POST":
            return self._payment_event(call)
        if path == "/pay1st/user-info" and call.method == "GET":
            return self._user_info(call)
        if path == "/pay1st/summary" and call.method == "POST":
            return self._summary(call)
        if path == "/pay1st-test/orders" and call.method == "POST":
            return self._order(call)
        if path.startswith("/pay1st-test/players/"):
            player = path.rsplit("/", 1)[1]
            return 200, {"playerId": player, "balance": self.players.get(player, 0)}
        if path == "/echo":
            return 200, {"method": call.method, "query": call.query,
                         "headers": dict(call.headers), "body": call.body.decode()}
        if path == "/slow":
            time.sleep(float(call.query.get("seconds", "0.5")))
            return 200, {"slow": True}
        if path.startswith("/status/"):
            return int(path.rsplit("/", 1)[1]), {"errorMessage": "as asked"}
        return 404, {"errorMessage": f"no route {call.method} {path}"}

    def _payment_event(self, call: Call) -> tuple[int, Any]:
        time.sleep(self.webhook_delay)
        if self.refuse_events:
            return 401, {"errorMessage": "signature invalid"}
        signature, stamp = call.headers.get("X-Signature"), call.headers.get("X-Timestamp")
        if not signature or not stamp:
            call.verdict = "missing"
        elif abs((datetime.now(UTC) - datetime.fromisoformat(stamp)).total_seconds()) \
                > TOLERANCE_SECONDS:
            call.verdict = "stale"
        elif not verify_request(SANDBOX_PARTNER.signing_key, stamp, call.body, signature):
            call.verdict = "wrong"
        else:
            call.verdict = "valid"
        if call.verdict != "valid":
            return 401, {"errorMessage": f"signature {call.verdict}"}
        event = call.json()
        if event["status"] == "SUCCESSFUL":
            self._fulfil(event["reference"])
        return 200, "ok"

    def _fulfil(self, reference: str) -> None:
        with self._lock:
            if self.fulfil == "never" or (self.fulfil == "once" and reference in self._fulfilled):
                return
            self._fulfilled.add(reference)
            sku = self._orders.get(reference, "CRE-11")
        response = self._gateway().post("/api/pay1st/payments/fulfilments", {
            "reference": reference,
            "products": [{"sku": sku, "fulfilmentStatus": "FULFILLED", "quantity": 1}]})
        self.fulfilment_statuses.append(response.status_code)  # a second one is refused: 400

    def _user_info(self, call: Call) -> tuple[int, Any]:
        time.sleep(self.user_info_delay)
        expected = f"Basic {summary_key(SUMMARY_USER, SUMMARY_PASSWORD)}"
        if self.check_basic_auth and call.headers.get("Authorization") != expected:
            return 401, {"errorMessage": "send the product's Basic auth", "errorCode": "AUTH"}
        player = call.query.get("playerId")
        if not player:
            return 400, {"errorMessage": "playerId is required", "errorCode": "MISSING"}
        if player not in self.players:
            return 400, {"errorMessage": f"no player {player}", "errorCode": "UNKNOWN_PLAYER"}
        return 200, {"userId": player, "externalReference": f"ext-{player}",
                     "amount": None, "currencyCode": "NGN"}

    def _summary(self, call: Call) -> tuple[int, Any]:
        signature = call.headers.get("X-Signature")
        key = summary_key(SUMMARY_USER, SUMMARY_PASSWORD)
        if not signature:
            call.verdict = "missing"
        elif not verify_summary(key, call.body, signature):
            call.verdict = "wrong"
        else:
            call.verdict = "valid"
        if call.verdict != "valid":
            return 401, {"errorMessage": f"signature {call.verdict}"}
        body = call.json()
        with self._lock:
            if body["reference"] not in self._credited:
                self._credited.add(body["reference"])
                player = body["playerId"]
                self.players[player] = self.players.get(player, 0) + body["tokensPurchased"]
        return 200, "ok"

    def _order(self, call: Call) -> tuple[int, Any]:
        order = call.json()
        created = self._gateway().create_payment(
            countryCode=order["countryCode"], currencyCode="NGN", amount=1000,
            products=[{"title": "11 Credits", "sku": order["sku"], "price": 1000,
                       "quantity": order["quantity"]}],
            metadata=[{"key": "customerId", "value": order["playerId"]}])
        with self._lock:
            self._orders[created["reference"]] = order["sku"]
        return 201, {"reference": created["reference"]}

    def _gateway(self) -> PartnerClient:
        assert self.emulator_url, "set Partner.emulator_url first"
        if self._client is None:
            self._client = PartnerClient(self.emulator_url, {
                "partnerId": SANDBOX_PARTNER.id, "code": SANDBOX_PARTNER.code,
                "apiKey": SANDBOX_PARTNER.api_key, "apiSecret": SANDBOX_PARTNER.api_secret,
                "signingKey": SANDBOX_PARTNER.signing_key})
        return self._client


@contextmanager
def running_partner(**options: Any) -> Iterator[Partner]:
    partner = Partner(**options)
    try:
        yield partner
    finally:
        partner.close()


@dataclass
class Rig:
    """An emulator and a partner that know each other, and an engine for that partner."""

    partner: Partner
    mock: MockServer
    settings: Settings
    engine: Engine

    runs: int = 0

    def run(self, *documents: dict[str, Any]) -> list[Event]:
        """Run the documents as scenarios; file names differ from run to run, so each run's
        seeded references (and partnerReferences) are new."""
        self.runs += 1
        return list(self.engine.run([scenario(d, f"run{self.runs}/s{i}.json")
                                     for i, d in enumerate(documents)]))

    def run_one(self, document: dict[str, Any]) -> ScenarioFinished:
        finished = [e for e in self.run(document) if isinstance(e, ScenarioFinished)]
        assert len(finished) == 1
        return finished[0]


@contextmanager
def rig(partner_url: str | None = None, seed: int | None = 7,
        env: dict[str, str] | None = None, webhook_timeout: float = 10.0,
        **partner_options: Any) -> Iterator[Rig]:
    """Partner + emulator (``with_partner_url`` settings) + engine; all closed after."""
    with running_partner(**partner_options) as partner:
        settings = with_partner_url(Settings(data=MEMORY, webhook_timeout_seconds=webhook_timeout),
                                    partner_url or partner.url)
        mock = MockServer(settings).start()
        partner.emulator_url = mock.url
        engine = Engine(build_target(settings), mock.url, seed=seed, env=env if env is not None
                        else {"GREETING": "hello", "PARTNER_URL": partner.url})
        try:
            yield Rig(partner, mock, settings, engine)
        finally:
            engine.session.close()
            mock.stop()


def document(*steps: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A scenario document with these steps (name defaults to "scenario")."""
    return {"version": 1, "name": fields.pop("name", "scenario"), **fields, "steps": list(steps)}


def scenario(doc: dict[str, Any], source: str = "test.json") -> Scenario:
    return parse_scenario(doc, source)


def step_events(events: Sequence[Event]) -> list[StepFinished]:
    return [e for e in events if isinstance(e, StepFinished)]


def write_json(path: Path, value: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2), encoding="utf-8")
    return path
