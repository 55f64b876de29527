"""The Carry1st Shop emulation through its API: the User Info Webhook, headless purchases, the
signed Summary Webhook with its retries and resend, refusals, the legacy status query and the
demo product (pay1st-api.md §5.2, §7, §8; design.md §3), against a real partner listener."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask

from pay1st_mock import verify_summary
from pay1st_mock.app import database, services
from pay1st_mock.config import MEMORY, Settings, settings_from_mapping
from pay1st_mock.listener import Received, WebhookListener
from pay1st_mock.schemas import load_schemas
from pay1st_mock.signing import summary_key
from pay1st_mock.store.deliveries import DeliveryRepository
from tests.conftest import checked_app
from tests.vectors import SUMMARY_BODY as VECTOR_BODY
from tests.vectors import SUMMARY_SIGNATURE as VECTOR_SIGNATURE

GAME_USER, GAME_PASSWORD = "quest-games", "s3cret-pass"
GAME_KEY = summary_key(GAME_USER, GAME_PASSWORD)
GEMS, INACTIVE = 101, 102  # bundles of the "Gem Quest" product
OTHER_BUNDLE = 201  # a bundle of another product with other credentials
VECTOR_BUNDLE = 301  # a bundle of the product whose Basic Auth is the docs' apiuser/apipassword
INSTANT_EFT = 102  # ZA channel, redirect flow
SUMMARY_FIELDS = {"reference", "playerId", "productBundleId", "amount", "currency",
                  "tokensPurchased", "digitalCurrency", "status", "externalReference",
                  "productBundleExternalId", "quantity", "paymentMethod"}
LEGACY_STATUS_FIELDS = {"reference", "externalReference", "playerId", "productBundleId", "amount",
                        "currency", "paymentMethod", "tokensPurchased", "digitalCurrency",
                        "status"}  # pay1st-api.md §8.3


def products(partner_url: str) -> list[dict[str, Any]]:
    """Three products: one talking to the listener, one with other credentials, one for §5.2."""
    return [
        {"id": 10, "name": "Gem Quest", "countries": ["NG", "ZA"],
         "digital_currency": {"name": "Gems", "code": "GEM"},
         "basic_auth": {"username": GAME_USER, "password": GAME_PASSWORD},
         "user_info_url": f"{partner_url}/user-info?game=quest",
         "summary_url": f"{partner_url}/summary",
         "bundles": [
             {"id": GEMS, "sku": "GEM-100", "name": "100 Gems", "tokens": 100,
              "prices": {"NG": 1500, "ZA": 19.99}},
             {"id": INACTIVE, "sku": "GEM-OLD", "name": "Old Gems", "tokens": 5,
              "active": False, "prices": {"NG": 100, "ZA": 2}},
         ]},
        {"id": 20, "name": "Other Game", "countries": ["NG"],
         "basic_auth": {"username": "other-games", "password": "other-pass"},
         "bundles": [{"id": OTHER_BUNDLE, "sku": "OTH-1", "name": "1 Coin", "tokens": 1,
                      "prices": {"NG": 100}}]},
        {"id": 30, "name": "Vector Game", "countries": ["NG", "ZA"],
         "basic_auth": {"username": "apiuser", "password": "apipassword"},
         "summary_url": f"{partner_url}/vector-summary",
         "bundles": [{"id": VECTOR_BUNDLE, "sku": "CRE-11", "name": "11 Credits", "tokens": 11,
                      "prices": {"NG": 1000, "ZA": 10}}]},
    ]


class Partner(WebhookListener):
    """The listener with routes: ``answers[path]`` answers requests to that path (else 200)."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: dict[str, Callable[[Received], tuple[int, bytes]]] = {}
        self.release = threading.Event()  # lets a deliberately slow answer finish at teardown
        self.answer_with(self._route)

    def _route(self, received: Received) -> tuple[int, bytes]:
        handler = self.answers.get(received.path)
        return handler(received) if handler else (200, b"ok")

    def on(self, path: str, *script: tuple[int, Any]) -> None:
        """Answer ``path`` with ``script`` in order (the last answer repeats); dicts as JSON."""
        remaining = list(script)

        def answer(_: Received) -> tuple[int, bytes]:
            status, body = remaining.pop(0) if len(remaining) > 1 else remaining[0]
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            return status, raw
        self.answers[path] = answer

    def at(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]


@pytest.fixture
def listener() -> Iterator[Partner]:
    partner_side = Partner().start()
    partner_side.on("/user-info", (200, {"userId": "U-42", "externalReference": "UI-REF-1"}))
    yield partner_side
    partner_side.release.set()
    partner_side.stop()


@pytest.fixture
def settings(listener: Partner) -> Settings:
    raw = {"version": 1, "products": products(listener.url)}
    return settings_from_mapping(raw).with_overrides(
        data=MEMORY, seed=1, webhook_timeout_seconds=2.0, user_info_timeout_seconds=1.0)


# --- helpers -----------------------------------------------------------------------------------


def wait_until(check: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


def buy(base: str, expect: int = 201, **body: Any) -> dict[str, Any]:
    """POST /_mock/shop/purchases; ``expect`` is the status it must answer."""
    order = {"productBundleId": GEMS, "countryCode": "ZA", "playerId": "player-7", **body}
    response = requests.post(f"{base}/_mock/shop/purchases", json=order, timeout=10)
    assert response.status_code == expect, response.text
    data: dict[str, Any] = response.json()
    return data


def refused(base: str, status: int, code: str, **body: Any) -> str:
    """Buy expecting the error ``code`` with ``status``; return its message."""
    error = buy(base, expect=status, **body)
    assert error["errorCode"] == code, error
    message: str = error["errorMessage"]
    return message


def get(base: str, path: str, **params: Any) -> Any:
    response = requests.get(f"{base}{path}", params=params, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def delivery(base: str, delivery_id: int) -> dict[str, Any]:
    found: dict[str, Any] = get(base, f"/_mock/deliveries/{delivery_id}")
    return found


def attempts_of(base: str, delivery_id: int, count: int) -> list[dict[str, Any]]:
    """Wait until the delivery has ``count`` attempts logged (and its state recorded)."""
    def check() -> list[dict[str, Any]] | None:
        found = delivery(base, delivery_id)
        done = len(found["attempts"]) >= count and (
            found["status"] != "PENDING" or found["nextAttemptAt"] is not None)
        return found["attempts"] if done else None
    result: list[dict[str, Any]] = wait_until(check, what=f"{count} attempt(s) of {delivery_id}")
    return result


def advance(base: str, seconds: float) -> None:
    response = requests.post(f"{base}/_mock/clock/advance", json={"seconds": seconds}, timeout=10)
    assert response.status_code == 200, response.text


def signature_of(received: Received) -> str:
    headers = {k.upper(): v for k, v in received.headers.items()}
    assert "X-TIMESTAMP" not in headers, "the Summary Webhook has no timestamp (§5.2)"
    return headers["X-SIGNATURE"]


def epoch(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}", "Content-Type": "application/json"}


# --- 1. the documented signature test vector, through the real dispatcher ----------------------


def test_summary_signature_vector_through_the_dispatcher(app: Flask, live_url: str,
                                                         listener: Partner) -> None:
    listener.on("/vector-summary", (500, b"nothing else matters"))
    listener.on("/vector", (500, b"nothing else matters"))
    # A declined purchase writes no Summary, so the vector delivery heads its reference's queue.
    bought = buy(live_url, productBundleId=VECTOR_BUNDLE, countryCode="NG", playerId="12345",
                 outcome="declined")
    assert bought["summary"] is None
    reference = bought["purchase"]["reference"]

    svc = services(app)
    delivery_id = DeliveryRepository(database(app)).enqueue(
        partner_id=1, kind="summary", reference=reference, event="SUCCESSFUL",
        url=f"{listener.url}/vector", body=VECTOR_BODY, now=svc.clock.now())
    svc.dispatcher.wake()

    (received,) = listener.wait_for(1, path="/vector")
    assert received.method == "POST"
    assert received.body == VECTOR_BODY.encode()
    assert signature_of(received) == VECTOR_SIGNATURE
    (attempt,) = attempts_of(live_url, delivery_id, 1)
    assert attempt["requestHeaders"]["X-SIGNATURE"] == VECTOR_SIGNATURE
    assert attempt["requestBody"] == VECTOR_BODY
    assert listener.at("/vector-summary") == []


# --- 2. headless purchase: User Info, payment, signed Summary ----------------------------------


def test_headless_purchase_calls_user_info_and_sends_a_signed_summary(
        live_url: str, listener: Partner) -> None:
    bought = buy(live_url, quantity=3, channelId=INSTANT_EFT)

    purchase = bought["purchase"]
    assert purchase["status"] == "SUCCESSFUL"
    assert (purchase["productId"], purchase["productBundleId"]) == (10, GEMS)
    assert (purchase["quantity"], purchase["countryCode"]) == (3, "ZA")
    assert (purchase["playerId"], purchase["userId"]) == ("player-7", "U-42")
    assert purchase["channelName"] == "Instant EFT"
    assert purchase["externalReference"] == "UI-REF-1", "taken from the User Info answer"

    expected_query = {"game": ["quest"], "playerId": ["player-7"],
                      "productBundleId": [str(GEMS)], "productBundleExternalId": ["GEM-100"],
                      "amount": ["59.97"], "currencyCode": ["ZAR"], "countryCode": ["ZA"],
                      "quantity": ["3"]}
    user_info = bought["userInfo"]
    assert user_info["kind"] == "user_info" and user_info["verdict"] == "valid"
    assert user_info["responseStatus"] == 200
    assert urlsplit(user_info["requestUrl"]).path == "/user-info"
    assert parse_qs(urlsplit(user_info["requestUrl"]).query) == expected_query
    (asked,) = listener.at("/user-info")
    assert asked.method == "GET" and asked.query == expected_query

    summary = bought["summary"]
    assert summary["kind"] == "summary" and summary["reference"] == purchase["reference"]
    assert summary["url"] == f"{listener.url}/summary"

    (received,) = listener.wait_for(1, path="/summary")
    assert received.method == "POST"
    assert received.headers.get("Content-Type") == "application/json"
    assert verify_summary(GAME_KEY, received.body, signature_of(received))
    assert received.body.decode() == summary["body"]
    body = json.loads(received.body)
    assert load_schemas().check("shop/summary-webhook.json", body) == []
    assert set(body) == SUMMARY_FIELDS and "currencyCode" not in body
    assert body["reference"] == purchase["reference"]
    assert body["amount"] == 5997, "3 × 19.99 ZAR in minor units"
    assert body["currency"] == "ZAR"
    assert body["tokensPurchased"] == 300, "100 tokens × quantity 3"
    assert body["quantity"] == 3 and body["productBundleExternalId"] == "GEM-100"
    assert body["productBundleId"] == GEMS and body["playerId"] == "player-7"
    assert body["digitalCurrency"] == {"name": "Gems", "code": "GEM"}
    assert body["status"] == "SUCCESSFUL" and body["externalReference"] == "UI-REF-1"
    assert body["paymentMethod"] == "Instant EFT"

    (logged,) = get(live_url, "/_mock/deliveries", reference=purchase["reference"])["deliveries"]
    assert logged["id"] == summary["id"]
    wait_until(lambda: delivery(live_url, summary["id"])["status"] == "DELIVERED",
               what="the Summary DELIVERED")


def test_failed_purchase_sends_no_summary_and_no_payment_event(live_url: str,
                                                               listener: Partner) -> None:
    bought = buy(live_url, outcome="declined")
    assert bought["purchase"]["status"] == "FAILED"
    assert bought["summary"] is None
    assert bought["userInfo"]["verdict"] == "valid"
    # Deliveries are written in the transaction that moves the payment: none means none is sent.
    reference = bought["purchase"]["reference"]
    assert get(live_url, "/_mock/deliveries", reference=reference)["deliveries"] == []
    assert get(live_url, "/_mock/deliveries")["deliveries"] == []
    assert [r.path for r in listener.requests] == ["/user-info"]


# --- 3. retries on the emulator clock, then resend ----------------------------------------------


def test_summary_retries_then_resend(live_url: str, listener: Partner) -> None:
    listener.on("/summary", (500, b"down"), (500, b"still down"), (200, b"credited"))
    bought = buy(live_url, playerId="retry-player")
    delivery_id = bought["summary"]["id"]

    listener.wait_for(1, path="/summary")
    attempts_of(live_url, delivery_id, 1)
    advance(live_url, 5)
    listener.wait_for(2, path="/summary")
    attempts_of(live_url, delivery_id, 2)
    advance(live_url, 300)
    listener.wait_for(3, path="/summary")
    attempts = attempts_of(live_url, delivery_id, 3)

    final = wait_until(lambda: (d := delivery(live_url, delivery_id))["status"] == "DELIVERED"
                       and d, what="DELIVERED")
    assert final["nextAttemptAt"] is None
    assert [a["number"] for a in attempts] == [1, 2, 3]
    assert [a["responseStatus"] for a in attempts] == [500, 500, 200]
    assert [a["responseBody"] for a in attempts] == ["down", "still down", "credited"]
    assert all("only a 2xx" in a["error"] for a in attempts[:2]) and attempts[2]["error"] is None
    moments = [epoch(a["at"]) for a in attempts]
    assert 5 <= moments[1] - moments[0] < 5 + 3
    assert 300 <= moments[2] - moments[1] < 300 + 3
    received = listener.at("/summary")
    assert len({r.body for r in received}) == 1, "every attempt sends the same body"
    for attempt, got in zip(attempts, received, strict=True):
        assert attempt["requestBody"] == got.body.decode()
        assert verify_summary(GAME_KEY, got.body, signature_of(got))
        assert attempt["requestHeaders"]["X-SIGNATURE"] == signature_of(got)

    response = requests.post(f"{live_url}/_mock/deliveries/{delivery_id}/resend", timeout=10)
    assert response.status_code == 202, response.text
    resent = response.json()
    assert resent["id"] != delivery_id and resent["resendOf"] == delivery_id
    assert resent["kind"] == "summary" and resent["body"] == final["body"]
    (again,) = listener.wait_for(4, path="/summary")[3:]
    assert again.body == received[0].body
    assert verify_summary(GAME_KEY, again.body, signature_of(again))
    (resent_attempt,) = attempts_of(live_url, resent["id"], 1)
    assert resent_attempt["responseStatus"] == 200
    assert resent_attempt["requestHeaders"]["X-SIGNATURE"] == signature_of(again)
    wait_until(lambda: delivery(live_url, resent["id"])["status"] == "DELIVERED",
               what="the resend DELIVERED")


# --- 4. the partner refuses the player, or fails -----------------------------------------------


def test_player_rejected_by_the_partner(live_url: str, listener: Partner) -> None:
    listener.on("/user-info", (400, {"errorMessage": "Player banned", "errorCode": "BANNED"}))
    message = refused(live_url, 400, "PLAYER_REJECTED", playerId="cheater")
    assert "Player banned" in message
    assert get(live_url, "/_mock/shop/purchases")["purchases"] == []
    assert get(live_url, "/_mock/payments")["payments"] == []
    assert get(live_url, "/_mock/deliveries")["deliveries"] == []
    assert listener.at("/summary") == []
    (exchange,) = get(live_url, "/_mock/exchanges")["exchanges"]
    assert exchange["verdict"] == "rejected" and exchange["message"] == "Player banned"
    assert exchange["responseStatus"] == 400 and exchange["productId"] == 10
    assert "playerId=cheater" in exchange["requestUrl"]


def test_proxy_variables_do_not_capture_user_info_calls(live_url: str, listener: Partner,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The partner is on this machine: a proxy in the environment must not be asked for it."""
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    listener.on("/user-info", (400, {"errorMessage": "Player banned", "errorCode": "BANNED"}))
    with requests.Session() as direct:  # this test's own call must not use the proxy either
        direct.trust_env = False
        answer = direct.post(f"{live_url}/_mock/shop/purchases", timeout=10, json={
            "productBundleId": GEMS, "countryCode": "ZA", "playerId": "cheater"})
    assert answer.status_code == 400 and "Player banned" in answer.json()["errorMessage"]


def test_partner_faults_are_reported_and_logged(live_url: str, listener: Partner) -> None:
    def slow(_: Received) -> tuple[int, bytes]:
        listener.release.wait(10)  # the partner hangs; the emulator gives up after 1 s
        return 200, b'{"userId": "late"}'

    cases: list[tuple[str, Callable[[Received], tuple[int, bytes]], tuple[str, ...]]] = [
        ("503", lambda _: (503, b"Service Unavailable"), ("503",)),
        ("timeout", slow, ("did not answer", "1 s")),
        ("schema", lambda _: (200, b'{"user": "U-1"}'), ("200", "schema", "userId")),
        ("not JSON", lambda _: (200, b"<html>OK</html>"), ("200", "not JSON")),
    ]
    for name, answer, clues in cases:
        listener.answers["/user-info"] = answer
        message = refused(live_url, 400, "PARTNER_FAULT", playerId=f"player-{name}")
        assert all(clue in message for clue in clues), (name, message)
        assert "nothing was charged" in message

    assert get(live_url, "/_mock/shop/purchases")["purchases"] == []
    assert get(live_url, "/_mock/payments")["payments"] == []
    exchanges = get(live_url, "/_mock/exchanges")["exchanges"][::-1]  # oldest first
    assert len(exchanges) == len(cases)
    for exchange, (name, _, clues) in zip(exchanges, cases, strict=True):
        assert exchange["verdict"] == "partner_fault", (name, exchange)
        assert all(clue in exchange["message"] for clue in clues), (name, exchange)
        assert f"playerId=player-{name.replace(' ', '+')}" in exchange["requestUrl"]
    assert [e["responseStatus"] for e in exchanges] == [503, None, 200, 200]
    assert exchanges[2]["findings"], "the schema findings are logged"


# --- 5. bad input never reaches the partner -----------------------------------------------------


def test_bad_orders_are_refused_before_calling_the_partner(live_url: str,
                                                           listener: Partner) -> None:
    message = refused(live_url, 404, "BUNDLE_NOT_FOUND", productBundleId=999)
    assert "999" in message
    assert all(str(b) in message for b in (GEMS, INACTIVE, OTHER_BUNDLE, VECTOR_BUNDLE))
    assert "100 Gems" in message

    message = refused(live_url, 400, "BUNDLE_INACTIVE", productBundleId=INACTIVE)
    assert str(INACTIVE) in message and "not active" in message

    message = refused(live_url, 400, "COUNTRY_NOT_SOLD", countryCode="KE")
    assert "KE" in message and "NG" in message and "ZA" in message

    for quantity in (0, 101):
        message = refused(live_url, 400, "INVALID_QUANTITY", quantity=quantity)
        assert "1 to 100" in message and f"got {quantity}" in message

    message = refused(live_url, 400, "INVALID_PLAYER_ID", playerId="")
    assert "empty" in message
    message = refused(live_url, 400, "INVALID_PLAYER_ID", playerId="x" * 10240)
    assert "128" in message and "10240" in message

    assert listener.requests == [], "the partner was called for an order that cannot be bought"
    assert get(live_url, "/_mock/exchanges")["exchanges"] == []
    assert get(live_url, "/_mock/shop/purchases")["purchases"] == []


def test_bad_channel_or_outcome_leaves_nothing_behind(live_url: str, listener: Partner) -> None:
    """A refused headless purchase must not leave a purchase and a NEW payment behind."""
    message = refused(live_url, 400, "VALIDATION_ERROR", outcome="no-such-outcome")
    assert "no-such-outcome" in message
    message = refused(live_url, 400, "VALIDATION_ERROR", channelId=2)  # an NG channel; order: ZA
    assert "channel 2" in message and "ZA" in message

    left = {"purchases": get(live_url, "/_mock/shop/purchases")["purchases"],
            "payments": [(p["reference"], p["status"])
                         for p in get(live_url, "/_mock/payments")["payments"]],
            "User Info calls": len(listener.at("/user-info"))}
    assert left == {"purchases": [], "payments": [], "User Info calls": 0}, left


# --- 6. the legacy status query (§8.3) ---------------------------------------------------------


def test_legacy_status_query(live_url: str, listener: Partner) -> None:
    bought = buy(live_url, externalReference="EXT-9", channelId=INSTANT_EFT, quantity=2)
    url = f"{live_url}/api/fulfilments/status"
    params = {"externalReference": "EXT-9"}

    response = requests.get(url, params=params, headers=basic(GAME_USER, GAME_PASSWORD),
                            timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    status = response.json()
    assert set(status) == LEGACY_STATUS_FIELDS
    assert status == {
        "reference": bought["purchase"]["reference"], "externalReference": "EXT-9",
        "playerId": "player-7", "productBundleId": GEMS, "amount": 3998, "currency": "ZAR",
        "paymentMethod": "Instant EFT", "tokensPurchased": 200,
        "digitalCurrency": {"name": "Gems", "code": "GEM"}, "status": "SUCCESSFUL"}
    (received,) = listener.wait_for(1, path="/summary")
    assert json.loads(received.body)["externalReference"] == "EXT-9"

    def error(headers: dict[str, str], query: dict[str, str]) -> tuple[int, str, str]:
        answer = requests.get(url, params=query, headers=headers, timeout=10)
        body = answer.json()
        return answer.status_code, body["errorCode"], body["errorMessage"]

    code, name, message = error({"Content-Type": "application/json"}, params)
    assert (code, name) == (401, "MISSING_CREDENTIALS") and "Basic" in message
    code, name, _ = error(basic(GAME_USER, "wrong-password"), params)
    assert (code, name) == (401, "INVALID_CREDENTIALS")
    code, name, message = error(basic("other-games", "other-pass"), params)
    assert code == 404 and name == "PURCHASE_NOT_FOUND" and "EXT-9" in message
    code, name, message = error(basic(GAME_USER, GAME_PASSWORD), {})
    assert (code, name) == (400, "INVALID_PARAMETER") and "externalReference" in message


# --- 7. the demo product, with no config --------------------------------------------------------


@pytest.fixture
def demo_app() -> Iterator[Flask]:
    with checked_app(Settings(data=MEMORY, seed=1)) as application:
        yield application


def test_demo_product_without_config(demo_app: Flask) -> None:
    client = demo_app.test_client()
    page = client.get("/shop")
    assert page.status_code == 200 and "Sandbox Quest" in page.get_data(as_text=True)

    response = client.post("/_mock/shop/purchases",
                           json={"productBundleId": 1, "countryCode": "NG", "playerId": "12345"})
    assert response.status_code == 201, response.get_data(as_text=True)
    bought = response.get_json()
    assert bought["purchase"]["status"] == "SUCCESSFUL"
    assert bought["purchase"]["productId"] == 1 and bought["purchase"]["userId"] is None
    assert bought["userInfo"] is None, "no User Info Webhook URL: accepted unchecked"
    summary = bought["summary"]
    assert summary["status"] == "SKIPPED" and summary["url"] is None
    assert summary["attempts"] == []
    body = json.loads(summary["body"])
    assert load_schemas().check("shop/summary-webhook.json", body) == []
    assert (body["amount"], body["currency"], body["tokensPurchased"]) == (100000, "NGN", 11)
    assert body["digitalCurrency"] == {"name": "Credits", "code": "CRE"}
    assert client.get("/_mock/exchanges").get_json() == {"exchanges": []}

    inactive = client.post("/_mock/shop/purchases",
                           json={"productBundleId": 3, "countryCode": "NG", "playerId": "12345"})
    assert inactive.status_code == 400 and inactive.get_json()["errorCode"] == "BUNDLE_INACTIVE"
    bigger = client.post("/_mock/shop/purchases",
                         json={"productBundleId": 2, "countryCode": "ZA", "playerId": "12345"})
    assert bigger.status_code == 201
    assert json.loads(bigger.get_json()["summary"]["body"])["tokensPurchased"] == 60


def test_skipped_summary_says_to_configure_the_summary_url(demo_app: Flask) -> None:
    """The SKIPPED note must point at what to fix for a Summary: the product's summary_url."""
    response = demo_app.test_client().post(
        "/_mock/shop/purchases", json={"productBundleId": 1, "countryCode": "NG",
                                       "playerId": "12345"})
    note = response.get_json()["summary"]["note"]
    assert "summary_url" in note, note
