"""What each step action does: the HTTP it sends or watches for, and what its checks read.

Every action takes the step's rendered arguments and returns ``Observation`` objects (one per
request sent, so a repeated webhook is checked once per delivery). An action that cannot be
carried out raises ``StepError`` with a message that says what to change.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import requests

from pay1st_mock.runner.emulator import Emulator, EmulatorError
from pay1st_mock.runner.http import send
from pay1st_mock.runner.results import Exchange, Observation, Subject, parse_body, subject_of
from pay1st_mock.runner.target import Target
from pay1st_mock.shop.catalogue import Product
from pay1st_mock.signing import sign_request, sign_summary, summary_key

PARTNER_TIMEOUT = 30.0  # seconds to wait for the partner when a step sets no latency bound
POLL_SECONDS = 0.005  # a journal or delivery read costs ~1 ms; webhooks land in a few ms

T = TypeVar("T")


class StepError(Exception):
    """The step could not be carried out (not a failed check): a config gap, an unreachable
    emulator, a template naming nothing."""


@dataclass
class RunState:
    """What actions share within one scenario."""

    target: Target
    emulator: Emulator
    session: requests.Session
    random: random.Random
    variables: dict[str, Any] = field(default_factory=dict)
    journal_floor: int = 0  # calls with an id above this were made during the scenario

    def partner_timeout(self, expect: Mapping[str, Any]) -> float:
        """How long to wait for the partner: a little past the latency bound, if there is one."""
        bound = expect.get("max_latency_ms")
        if isinstance(bound, bool) or not isinstance(bound, int | float):
            return PARTNER_TIMEOUT  # none, or not a number (the latency check says so)
        return bound / 1000 * 1.2 + 0.5

    def uuid(self) -> str:
        """A UUID from the scenario's seeded randomness."""
        return str(uuid.UUID(int=self.random.getrandbits(128), version=4))

    def reference(self) -> str:
        """A fresh Pay1st-shaped payment reference (``C-`` + 15 digits + ``-P``)."""
        return "C-" + "".join(str(self.random.randrange(10)) for _ in range(15)) + "-P"

    def player_id(self) -> str:
        """The scenario's player: ``vars.player_id``, else the config's ``[run] player_id``."""
        return str(self.variables.get("player_id", self.target.player_id))


Action = Callable[[RunState, Mapping[str, Any], Mapping[str, Any]], list[Observation]]


# -- toward the partner, as Pay1st ------------------------------------------------------------

def user_info(state: RunState, args: Mapping[str, Any],
              expect: Mapping[str, Any]) -> list[Observation]:
    """GET the partner's User Info Webhook with ``args.query`` (pay1st-api.md §7.2)."""
    product = _product(state)
    if not product.user_info_url:
        raise StepError("the partner under test has no User Info Webhook URL: set "
                        "user_info_url in its [[products]] entry, or pass --partner-url")
    exchange = send(state.session, "GET", product.user_info_url,
                    params={k: _query_text(v) for k, v in args.get("query", {}).items()},
                    timeout=state.partner_timeout(expect))
    return [Observation(exchange, subject_of(exchange))]


def summary_webhook(state: RunState, args: Mapping[str, Any],
                    expect: Mapping[str, Any]) -> list[Observation]:
    """POST a Summary Webhook signed per pay1st-api.md §5.2 (or not, as asked)."""
    product, bundle = _product(state), state.target.bundle
    if bundle is None:
        raise StepError(f"product {product.id} has no active bundle to send a Summary for")
    if not product.summary_url:
        raise StepError("the partner under test has no Summary Webhook URL: set summary_url "
                        "in its [[products]] entry, or pass --partner-url")
    price = bundle.prices.get(state.target.country, 0)
    body = {"reference": state.reference(), "playerId": state.player_id(),
            "productBundleId": bundle.id, "amount": int(price * 100),
            "currency": state.target.currency, "tokensPurchased": bundle.tokens,
            "digitalCurrency": {"name": product.currency_name, "code": product.currency_code},
            "status": "SUCCESSFUL", "externalReference": state.uuid(),
            "productBundleExternalId": bundle.sku, "quantity": 1,
            "paymentMethod": "Visa / Mastercard", **args.get("body", {})}
    raw = _compact(body)
    signature = args.get("signature", "valid")
    if signature == "stale":
        raise StepError("summary_webhook: Summary Webhooks carry no timestamp, so 'stale' does "
                        "not apply; use valid, missing or wrong")
    headers = {"Content-Type": "application/json"}
    if signature != "missing":
        password = product.password + ("-wrong" if signature == "wrong" else "")
        headers["X-SIGNATURE"] = sign_summary(summary_key(product.username, password), raw)
    return _post_repeatedly(state, product.summary_url, raw, lambda: headers, args, expect)


def payment_webhook(state: RunState, args: Mapping[str, Any],
                    expect: Mapping[str, Any]) -> list[Observation]:
    """POST a Payment Webhook Event signed like the emulator's dispatcher (design.md §3)."""
    url = state.target.partner.webhook_url
    if not url:
        raise StepError("the partner under test has no payment webhook URL: set webhook_url "
                        "in its [[partners]] entry, or pass --partner-url")
    body = _event_body(state, args.get("reference"))
    body["status"] = args.get("status", body["status"])
    body.update(args.get("body", {}))
    raw = _compact(body)
    signature = args.get("signature", "valid")
    key = state.target.partner.signing_key
    age = args.get("timestamp_age_seconds", 600) if signature == "stale" else 0

    def headers() -> dict[str, str]:  # a fresh timestamp per delivery, as a real resend has
        stamp = (datetime.now(UTC) - timedelta(seconds=age)).isoformat(
            timespec="milliseconds").replace("+00:00", "Z")
        # "missing" keeps a fresh X-TIMESTAMP: a partner that checks only the timestamp must
        # still be caught accepting an unsigned event.
        sent = {"Content-Type": "application/json", "X-TIMESTAMP": stamp}
        if signature != "missing":
            signing_key = key + "-wrong" if signature == "wrong" else key
            sent["X-SIGNATURE"] = sign_request(signing_key, stamp, raw)
        return sent

    return _post_repeatedly(state, url, raw, headers, args, expect)


def _event_body(state: RunState, reference: str | None) -> dict[str, Any]:
    """The §6.8 body for the emulator's payment ``reference`` (or for a made-up payment)."""
    partner = state.target.partner
    if reference is None:
        bundle = state.target.bundle
        price = bundle.prices.get(state.target.country, 100) if bundle else 100
        return {"partnerId": partner.id, "partnerCode": partner.code,
                "partnerReference": state.uuid(), "reference": state.reference(),
                "orderAmount": _number(price), "currencyCode": state.target.currency,
                "countryCode": state.target.country, "customerId": state.player_id(),
                "status": "SUCCESSFUL", "channelId": None, "channelName": None}
    payment = _emulator(lambda: state.emulator.payment(reference))
    customer = next((m.get("value") for m in payment["metadata"] if m.get("key") == "customerId"),
                    None)
    return {"partnerId": partner.id, "partnerCode": partner.code,
            "partnerReference": payment["partnerReference"], "reference": reference,
            "orderAmount": payment["amount"], "currencyCode": payment["currencyCode"],
            "countryCode": payment["countryCode"], "customerId": customer,
            "status": payment["status"], "channelId": payment["channelId"],
            "channelName": payment["channelName"]}


def _post_repeatedly(state: RunState, url: str, raw: bytes, headers: Callable[[], dict[str, str]],
                     args: Mapping[str, Any], expect: Mapping[str, Any]) -> list[Observation]:
    observations = []
    for _ in range(args.get("repeat", 1)):
        exchange = send(state.session, "POST", url, headers=headers(), data=raw,
                        timeout=state.partner_timeout(expect))
        observations.append(Observation(exchange, subject_of(exchange)))
    return observations


def http(state: RunState, args: Mapping[str, Any],
         expect: Mapping[str, Any]) -> list[Observation]:
    """A plain HTTP call, e.g. to the partner's own test hooks."""
    headers = dict(args.get("headers", {}))
    data = None
    if "json" in args:
        data = json.dumps(args["json"]).encode()
        headers.setdefault("Content-Type", "application/json")
    elif "body" in args:
        data = str(args["body"]).encode()
    timeout = args.get("timeout_seconds") or state.partner_timeout(expect)
    exchange = send(state.session, args.get("method", "GET"), args["url"], headers=headers,
                    params={k: _query_text(v) for k, v in args.get("query", {}).items()},
                    data=data, timeout=timeout)
    return [Observation(exchange, subject_of(exchange))]


# -- emulator state -----------------------------------------------------------------------------

def create_payment(state: RunState, args: Mapping[str, Any],
                   expect: Mapping[str, Any]) -> list[Observation]:
    """Create a payment through the Gateway API as the partner under test."""
    bundle = state.target.bundle
    price = _number(bundle.prices.get(state.target.country, 100)) if bundle else 100
    item = {"title": bundle.name if bundle else "Credits", "sku": bundle.sku if bundle else "SKU-1",
            "price": price, "quantity": 1}
    body = {"countryCode": state.target.country, "currencyCode": state.target.currency,
            "amount": price, "partnerReference": state.uuid(), "products": [item],
            "metadata": [{"key": "customerId", "value": state.player_id()}],
            **args.get("body", {})}
    exchange = _emulator(lambda: state.emulator.create_payment(body))
    return [Observation(exchange, subject_of(exchange))]


def complete_payment(state: RunState, args: Mapping[str, Any],
                     expect: Mapping[str, Any]) -> list[Observation]:
    """Run the outcome engine headlessly; the dispatcher then sends the real webhooks."""
    reference = args["reference"]
    _emulator(lambda: state.emulator.payment(reference))  # refuse other partners' payments
    body: dict[str, Any] = {"outcome": args.get("outcome", "success")}
    if "channel_id" in args:
        body["channelId"] = args["channel_id"]
    exchange = state.emulator.control("POST", f"/payments/{reference}/complete", body)
    return [Observation(exchange, subject_of(exchange))]


def shop_purchase(state: RunState, args: Mapping[str, Any],
                  expect: Mapping[str, Any]) -> list[Observation]:
    """A headless Shop purchase: User Info Webhook, payment, Summary Webhook."""
    bundle = state.target.bundle
    bundle_id = args.get("bundle_id", bundle.id if bundle else None)
    if bundle_id is None:
        raise StepError("shop_purchase: the partner under test has no Shop product; configure "
                        "one in [[products]] or give bundle_id")
    body = {"productBundleId": bundle_id, "countryCode": args.get("country", state.target.country),
            "playerId": args["player_id"], "quantity": args.get("quantity", 1),
            "outcome": args.get("outcome", "success")}
    exchange = state.emulator.control("POST", "/shop/purchases", body)
    return [Observation(exchange, subject_of(exchange))]


def advance_clock(state: RunState, args: Mapping[str, Any],
                  expect: Mapping[str, Any]) -> list[Observation]:
    """Move the emulator's clock (shared by every partner on that server)."""
    exchange = state.emulator.control("POST", "/clock/advance", {"seconds": args["seconds"]})
    return [Observation(exchange, subject_of(exchange))]


# -- watching the partner -----------------------------------------------------------------------

def wait_for_call(state: RunState, args: Mapping[str, Any],
                  expect: Mapping[str, Any]) -> list[Observation]:
    """Wait for the partner's call to the emulator; checks read what the partner sent."""
    within = args.get("within_seconds", 5)
    deadline = time.monotonic() + within
    while True:
        calls = _calls(state, args)
        if calls:
            return [_journaled(calls[-1])]
        if time.monotonic() >= deadline:
            raise StepFailed(f"the partner did not call {_call_name(args)} within {within:g} s; "
                             + _seen(state, args.get("reference")))
        time.sleep(POLL_SECONDS)


def no_call(state: RunState, args: Mapping[str, Any],
            expect: Mapping[str, Any]) -> list[Observation]:
    """Watch for ``for_seconds``; fail if the partner made more than ``at_most`` such calls."""
    period, at_most = args.get("for_seconds", 1), args.get("at_most", 0)
    time.sleep(period)
    calls = _calls(state, args)
    if len(calls) > at_most:
        allowed = "none" if at_most == 0 else f"at most {at_most}"
        raise StepFailed(f"the partner called {_call_name(args)} {len(calls)} time(s) in this "
                         f"scenario; expected {allowed}",
                         [_journaled(call) for call in calls])
    return []


def wait_for_delivery(state: RunState, args: Mapping[str, Any],
                      expect: Mapping[str, Any]) -> list[Observation]:
    """Wait until the emulator's webhook for ``reference`` got an answer (or gave up)."""
    reference, event = args["reference"], args.get("event")
    within = args.get("within_seconds", 5)
    deadline = time.monotonic() + within
    while True:
        deliveries = [d for d in _emulator(lambda: state.emulator.deliveries(reference))
                      if event is None or d["event"] == event]
        answered = [d for d in deliveries if d["attempts"] or d["status"] == "SKIPPED"]
        if answered:
            return [_attempt_observation(answered[0])]
        if time.monotonic() >= deadline:
            what = f"{event} delivery" if event else "delivery"
            seen = ", ".join(f"#{d['id']} {d['event']} {d['status']}" for d in deliveries)
            raise StepFailed(f"no webhook {what} for {reference} was answered within "
                             f"{within:g} s; deliveries: {seen or 'none'}")
        time.sleep(POLL_SECONDS)


def _attempt_observation(delivery: dict[str, Any]) -> Observation:
    if not delivery["attempts"]:
        raise StepFailed(f"the webhook was not sent: {delivery.get('note') or 'no URL'}; set the "
                         "partner's webhook_url (or pass --partner-url)")
    attempt = delivery["attempts"][-1]
    exchange = Exchange("POST", attempt["url"], attempt["requestHeaders"], attempt["requestBody"],
                        status=attempt["responseStatus"], response_body=attempt["responseBody"]
                        or "", latency_ms=attempt["durationMs"], error=attempt["error"],
                        label=f"the emulator's {delivery['event']} webhook, attempt "
                              f"{attempt['number']} (delivery #{delivery['id']}, "
                              f"{delivery['status']})")
    return Observation(exchange, Subject(status=attempt["responseStatus"],
                                         body=parse_body(attempt["responseBody"] or ""),
                                         latency_ms=attempt["durationMs"],
                                         extra={"delivery": delivery}))


class StepFailed(Exception):
    """The step ran and the partner's behaviour is wrong in a way no ``expect`` can express
    (a call that never came, or came too often)."""

    def __init__(self, message: str, observations: list[Observation] | None = None) -> None:
        super().__init__(message)
        self.observations = observations or []


def _calls(state: RunState, args: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The partner's matching calls during this scenario, oldest first."""
    method = args.get("method", "POST").upper()
    entries = _emulator(lambda: state.emulator.journal(args.get("reference")))
    return [e for e in reversed(entries)
            if e["id"] > state.journal_floor and e["method"] == method
            and e["path"] == args["path"]]


def _journaled(entry: dict[str, Any]) -> Observation:
    query = f"?{entry['query']}" if entry["query"] else ""
    exchange = Exchange(entry["method"], entry["path"] + query, entry["requestHeaders"],
                        entry["requestBody"], status=entry["status"],
                        response_body=entry["responseBody"], latency_ms=entry["durationMs"],
                        label="the partner's call, as the emulator recorded it")
    findings = [f"{f['path']}: {f['message']}" for f in entry["findings"]]
    return Observation(exchange, Subject(status=entry["status"], headers=entry["requestHeaders"],
                                         body=parse_body(entry["requestBody"]),
                                         latency_ms=entry["durationMs"],
                                         extra={"response": parse_body(entry["responseBody"]),
                                                "findings": findings}))


def _call_name(args: Mapping[str, Any]) -> str:
    about = f" for {args['reference']}" if args.get("reference") else ""
    return f"{args.get('method', 'POST').upper()} {args['path']}{about}"


def _seen(state: RunState, reference: str | None) -> str:
    calls = [e for e in reversed(_emulator(lambda: state.emulator.journal(reference)))
             if e["id"] > state.journal_floor]
    if not calls:
        about = f" about {reference}" if reference else ""
        return f"it made no call to the emulator{about} in this scenario"
    return "its calls in this scenario: " + ", ".join(
        f"{e['method']} {e['path']} → {e['status']}" for e in calls[-10:])


# -- helpers ----------------------------------------------------------------------------------

def _product(state: RunState) -> Product:
    product = state.target.product
    if product is None:
        partner_id = state.target.partner.id
        raise StepError(f"the partner under test (id {partner_id}) has no Shop product: add a "
                        f"[[products]] entry with partner_id = {partner_id} to the config")
    return product


def _emulator(call: Callable[[], T]) -> T:
    try:
        return call()
    except EmulatorError as exc:
        raise StepError(str(exc)) from None


def _compact(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def _number(value: Any) -> int | float:
    return int(value) if value == int(value) else float(value)


def _query_text(value: Any) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


ACTIONS: dict[str, Action] = {
    "user_info": user_info, "summary_webhook": summary_webhook,
    "payment_webhook": payment_webhook, "http": http, "create_payment": create_payment,
    "complete_payment": complete_payment, "shop_purchase": shop_purchase,
    "advance_clock": advance_clock, "wait_for_call": wait_for_call, "no_call": no_call,
    "wait_for_delivery": wait_for_delivery,
}

# Setup steps must succeed unless the scenario says what it expects of them.
SETUP_ACTIONS = frozenset({"create_payment", "complete_payment", "shop_purchase",
                           "advance_clock"})
