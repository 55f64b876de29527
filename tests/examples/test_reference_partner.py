"""The reference partner against the real emulator, both on real sockets in threads: the
partner starts first, the emulator is built with its webhook URLs, then the partner is pointed
at the emulator."""

from __future__ import annotations

import dataclasses
import io
import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import requests
from reference_partner import BUGS, PartnerServer, PartnerSettings, UnknownBugError
from reference_partner import signatures as sig
from reference_partner.__main__ import main
from reference_partner.errors import SignatureError
from reference_partner.settings import settings_from_env

from pay1st_mock.config import MEMORY, SANDBOX_PARTNER, Settings
from pay1st_mock.schemas import load_schemas
from pay1st_mock.server import MockServer
from pay1st_mock.shop.catalogue import DEMO_PRODUCT
from pay1st_mock.signing import sign_request, sign_summary
from tests import vectors as v
from tests.harness import wait_until
from tests.support import now_timestamp

SLOW = 0.3  # slow_seconds for the slow-* bugs
FULFILMENTS = "/api/pay1st/payments/fulfilments"


class Stack:
    """A partner and an emulator wired to each other, and an HTTP session for the test."""

    def __init__(self, bugs: frozenset[str] = frozenset()) -> None:
        self.partner = PartnerServer(PartnerSettings(bugs=bugs, slow_seconds=SLOW))
        self.http = requests.Session()
        self.http.trust_env = False

    def __enter__(self) -> Stack:
        url = self.partner.start().url
        self.mock = MockServer(Settings(data=MEMORY, seed=1, partners=(dataclasses.replace(
            SANDBOX_PARTNER, webhook_url=f"{url}/pay1st/payment-events"),), products=(
            {**DEMO_PRODUCT, "user_info_url": f"{url}/pay1st/user-info",
             "summary_url": f"{url}/pay1st/summary"},)))
        try:
            self.partner.settings.pay1st_url = self.mock.start().url  # after the partner started
        except BaseException:
            self.partner.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.partner.wait_idle()
        self.mock.stop()
        self.partner.stop()
        self.http.close()

    def call(self, method: str, path: str, basic_auth: bool = True,
             **kwargs: Any) -> requests.Response:
        """A call to the partner; the Shop's two webhooks get the product's Basic auth."""
        if basic_auth and path.startswith(("/pay1st/user-info", "/pay1st/summary")):
            kwargs["headers"] = {"Authorization": SHOP_AUTH, **kwargs.get("headers", {})}
        return self.http.request(method, self.partner.url + path, **kwargs)

    def emulator(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, self.mock.url + path, **kwargs)
        assert response.ok, response.text
        return response.json()

    def order(self, **fields: Any) -> dict[str, Any]:
        response = self.call("POST", "/pay1st-test/orders",
                             json={"playerId": "player-1", "sku": "CRE-11", **fields})
        assert response.status_code == 201, response.text
        return dict(response.json())

    def deliveries(self, reference: str) -> list[dict[str, Any]]:
        found = self.emulator("GET", "/_mock/deliveries", params={"reference": reference})
        return found["deliveries"][::-1]  # oldest first

    def settle(self, reference: str) -> None:
        """Wait until the emulator delivered the reference's webhooks and we reported back."""
        wait_until(lambda: (found := self.deliveries(reference))
                   and all(d["status"] != "PENDING" for d in found), 5, "webhook deliveries")
        assert self.partner.wait_idle(5)

    def complete(self, reference: str, outcome: str = "success") -> str:
        self.emulator("POST", f"/_mock/payments/{reference}/complete", json={"outcome": outcome})
        self.settle(reference)
        return reference

    def paid_order(self) -> str:
        return self.complete(self.order()["reference"])

    def fulfilments(self, reference: str) -> list[dict[str, Any]]:
        found = self.emulator("GET", "/_mock/journal",
                              params={"partnerId": 1, "reference": reference})["entries"]
        return [e for e in reversed(found) if e["path"] == FULFILMENTS]

    def balance(self, player_id: str = "player-1") -> tuple[int, int]:
        account = self.call("GET", f"/pay1st-test/players/{player_id}").json()
        return account["balance"], account["credits"]

    def post_event(self, event: dict[str, Any],
                   headers: Callable[[bytes], dict[str, str]] | None = None) -> requests.Response:
        body = json.dumps(event).encode()
        return self.call("POST", "/pay1st/payment-events", data=body,
                         headers=(headers or signed)(body))

    def post_summary(self, body: str, signature: str | None = "sign",
                     basic_auth: bool = True) -> requests.Response:
        signature = sign_summary(v.SUMMARY_KEY, body) if signature == "sign" else signature
        headers = {"X-SIGNATURE": signature} if signature is not None else {}
        return self.call("POST", "/pay1st/summary", basic_auth, data=body.encode(),
                         headers=headers)



def signed(body: bytes, timestamp: str | None = None, key: str = v.REQUEST_KEY) -> dict[str, str]:
    """Payment-event headers, signed by the emulator's own signing module."""
    timestamp = timestamp or now_timestamp()
    return {"X-TIMESTAMP": timestamp, "X-SIGNATURE": sign_request(key, timestamp, body)}


SHOP_AUTH = "Basic " + v.SUMMARY_KEY  # the Base64 text of apiuser:apipassword


def summary_body(**fields: Any) -> str:
    return json.dumps({"reference": "C-1-P", "playerId": "player-1", "productBundleId": 1,
                       "tokensPurchased": 11, "status": "SUCCESSFUL", **fields})


@pytest.fixture
def stack() -> Iterator[Stack]:
    with Stack() as pair:
        yield pair


# --- Gateway v4 ------------------------------------------------------------------------------
def test_a_paid_order_is_credited_and_fulfilled_once(stack: Stack) -> None:
    created = stack.order(quantity=2, countryCode="ZA")
    token_text = created["checkoutUrl"].split("accessToken=")[1]
    assert "+" not in token_text and "/" not in token_text  # URL-escaped
    assert stack.http.get(created["checkoutUrl"]).status_code == 200
    stack.complete(created["reference"])
    [fulfilment] = stack.fulfilments(created["reference"])
    assert fulfilment["status"] == 200, fulfilment
    [line] = json.loads(fulfilment["requestBody"])["products"]
    assert {k: line[k] for k in ("sku", "fulfilmentStatus", "quantity")} == {
        "sku": "CRE-11", "fulfilmentStatus": "FULFILLED", "quantity": 2}
    assert stack.balance() == (22, 1)
    assert stack.call("GET", f"/pay1st-test/orders/{created['reference']}").json() == {
        "reference": created["reference"], "partnerReference": created["partnerReference"],
        "status": "SUCCESSFUL", "fulfilled": True}
    [create] = [e for e in stack.emulator("GET", "/_mock/journal")["entries"]
                if e["path"] == "/api/pay1st/payments/create"]
    assert (create["status"], create["findings"]) == (201, [])


@pytest.mark.parametrize(("outcome", "status"), [
    ("declined", "FAILED"), ("cancel", "CANCELLED"), ("abandon", "ABANDONED")])
def test_an_unpaid_order_is_never_credited_nor_fulfilled(stack: Stack, outcome: str,
                                                         status: str) -> None:
    reference = stack.order()["reference"]
    stack.complete(reference, outcome)
    assert stack.fulfilments(reference) == []
    assert stack.balance() == (0, 0)
    assert stack.call("GET", f"/pay1st-test/orders/{reference}").json()["status"] == status


def test_repeated_and_late_events_change_nothing(stack: Stack) -> None:
    reference = stack.paid_order()
    [delivery] = stack.deliveries(reference)
    stack.emulator("POST", f"/_mock/deliveries/{delivery['id']}/resend")  # a real redelivery
    stack.settle(reference)
    for status in ("PENDING", "FAILED", "SUCCESSFUL"):  # out of order, then a duplicate
        answer = stack.post_event({**json.loads(delivery["body"]), "status": status})
        assert answer.status_code == 200 and "ignored" in answer.json()["note"]
    assert stack.partner.wait_idle()
    assert len(stack.fulfilments(reference)) == 1
    assert stack.balance() == (11, 1)
    assert stack.call("GET", f"/pay1st-test/orders/{reference}").json()["status"] == "SUCCESSFUL"


def test_a_slow_pay1st_does_not_slow_the_webhook(stack: Stack) -> None:
    stack.emulator("POST", "/_mock/faults", json={
        "method": "POST", "path": FULFILMENTS, "action": {"latencyMs": 800}})
    reference = stack.paid_order()
    [delivery] = stack.deliveries(reference)
    assert delivery["attempts"][0]["durationMs"] < 400
    assert [e["status"] for e in stack.fulfilments(reference)] == [200]


def test_a_revoked_token_is_renewed(stack: Stack) -> None:
    stack.order()
    stack.emulator("POST", "/_mock/reset", json={"partnerId": 1})  # forgets partner 1's tokens
    stack.order()
    journal = stack.emulator("GET", "/_mock/journal")["entries"][::-1]  # since the reset
    assert [(e["path"].rsplit("/", 1)[1], e["status"]) for e in journal] == [
        ("create", 401), ("token", 200), ("create", 201)]


@pytest.mark.parametrize("fields", [
    {"playerId": "nobody"}, {"playerId": "banned-1"}, {"sku": "NOPE"}, {"countryCode": "US"},
    {"quantity": 0}, {"quantity": "2"}, {"playerId": None}])
def test_orders_we_cannot_sell_are_refused(stack: Stack, fields: dict[str, Any]) -> None:
    response = stack.call("POST", "/pay1st-test/orders",
                          json={"playerId": "player-1", "sku": "CRE-11", **fields})
    assert response.status_code == 400 and response.json()["error"]


def test_a_pay1st_error_is_a_502_with_its_message(stack: Stack) -> None:
    stack.emulator("POST", "/_mock/faults", json={"path": "/api/pay1st/payments/create",
                   "action": {"status": 503, "errorCode": "DOWN", "errorMessage": "try later"}})
    response = stack.call("POST", "/pay1st-test/orders", json={"playerId": "player-1",
                                                               "sku": "CRE-60"})
    assert response.status_code == 502
    assert (response.json()["errorMessage"], response.json()["errorCode"]) == ("try later", "DOWN")


def test_unknown_players_orders_and_paths_are_404(stack: Stack) -> None:
    for path in ("/pay1st-test/players/nobody", "/pay1st-test/orders/C-1-P", "/nowhere"):
        response = stack.call("GET", path)
        assert response.status_code == 404 and response.json()["error"]


PLUS_TWO = timezone(timedelta(hours=2))
EVENT_HEADERS: dict[str, tuple[Callable[[bytes], dict[str, str]], int, str]] = {
    "valid": (signed, 200, "no such order"),
    "offset zone, 9 digits": (lambda b: signed(b, datetime.now(PLUS_TWO).isoformat(
        timespec="microseconds").replace("+02:00", "789+02:00")), 200, "no such order"),
    "missing signature": (lambda b: {"X-TIMESTAMP": now_timestamp()}, 401, "missing X-SIG"),
    "no timestamp": (lambda b: {"X-SIGNATURE": signed(b)["X-SIGNATURE"]}, 401, "missing X-TIME"),
    "wrong key": (lambda b: signed(b, key="another-key"), 401, "bad X-SIGNATURE"),
    "body changed": (lambda b: signed(b + b" "), 401, "bad X-SIGNATURE"),
    "stale": (lambda b: signed(b, now_timestamp(-400)), 401, "stale X-TIMESTAMP"),
    "from the future": (lambda b: signed(b, now_timestamp(400)), 401, "stale X-TIMESTAMP"),
    "not a date": (lambda b: signed(b, "yesterday"), 401, "not an ISO-8601"),
}


@pytest.mark.parametrize("case", EVENT_HEADERS)
def test_payment_event_signatures(stack: Stack, case: str) -> None:
    headers, status, text = EVENT_HEADERS[case]
    response = stack.post_event({"reference": "C-1-P", "status": "SUCCESSFUL"}, headers)
    assert response.status_code == status and text in response.text, response.text


def test_signature_functions_reproduce_the_documented_vectors() -> None:
    ts, body, expected = v.REQUEST_TIMESTAMP, v.REQUEST_BODY.encode(), v.REQUEST_SIGNATURE
    assert sig.gateway_signature(v.REQUEST_KEY, ts, body) == expected
    sig.verify_payment_webhook(v.REQUEST_KEY, ts, expected.upper(), body)
    swapped = sig.gateway_signature(ts + v.REQUEST_BODY, v.REQUEST_KEY, b"")  # §5.1's prose
    with pytest.raises(SignatureError, match="bad"):
        sig.verify_payment_webhook(v.REQUEST_KEY, ts, swapped, body)
    assert sig.parse_timestamp(ts) == datetime(2025, 3, 17, 8, 10, 52, 544247, UTC)
    sig.verify_timestamp_fresh(ts, datetime(2025, 3, 17, 8, 15, tzinfo=UTC), 300)
    with pytest.raises(SignatureError, match="stale"):
        sig.verify_timestamp_fresh(ts, datetime.now(UTC), 300)
    key = sig.summary_key(v.SUMMARY_USER, v.SUMMARY_PASSWORD)
    assert key == v.SUMMARY_KEY.encode()
    assert sig.summary_signature(key, v.SUMMARY_BODY.encode()) == v.SUMMARY_SIGNATURE


# --- Shop ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("body", "signature", "status", "answer"), [
    (v.SUMMARY_BODY, v.SUMMARY_SIGNATURE, 200, "unknown player '12345'"),  # the docs' example
    (f"\n  {v.SUMMARY_BODY} \n", v.SUMMARY_SIGNATURE, 200, "unknown player"),  # trimmed
    (v.SUMMARY_BODY, None, 401, {"error": "missing X-SIGNATURE"}),
    (v.SUMMARY_BODY, "0" * 64, 401, {"error": "bad X-SIGNATURE"}),
    (v.SUMMARY_BODY + "x", v.SUMMARY_SIGNATURE, 401, {"error": "bad X-SIGNATURE"}),
    ("{not json", "sign", 400, "not valid JSON"),
])
def test_summary_signatures(stack: Stack, body: str, signature: str | None, status: int,
                            answer: str | dict[str, str]) -> None:
    response = stack.post_summary(body, signature)
    assert response.status_code == status
    assert response.json() == answer if isinstance(answer, dict) else answer in response.text


def test_a_summary_is_credited_once_and_only_when_successful(stack: Stack) -> None:
    for body in (summary_body(), summary_body(), summary_body(reference="C-2-P", status="FAILED"),
                 summary_body(reference="C-3-P", playerId="nobody")):
        assert stack.post_summary(body).status_code == 200
    assert stack.balance() == (11, 1)


def test_a_shop_purchase_end_to_end(stack: Stack) -> None:
    bought = stack.emulator("POST", "/_mock/shop/purchases", json={
        "productBundleId": 2, "countryCode": "KE", "playerId": "player-2", "quantity": 2})
    assert bought["userInfo"]["verdict"] == "valid"
    stack.settle(bought["purchase"]["reference"])
    assert stack.balance("player-2") == (120, 1)
    for player in ("banned-1", "nobody"):
        refused = stack.http.post(stack.mock.url + "/_mock/shop/purchases", json={
            "productBundleId": 1, "countryCode": "NG", "playerId": player})
        assert refused.json()["errorCode"] == "PLAYER_REJECTED"


@pytest.mark.parametrize(("query", "status", "expected"), [
    ({}, 400, {"errorMessage": "playerId is required", "errorCode": "MISSING_PLAYER_ID"}),
    ({"playerId": ""}, 400, {"errorCode": "MISSING_PLAYER_ID"}),
    ({"playerId": "nobody"}, 400, {"errorCode": "PLAYER_NOT_FOUND"}),
    ({"playerId": "banned-1"}, 400, {"errorCode": "PLAYER_INACTIVE"}),
    ({"playerId": "player-1", "externalReference": "EXT", "amount": "1000",
      "currencyCode": "NGN", "productBundleId": "1", "quantity": "1"}, 200,
     {"userId": "player-1", "externalReference": "EXT", "amount": 1000, "currencyCode": "NGN"}),
    ({"playerId": "player-2", "amount": "10.50"}, 200, {"amount": 10.5, "currencyCode": None}),
    ({"playerId": "player-2"}, 200, {"userId": "player-2", "amount": 0}),
])
def test_user_info(stack: Stack, query: dict[str, str], status: int,
                   expected: dict[str, Any]) -> None:
    response = stack.call("GET", "/pay1st/user-info", params=query)
    body = response.json()
    assert response.status_code == status
    assert {k: body[k] for k in expected} == expected
    schema = "shop/user-info-response.json" if status == 200 else "shop/user-info-error.json"
    assert load_schemas().check(schema, body) == []
    assert status == 200 or query.get("playerId", "") in body["errorMessage"]  # names the id


# --- Money going back ------------------------------------------------------------------------
def test_a_refund_and_a_chargeback_through_the_emulator_take_the_credit_back(
        stack: Stack) -> None:
    """The emulator's own notifications, at the partner's Webhook URL beside payment events:
    a SUCCESSFUL refund of half takes half the credit back, once; a chargeback takes the rest
    and a WON decision gives it back."""
    created = stack.order(quantity=2)  # 22 credits for NGN 2000
    stack.complete(created["reference"])
    assert stack.balance() == (22, 1)
    answer = stack.partner.partner.pay1st.create_refund(created["reference"], "ticket-1", 1000,
                                                        "Customer requested refund")
    assert (answer["status"], answer["amount"], answer["fullRefund"]) == ("PENDING", 1000, False)
    stack.emulator("POST", f"/_mock/refunds/{answer['refundReference']}/complete",
                   json={"status": "SUCCESSFUL"})
    stack.settle(created["reference"])
    assert stack.balance()[0] == 11
    [delivered] = [d for d in stack.deliveries(created["reference"])
                   if d["kind"] == "refund" and d["event"] == "SUCCESSFUL"]
    stack.emulator("POST", f"/_mock/deliveries/{delivered['id']}/resend")
    stack.settle(created["reference"])
    assert stack.balance()[0] == 11  # a duplicate changes nothing
    opened = stack.emulator("POST", f"/_mock/payments/{created['reference']}/chargebacks",
                            json={})
    stack.settle(created["reference"])
    assert stack.balance()[0] == 0  # the other half, charged back
    stack.emulator("POST", f"/_mock/chargebacks/{opened['chargeback']['chargebackReference']}"
                   "/decide", json={"status": "WON"})
    stack.settle(created["reference"])
    assert stack.balance()[0] == 11


# --- Deliberate bugs -------------------------------------------------------------------------
def _status(path: str, **params: str) -> Callable[[Stack], Any]:  # with the Shop's Basic auth
    return lambda s: s.call("GET", path, params=params).status_code


def _took(action: Callable[[Stack], object]) -> Callable[[Stack], bool]:
    def probe(s: Stack) -> bool:
        started = time.perf_counter()
        action(s)
        return time.perf_counter() - started >= SLOW
    return probe


def _after(outcome: str, *statuses: str) -> Callable[[Stack], tuple[int, int]]:
    """Complete an order with ``outcome``, send it ``statuses``; (fulfilments, balance)."""
    def probe(s: Stack) -> tuple[int, int]:
        reference = s.order()["reference"]
        s.complete(reference, outcome)
        event = json.loads(s.deliveries(reference)[0]["body"])
        for status in statuses:
            assert s.post_event({**event, "status": status}).status_code == 200
        assert s.partner.wait_idle()
        return len(s.fulfilments(reference)), s.balance()[0]
    return probe


def _fulfilled_skus(s: Stack) -> list[tuple[str, int]]:
    reference = s.paid_order()
    return [(json.loads(e["requestBody"])["products"][0]["sku"], e["status"])
            for e in s.fulfilments(reference)]


def _checkout_link_status(s: Stack) -> int:
    """What the emulator answers the checkout link the partner built for a new order."""
    return int(requests.get(s.order()["checkoutUrl"], timeout=10).status_code)


def _summary_twice(s: Stack) -> tuple[int, int]:
    for _ in range(2):
        s.post_summary(summary_body())
    return s.balance()


def _pending_event(s: Stack) -> tuple[int, int]:
    """A PENDING event for a real order: (fulfilment calls, balance)."""
    created = s.order()
    assert s.post_event({"reference": created["reference"], "status": "PENDING",
                         "partnerReference": created["partnerReference"]}).status_code == 200
    assert s.partner.wait_idle()
    return len(s.fulfilments(created["reference"])), s.balance()[0]


def _created_amount(s: Stack) -> tuple[Any, Any]:
    """(amount, products[0].price) of the Create Payment call for 2 × CRE-11 in NG."""
    reference = s.order(quantity=2)["reference"]
    [create] = [e for e in s.emulator("GET", "/_mock/journal", params={
        "reference": reference})["entries"] if e["path"] == "/api/pay1st/payments/create"]
    sent = json.loads(create["requestBody"])
    return sent["amount"], sent["products"][0]["price"]


def _order_after_the_token_expired(s: Stack) -> int:
    s.order()
    s.emulator("POST", "/_mock/clock/advance", json={"seconds": 3660})
    return s.call("POST", "/pay1st-test/orders",
                  json={"playerId": "player-1", "sku": "CRE-11"}).status_code


def _pretty_summary(s: Stack) -> int:
    return s.post_summary(json.dumps(json.loads(summary_body()), indent=2)).status_code


def _summary_of_three(s: Stack) -> tuple[int, int]:
    s.post_summary(summary_body(tokensPurchased=33, quantity=3))
    return s.balance()


_EVENT = {"reference": "C-1-P", "status": "SUCCESSFUL"}


def _money_back(*notices: tuple[str, str]) -> Callable[[Stack], int]:
    """Pay for an order (11 credits), then send signed (kind, status) notifications of one
    refund or chargeback of all of it; the balance after."""
    def probe(s: Stack) -> int:
        order = s.order()
        s.complete(order["reference"])
        for kind, status in notices:
            assert s.post_event({f"{kind}Reference": f"{kind}-1", "status": status,
                                 "partnerReference": order["partnerReference"],
                                 "amount": 1000, "fullRefund": True}).status_code == 200
        return s.balance()[0]
    return probe


# bug → (probe, answer of the correct partner, answer with the bug on)
BUG_TABLE: dict[str, tuple[Callable[[Stack], Any], Any, Any]] = {
    "user-info-accepts-unknown": (_status("/pay1st/user-info", playerId="nobody"), 400, 200),
    "user-info-500-on-missing-player": (_status("/pay1st/user-info"), 400, 500),
    "user-info-accepts-suspended": (lambda s: (
        _status("/pay1st/user-info", playerId="banned-1")(s),
        _status("/pay1st/user-info", playerId="nobody")(s)), (400, 400), (200, 400)),
    "user-info-wrong-shape": (lambda s: "userId" in s.call(
        "GET", "/pay1st/user-info", params={"playerId": "player-1"}).json(), True, False),
    "slow-user-info": (_took(_status("/pay1st/user-info", playerId="player-1")), False, True),
    "summary-no-signature-check": (
        lambda s: s.post_summary(summary_body(), "0" * 64).status_code, 401, 200),
    "summary-decoded-key": (lambda s: s.post_summary(summary_body()).status_code, 200, 401),
    "summary-double-credit": (_summary_twice, (11, 1), (22, 2)),
    "summary-reserialised-hmac": (_pretty_summary, 200, 401),
    "summary-quantity-twice": (_summary_of_three, (33, 1), (99, 1)),
    "webhook-no-signature-check": (lambda s: s.post_event(_EVENT, lambda b: signed(
        b, key="wrong")).status_code, 401, 200),
    "webhook-no-timestamp-check": (lambda s: s.post_event(_EVENT, lambda b: signed(
        b, now_timestamp(-3600))).status_code, 401, 200),
    "webhook-tight-freshness": (lambda s: s.post_event(_EVENT, lambda b: signed(
        b, now_timestamp(-120))).status_code, 200, 401),
    "webhook-reserialised-hmac": (lambda s: s.post_event(_EVENT).status_code, 200, 401),
    "webhook-double-fulfil": (_after("success", "SUCCESSFUL"), (1, 11), (2, 22)),
    "fulfil-on-pending": (_pending_event, (0, 0), (1, 11)),
    "fulfil-deny-list": (lambda s: (_after("abandon")(s), _after("declined")(s)),
                         ((0, 0), (0, 0)), ((1, 11), (0, 11))),  # FAILED is still refused
    "amount-in-cents": (_created_amount, (2000, 1000), (200000, 100000)),
    "token-never-refreshed": (_order_after_the_token_expired, 201, 502),
    "webhook-fulfil-any-status": (_after("declined"), (0, 0), (1, 11)),
    "webhook-regress-status": (_after("success", "PENDING", "SUCCESSFUL"), (1, 11), (2, 22)),
    "fulfil-wrong-sku": (_fulfilled_skus, [("CRE-11", 200)], [("CRE-11-WRONG", 400)]),
    "checkout-link-unescaped": (_checkout_link_status, 200, 400),
    "no-fulfilment": (_after("success"), (1, 11), (0, 11)),
    "slow-payment-webhook": (_took(lambda s: s.post_event(_EVENT)), False, True),
    "refund-double-reverse": (_money_back(("refund", "SUCCESSFUL"), ("refund", "SUCCESSFUL")),
                              0, -11),
    "refund-reverse-any-status": (_money_back(("refund", "PENDING"), ("refund", "FAILED")),
                                  11, 0),
    "chargeback-ignored": (_money_back(("chargeback", "OPEN")), 0, 11),
    "user-info-no-basic-auth": (lambda s: s.call(
        "GET", "/pay1st/user-info", False, params={"playerId": "player-1"}).status_code, 401,
        200),
    "summary-no-basic-auth": (lambda s: s.post_summary(summary_body(), basic_auth=False)
                              .status_code, 401, 200),
}


@pytest.mark.parametrize("bug", sorted(BUG_TABLE))
def test_each_bug_flips_its_behaviour(bug: str) -> None:
    probe, correct, buggy = BUG_TABLE[bug]
    with Stack() as good, Stack(frozenset({bug})) as bad:
        assert (probe(good), probe(bad)) == (correct, buggy)


def test_bug_names_and_settings_from_the_environment() -> None:
    with pytest.raises(UnknownBugError, match="no-fulfilment"):
        PartnerSettings(bugs=frozenset({"no-such-bug"}))
    stdout, stderr = io.StringIO(), io.StringIO()
    assert main(["--bug", "no-such-bug"], {}, stdout, stderr) == 2
    assert "no-such-bug" in stderr.getvalue() and "slow-user-info" in stderr.getvalue()
    assert main(["--list-bugs"], {}, stdout, stderr) == 0
    assert {line.split(":")[0] for line in stdout.getvalue().splitlines()} == BUGS
    assert set(BUG_TABLE) == BUGS  # every bug is proven to flip something
    settings = settings_from_env({"REFERENCE_PARTNER_PAY1ST_URL": "http://pay1st.test",
                                  "REFERENCE_PARTNER_SLOW_SECONDS": "0.5",
                                  "REFERENCE_PARTNER_BUGS": "no-fulfilment, slow-user-info"})
    assert (settings.pay1st_url, settings.slow_seconds, settings.bugs) == (
        "http://pay1st.test", 0.5, {"no-fulfilment", "slow-user-info"})
