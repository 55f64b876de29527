"""Refunds (issue 15, point 1): Create Refund with the documented headers, media type, signature,
body and 201 answer; its rules, each answered with the envelope and what to send; the statuses
moving on the emulator clock or by the control API; signed notifications through the outbox;
the payment's status and the query answer following; Query Refund and List Refunds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from pay1st_mock import verify_request
from pay1st_mock.app import services
from pay1st_mock.client import PartnerClient
from pay1st_mock.clock import Clock
from pay1st_mock.config import MEMORY, Settings
from pay1st_mock.listener import WebhookListener
from pay1st_mock.signing import sign_request
from tests.harness import ClientPartner, wait_until
from tests.support import SANDBOX, now_timestamp

REFUND = "application/vnd.carry1st.payments.refund+json"
CREATE = "/api/pay1st/transactions/refunds/create"
FIELDS = {"refundReference", "transactionReference", "partnerReference", "partnerRefundReference",
          "amount", "currencyCode", "status", "handlingType", "fullRefund", "reason",
          "createdDate", "lastModifiedDate"}
VOUCHER_ZA = 103  # 1ForYou: a voucher cannot refund


@pytest.fixture
def partner(client: FlaskClient) -> ClientPartner:
    return ClientPartner(client).login()


def paid(partner: ClientPartner, **overrides: Any) -> str:
    """A SUCCESSFUL payment's reference."""
    reference = partner.create_reference(**overrides)
    completed = partner.client.post(f"/_mock/payments/{reference}/complete",
                                    json={"status": "SUCCESSFUL"})
    assert completed.status_code == 200, completed.get_data(as_text=True)
    return reference


def transaction(reference: str) -> str:
    return reference.removesuffix("-P") + "-T"


def refund(partner: ClientPartner, body: dict[str, Any], media_type: str = REFUND,
           signed: bool = True) -> TestResponse:
    raw = json.dumps(body).encode()
    timestamp = now_timestamp()
    headers = {"AccessToken": f"Bearer {partner.access_token}", "Content-Type": media_type}
    if signed:
        headers.update({"X-TIMESTAMP": timestamp,
                        "X-SIGNATURE": sign_request(partner.signing_key, timestamp, raw)})
    return partner.client.post(CREATE, data=raw, headers=headers)


def error_of(response: TestResponse) -> tuple[int, str, str]:
    body = response.get_json()
    return response.status_code, body["errorCode"], body["errorMessage"]


def test_create_answers_201_with_the_documented_fields(partner: ClientPartner) -> None:
    reference = paid(partner)
    query = partner.query(reference).get_json()
    assert query["transactionReference"] == transaction(reference)
    created = refund(partner, {"transactionReference": transaction(reference),
                               "partnerRefundReference": "P-12345", "amount": 50.00,
                               "reason": "Customer requested refund"})
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json()
    assert set(body) == FIELDS
    assert body["refundReference"].startswith("R-") and len(body["refundReference"]) == 17
    assert body | {"refundReference": "", "createdDate": "", "lastModifiedDate": ""} == {
        "refundReference": "", "transactionReference": transaction(reference),
        "partnerReference": query["partnerReference"], "partnerRefundReference": "P-12345",
        "amount": 50, "currencyCode": "NGN", "status": "PENDING", "handlingType": "PSP_API",
        "fullRefund": False, "reason": "Customer requested refund", "createdDate": "",
        "lastModifiedDate": ""}
    # Leaving amount out refunds what is left; Query Refund and List Refunds show both.
    rest = refund(partner, {"transactionReference": transaction(reference),
                            "partnerRefundReference": "P-12346"}).get_json()
    assert (rest["amount"], rest["fullRefund"], rest["reason"]) == (50, False, None)
    assert partner.get(f"/api/pay1st/transactions/refunds/{rest['refundReference']}"
                       ).get_json() == rest
    listed = partner.get("/api/pay1st/transactions/refunds",
                         transactionReference=transaction(reference)).get_json()
    assert [r["partnerRefundReference"] for r in listed["data"]["refunds"]] == ["P-12345",
                                                                                 "P-12346"]
    whole = paid(partner)
    assert refund(partner, {"transactionReference": transaction(whole),
                            "partnerRefundReference": "P-1"}).get_json()["fullRefund"] is True


def test_the_rules_answer_the_envelope_saying_what_to_send(partner: ClientPartner,
                                                           client: FlaskClient) -> None:
    reference = paid(partner)
    tx = transaction(reference)
    assert refund(partner, {"transactionReference": tx, "partnerRefundReference": "A",
                            "amount": 60}).status_code == 201
    code, error, message = error_of(refund(partner, {"transactionReference": tx,
                                                     "partnerRefundReference": "B",
                                                     "amount": 41}))
    assert (code, error) == (400, "REFUND_EXCEEDS_PAYMENT")
    assert "100 paid, 60 already refunded or being refunded; send at most 40" in message
    # The journal files refund calls, refused ones too, under their payment.
    journaled = client.get("/_mock/journal", query_string={"reference": reference}).get_json()
    assert [e["status"] for e in journaled["entries"] if e["path"] == CREATE] == [400, 201]
    code, error, message = error_of(refund(partner, {"transactionReference": tx,
                                                     "partnerRefundReference": "A",
                                                     "amount": 1}))
    assert (code, error) == (400, "DUPLICATE_PARTNER_REFUND_REFERENCE")
    assert "send a new one" in message
    code, error, message = error_of(refund(partner, {"transactionReference": reference,
                                                     "partnerRefundReference": "C"}))
    assert (code, error) == (404, "TRANSACTION_NOT_FOUND")
    assert f"send {tx}" in message
    unpaid = partner.create_reference()
    code, error, message = error_of(refund(partner, {"transactionReference": transaction(unpaid),
                                                     "partnerRefundReference": "D"}))
    assert (code, error) == (400, "PAYMENT_NOT_SUCCESSFUL") and "is NEW" in message
    code, error, _ = error_of(refund(partner, {"transactionReference": tx,
                                               "partnerRefundReference": "E", "amount": 1.005}))
    assert (code, error) == (400, "INVALID_AMOUNT")
    # The door: media type, signature, body, another partner's transaction.
    code, error, message = error_of(refund(partner, {"transactionReference": tx,
                                                     "partnerRefundReference": "F"},
                                           media_type="application/json"))
    assert (code, error) == (405, "UNSUPPORTED_MEDIA_TYPE") and REFUND in message
    code, error, _ = error_of(refund(partner, {"transactionReference": tx,
                                               "partnerRefundReference": "F"}, signed=False))
    assert (code, error) == (400, "MISSING_SIGNATURE")
    code, error, message = error_of(refund(partner, {"partnerRefundReference": "F"}))
    assert (code, error) == (400, "VALIDATION_ERROR") and "transactionReference" in message
    other = client.post("/_mock/partners", json={}).get_json()
    stranger = ClientPartner.from_control(client, other).login()
    code, error, _ = error_of(refund(stranger, {"transactionReference": tx,
                                                "partnerRefundReference": "G"}))
    assert (code, error) == (404, "TRANSACTION_NOT_FOUND")
    assert error_of(stranger.get("/api/pay1st/transactions/refunds",
                                 transactionReference=tx))[1] == "TRANSACTION_NOT_FOUND"
    assert error_of(partner.get("/api/pay1st/transactions/refunds/R-1"))[1] == \
        "REFUND_NOT_FOUND"


def test_refunds_move_on_the_clock_and_a_full_one_makes_the_payment_refund(
        app: Flask, clock: Clock, partner: ClientPartner) -> None:
    svc = services(app)
    reference = paid(partner)
    first = refund(partner, {"transactionReference": transaction(reference),
                             "partnerRefundReference": "R1", "amount": 30}).get_json()
    clock.advance(svc.settings.refund_processing_after_seconds)
    svc.refunds.sweep(clock.now())
    assert partner.query(reference).get_json()["refunds"][0]["status"] == "PROCESSING"
    second = refund(partner, {"transactionReference": transaction(reference),
                              "partnerRefundReference": "R2"}).get_json()
    clock.advance(svc.settings.refund_settle_after_seconds)  # 1 settles, 2 starts processing
    svc.refunds.sweep(clock.now())
    clock.advance(svc.settings.refund_settle_after_seconds)  # 2 settles
    svc.refunds.sweep(clock.now())
    query = partner.query(reference).get_json()
    assert [r["status"] for r in query["refunds"]] == ["SUCCESSFUL", "SUCCESSFUL"]
    assert query["status"] == "REFUND" and query["transactionReference"]
    history = partner.client.get(f"/_mock/refunds/{first['refundReference']}").get_json()
    assert [h["status"] for h in history["history"]] == ["PENDING", "PROCESSING", "SUCCESSFUL"]
    # Every status of each refund wrote a notification, then the payment its REFUND event.
    written = [(d["kind"], d["event"]) for d in reversed(partner.client.get(
        "/_mock/deliveries", query_string={"reference": reference}).get_json()["deliveries"])]
    assert written == [("payment_event", "SUCCESSFUL"), ("refund", "PENDING"),
                       ("refund", "PROCESSING"), ("refund", "PENDING"),
                       ("refund", "PROCESSING"), ("refund", "SUCCESSFUL"),
                       ("refund", "SUCCESSFUL"), ("payment_event", "REFUND")]
    code, error, message = error_of(refund(partner, {"transactionReference":
                                                     transaction(reference),
                                                     "partnerRefundReference": "R3"}))
    assert (code, error) == (400, "PAYMENT_NOT_SUCCESSFUL")
    assert "refunded in full already" in message
    assert second["refundReference"] != first["refundReference"]


def test_the_control_api_moves_a_refund_and_refuses_going_back(partner: ClientPartner,
                                                               client: FlaskClient) -> None:
    reference = paid(partner)
    created = refund(partner, {"transactionReference": transaction(reference),
                               "partnerRefundReference": "X"}).get_json()
    path = f"/_mock/refunds/{created['refundReference']}"
    failed = client.post(f"{path}/complete", json={"status": "FAILED", "note": "bank said no"})
    assert failed.status_code == 200
    assert (failed.get_json()["refund"]["status"], failed.get_json()["note"]) == ("FAILED",
                                                                                  "bank said no")
    again = client.post(f"{path}/complete", json={"status": "SUCCESSFUL"})
    assert error_of(again)[:2] == (409, "INVALID_TRANSITION") and "final" in error_of(again)[2]
    # A failed refund gives its amount back: all of it can be refunded again.
    assert refund(partner, {"transactionReference": transaction(reference),
                            "partnerRefundReference": "Y"}).get_json()["amount"] == 100
    listed = client.get("/_mock/refunds", query_string={"reference": reference,
                                                          "status": "failed"}).get_json()
    assert [r["refund"]["partnerRefundReference"] for r in listed["refunds"]] == ["X"]
    assert error_of(client.get("/_mock/refunds/R-0"))[:2] == (404, "REFUND_NOT_FOUND")


def test_a_voucher_payment_cannot_refund_it_is_rejected_at_once(partner: ClientPartner) -> None:
    reference = partner.create_reference(
        countryCode="ZA", currencyCode="ZAR",
        products=[{"title": "x", "sku": "S", "price": 100, "quantity": 1}])
    partner.client.post(f"/_mock/payments/{reference}/complete",
                        json={"outcome": "success", "channelId": VOUCHER_ZA})
    created = refund(partner, {"transactionReference": transaction(reference),
                               "partnerRefundReference": "V"})
    assert created.status_code == 201
    assert (created.get_json()["status"], created.get_json()["handlingType"]) == (
        "REJECTED", "NO_REFUND")


def test_a_partner_reset_forgets_refunds_and_chargebacks(partner: ClientPartner,
                                                         client: FlaskClient) -> None:
    reference = paid(partner)
    refund(partner, {"transactionReference": transaction(reference), "partnerRefundReference":
                     "Z", "amount": 10})
    assert client.post(f"/_mock/payments/{reference}/chargebacks", json={}).status_code == 201
    assert client.post("/_mock/reset", json={"partnerId": 1}).status_code == 200
    assert client.get("/_mock/refunds").get_json() == {"refunds": []}
    assert client.get("/_mock/chargebacks").get_json() == {"chargebacks": []}


@pytest.fixture
def listener() -> Iterator[WebhookListener]:
    with WebhookListener([500]) as partner_side:
        yield partner_side


@pytest.fixture
def settings() -> Settings:
    return Settings(data=MEMORY, seed=1234, webhook_timeout_seconds=1.0,
                    retry_delays_seconds=(5,))


def test_notifications_are_signed_retried_and_go_to_the_refund_webhook_url(
        app: Flask, clock: Clock, partner: ClientPartner, listener: WebhookListener) -> None:
    """Through the real dispatcher: the first attempt fails (500), the retry follows the
    moved clock, and every notification is signed with the gateway scheme."""
    reference = paid(partner)
    created = refund(partner, {"transactionReference": transaction(reference),
                               "partnerRefundReference": "N",
                               "refundWebhookUrl": f"{listener.url}/refunds"}).get_json()
    partner.client.post(f"/_mock/refunds/{created['refundReference']}/complete",
                        json={"status": "SUCCESSFUL"})
    listener.wait_for(1)  # the PENDING notification, answered 500
    clock.advance(5)
    hooks = listener.wait_for(3)
    assert [h.json()["status"] for h in hooks] == ["PENDING", "PENDING", "SUCCESSFUL"]
    for hook in hooks:
        assert hook.path == "/refunds"
        assert verify_request(SANDBOX["signing_key"], hook.headers["X-TIMESTAMP"], hook.body,
                              hook.headers["X-SIGNATURE"])
        assert set(hook.json()) == FIELDS
    def delivered() -> list[dict[str, Any]]:
        found = [d for d in partner.client.get("/_mock/deliveries", query_string={
            "reference": reference}).get_json()["deliveries"]
            if d["kind"] == "refund" and d["status"] == "DELIVERED"]
        return found if len(found) == 2 else []

    assert sorted(len(d["attempts"]) for d in wait_until(delivered, 5, "the deliveries")) == [
        1, 2]


def test_the_client_refunds_settles_and_charges_back(live_url: str) -> None:
    """``PartnerClient`` (what ``pay1st_partner`` is): ready-made refund and chargeback calls."""
    gateway = PartnerClient.create(live_url)
    paid_one = gateway.create_payment()["reference"]
    gateway.complete(paid_one)
    created = gateway.refund(paid_one, 40, reason="Customer requested refund")
    assert (created["status"], created["amount"]) == ("PENDING", 40)
    settled = gateway.settle_refund(created["refundReference"])
    assert settled["refund"]["status"] == "SUCCESSFUL"
    paid_two = gateway.create_payment()["reference"]
    gateway.complete(paid_two)
    assert gateway.charge_back(paid_two)["chargeback"]["status"] == "OPEN"
    gateway.http.close()


def test_the_openapi_document_has_every_new_operation(client: FlaskClient) -> None:
    """Issue 15's operations, as the document declares them (the fuzzer runs each)."""
    paths = client.get("/_mock/openapi.json").get_json()["paths"]
    create = paths[CREATE]["post"]
    assert list(create["responses"]) == ["201", "default"]
    assert list(create["requestBody"]["content"]) == [REFUND]
    assert {(p["name"], p["required"]) for p in create["parameters"]} >= {
        ("X-SIGNATURE", True), ("X-TIMESTAMP", True)}
    assert "Needs the partner's `refunds` access (403 `ACCESS_DENIED`" in create["description"]
    for path in ("/api/pay1st/transactions/refunds/{refund_reference}",
                 "/api/pay1st/transactions/refunds", "/api/pay1st/transactions/chargebacks",
                 "/api/pay1st/transactions/chargebacks/{chargeback_reference}",
                 "/api/pay1st/transactions/chargebacks/{chargeback_reference}/evidences",
                 "/api/pay1st/transactions/chargebacks/{chargeback_reference}/evidences/"
                 "{evidence_id}"):
        assert paths[path]["get"]["security"] == [{"AccessToken": []}], path
    legacy = paths["/api/shop/payments/channels/hosted/external-groupings"]["get"]
    assert legacy["security"] == [{"basicAuth": []}]
    assert {p["name"] for p in legacy["parameters"] if p["required"]} == {
        "platform", "countryCode", "productBundleId", "quantity", "amount", "statuses"}
    for path, method in (("/_mock/refunds", "get"), ("/_mock/refunds/{refund_reference}/complete",
                                                      "post"),
                         ("/_mock/payments/{reference}/chargebacks", "post"),
                         ("/_mock/chargebacks/{chargeback_reference}/decide", "post"),
                         ("/_mock/ui/payments/{reference}/chargebacks", "post")):
        assert method in paths[path], path
