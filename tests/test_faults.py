"""Fault injection through the control API: requests that fail, slow down or drop, and
webhook deliveries that are late, doubled or out of order."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
import requests

from pay1st_mock.listener import WebhookListener
from tests.support import GatewayClient

CREATE = "/api/pay1st/payments/create"
PALMPAY = 58


def add_fault(base: str, **body: object) -> dict[str, object]:
    response = requests.post(f"{base}/_mock/faults", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


@pytest.fixture
def listener() -> Iterator[WebhookListener]:
    partner_side = WebhookListener().start()
    yield partner_side
    partner_side.stop()


def test_next_create_answers_500_with_the_envelope(partner: GatewayClient, live_url: str) -> None:
    add_fault(live_url, method="POST", path=CREATE, count=1,
              action={"status": 500, "errorCode": "INTERNAL_ERROR"})
    failed = partner.create()
    assert failed.status_code == 500
    assert failed.json()["errorCode"] == "INTERNAL_ERROR"
    assert set(failed.json()) == {"errorMessage", "errorCode", "sessionId"}
    assert partner.create().status_code == 201, "the fault fires once"
    assert requests.get(f"{live_url}/_mock/faults").json()["faults"] == []


def test_latency_and_drop(partner: GatewayClient, live_url: str) -> None:
    add_fault(live_url, path="/api/pay1st/payments/methods", action={"latencyMs": 300})
    started = time.monotonic()
    assert partner.get("/api/pay1st/payments/methods", countryCode="NG").status_code == 200
    assert time.monotonic() - started >= 0.3
    add_fault(live_url, method="POST", path="/api/pay1st/*", action={"drop": True})
    with pytest.raises(requests.exceptions.RequestException):
        partner.create()
    assert partner.create().status_code == 201


def test_faults_are_per_partner_and_listed_and_cleared(partner: GatewayClient,
                                                      live_url: str) -> None:
    other = requests.post(f"{live_url}/_mock/partners", json={}).json()
    add_fault(live_url, path=CREATE, partnerId=other["partnerId"], count=None,
              action={"status": 503})
    assert partner.create().status_code == 201, "another partner's fault does not touch us"
    theirs = GatewayClient(live_url, other["apiKey"], other["apiSecret"], other["signingKey"])
    theirs.login()
    assert theirs.create().status_code == 503
    assert theirs.create().status_code == 503, "count null: until cleared"
    (listed,) = requests.get(f"{live_url}/_mock/faults").json()["faults"]
    assert listed["fired"] == 2 and listed["remaining"] is None
    assert requests.delete(f"{live_url}/_mock/faults").json() == {"faults": []}
    assert theirs.create().status_code == 201
    add_fault(live_url, path=CREATE, count=None, action={"status": 500})
    requests.post(f"{live_url}/_mock/reset")
    assert requests.get(f"{live_url}/_mock/faults").json()["faults"] == []


def test_probability_is_seeded(partner: GatewayClient, live_url: str) -> None:
    add_fault(live_url, path="/api/pay1st/payments/methods", count=None, probability=0.5,
              action={"status": 500})
    outcomes = [partner.get("/api/pay1st/payments/methods", countryCode="NG").status_code
                for _ in range(40)]
    assert 5 < outcomes.count(500) < 35


def test_bad_fault_is_refused_naming_the_field(live_url: str) -> None:
    response = requests.post(f"{live_url}/_mock/faults", json={"action": {"status": 200}})
    assert response.status_code == 400
    assert "$.action" in response.json()["errorMessage"]


def test_webhook_duplicate_and_delay(partner: GatewayClient, live_url: str,
                                     listener: WebhookListener) -> None:
    add_fault(live_url, target="webhook", path="payment_event", action={"duplicate": True})
    reference = partner.create(webhookUrl=f"{listener.url}/hook").json()["reference"]
    requests.post(f"{live_url}/_mock/payments/{reference}/complete", json={"outcome": "success"})
    first, second = listener.wait_for(2)
    assert first.body == second.body
    add_fault(live_url, target="webhook", action={"delayMs": 400})
    reference = partner.create(webhookUrl=f"{listener.url}/hook").json()["reference"]
    started = time.monotonic()
    requests.post(f"{live_url}/_mock/payments/{reference}/complete", json={"outcome": "success"})
    listener.wait_for(3)
    assert time.monotonic() - started >= 0.4


def test_a_failed_duplicate_does_not_reopen_a_delivered_webhook(partner: GatewayClient,
                                                               live_url: str) -> None:
    answers = iter([200, 500])
    picky = WebhookListener(lambda received: (next(answers, 200), b"")).start()
    try:
        add_fault(live_url, target="webhook", path="payment_event", action={"duplicate": True})
        reference = partner.create(webhookUrl=f"{picky.url}/hook").json()["reference"]
        requests.post(f"{live_url}/_mock/payments/{reference}/complete",
                      json={"outcome": "success"})
        picky.wait_for(2)
        time.sleep(0.2)
        (delivery,) = requests.get(f"{live_url}/_mock/deliveries",
                                   params={"reference": reference}).json()["deliveries"]
    finally:
        picky.stop()
    assert [a["responseStatus"] for a in delivery["attempts"]] == [200, 500]
    assert delivery["status"] == "DELIVERED" and delivery["nextAttemptAt"] is None


def test_webhook_reorder(partner: GatewayClient, live_url: str) -> None:
    """The partner is down for the first event, so the second queues behind it; the reorder
    fault then sends the newer event first."""
    flaky = WebhookListener([500]).start()
    try:
        reference = partner.create(webhookUrl=f"{flaky.url}/hook").json()["reference"]
        base = f"{live_url}/_mock/payments/{reference}/complete"
        requests.post(base, json={"outcome": "no_answer", "channelId": PALMPAY})
        flaky.wait_for(1)
        requests.post(base, json={"outcome": "success"})
        add_fault(live_url, target="webhook", action={"reorder": True})
        requests.post(f"{live_url}/_mock/clock/advance", json={"seconds": 5})
        received = flaky.wait_for(3)
        assert [json.loads(r.body)["status"] for r in received] == [
            "PENDING", "SUCCESSFUL", "PENDING"]
    finally:
        flaky.stop()


def test_partner_client_injects_faults_for_its_partner_only(live_url: str) -> None:
    from pay1st_mock.client import PartnerClient

    mine, theirs = PartnerClient.create(live_url), PartnerClient.create(live_url)
    mine.inject_fault({"status": 500, "errorCode": "INTERNAL_ERROR"}, path=CREATE,
                      method="POST")
    assert theirs.post(CREATE, {"countryCode": "NG", "currencyCode": "NGN", "amount": 1,
                               "partnerReference": "x", "products": [
                                   {"title": "t", "sku": "s", "price": 1, "quantity": 1}]}
                       ).status_code == 201
    failed = mine.post(CREATE, {"countryCode": "NG"})
    assert failed.status_code == 500 and failed.json()["errorCode"] == "INTERNAL_ERROR"
    assert mine.create_payment()["status"] == "NEW", "fired once"
