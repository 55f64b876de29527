"""Chargebacks (issue 15, point 2): opened on a SUCCESSFUL payment through the control API and
the dashboard, as the card network would; the payment becomes CHARGEBACK; signed notifications;
the query pages (list, details, evidence list and download); decisions by hand or on the clock;
and the payment's timeline on the dashboard showing refunds and chargebacks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pay1st_mock.app import services
from pay1st_mock.clock import Clock
from tests.harness import ClientPartner
from tests.test_refunds import paid, refund, transaction

CHARGEBACKS = "/api/pay1st/transactions/chargebacks"


@pytest.fixture
def partner(client: FlaskClient) -> ClientPartner:
    return ClientPartner(client).login()


def fulfil(partner: ClientPartner, reference: str) -> None:
    answer = partner.signed_post("/api/pay1st/payments/fulfilments", {
        "reference": reference, "products": [{"sku": "12345", "fulfilmentStatus": "FULFILLED",
                                              "quantity": 1}]})
    assert answer.status_code == 200, answer.get_data(as_text=True)


def open_chargeback(client: FlaskClient, reference: str, **body: Any) -> dict[str, Any]:
    opened = client.post(f"/_mock/payments/{reference}/chargebacks", json=body)
    assert opened.status_code == 201, opened.get_data(as_text=True)
    found: dict[str, Any] = opened.get_json()
    return found


def test_the_network_opens_one_the_partner_sees_it_and_its_evidence(
        partner: ClientPartner, client: FlaskClient) -> None:
    reference = paid(partner)
    fulfil(partner, reference)
    opened = open_chargeback(client, reference)
    chargeback = opened["chargeback"]
    assert chargeback["status"] == "OPEN" and chargeback["amount"] == 100
    assert chargeback["transactionReference"] == transaction(reference)
    assert [e["fileName"] for e in opened["evidences"]] == ["payment-receipt.json",
                                                            "fulfilment-report.json"]
    query = partner.query(reference).get_json()
    assert query["status"] == "CHARGEBACK" and query["chargeback"] == chargeback
    # The partner's query pages.
    listed = partner.get(CHARGEBACKS).get_json()["data"]["chargebacks"]
    assert listed == [chargeback]
    assert partner.get(CHARGEBACKS, transactionReference=transaction(reference),
                       status="open").get_json()["data"]["chargebacks"] == [chargeback]
    assert partner.get(CHARGEBACKS, status="WON").get_json()["data"]["chargebacks"] == []
    ref = chargeback["chargebackReference"]
    assert partner.get(f"{CHARGEBACKS}/{ref}").get_json() == chargeback
    evidences = partner.get(f"{CHARGEBACKS}/{ref}/evidences").get_json()["data"]["evidences"]
    assert [(e["evidenceId"], e["contentType"]) for e in evidences] == [
        (1, "application/json"), (2, "application/json")]
    report = partner.get(f"{CHARGEBACKS}/{ref}/evidences/2")
    assert report.headers["Content-Disposition"] == 'attachment; filename="fulfilment-report.json"'
    assert json.loads(report.get_data())["products"][0]["fulfilmentStatus"] == "FULFILLED"
    assert len(report.get_data()) == evidences[1]["size"]
    missing = partner.get(f"{CHARGEBACKS}/{ref}/evidences/3").get_json()
    assert missing["errorCode"] == "EVIDENCE_NOT_FOUND" and "ids: 1, 2" in missing[
        "errorMessage"]
    # Notifications: the chargeback's, then the payment's CHARGEBACK event.
    written = [(d["kind"], d["event"]) for d in reversed(client.get(
        "/_mock/deliveries", query_string={"reference": reference}).get_json()["deliveries"])]
    assert written[-2:] == [("chargeback", "OPEN"), ("payment_event", "CHARGEBACK")]
    # Another partner sees nothing of it.
    other = ClientPartner.from_control(client, client.post("/_mock/partners", json={})
                                       .get_json()).login()
    assert other.get(CHARGEBACKS).get_json()["data"]["chargebacks"] == []
    assert other.get(f"{CHARGEBACKS}/{ref}").get_json()["errorCode"] == "CHARGEBACK_NOT_FOUND"


def test_the_rules_of_opening_and_deciding(partner: ClientPartner, client: FlaskClient) -> None:
    unpaid = partner.create_reference()
    refused = client.post(f"/_mock/payments/{unpaid}/chargebacks", json={}).get_json()
    assert refused["errorCode"] == "PAYMENT_NOT_SUCCESSFUL"
    reference = paid(partner)
    refund(partner, {"transactionReference": transaction(reference),
                     "partnerRefundReference": "part", "amount": 30})
    too_much = client.post(f"/_mock/payments/{reference}/chargebacks", json={"amount": 71})
    assert too_much.get_json()["errorCode"] == "REFUND_EXCEEDS_PAYMENT"
    opened = open_chargeback(client, reference, reason="Goods not received", reasonCode="13.1")
    assert (opened["chargeback"]["amount"], opened["chargeback"]["reasonCode"]) == (70, "13.1")
    assert opened["evidences"][-1]["fileName"] == "payment-receipt.json"  # nothing fulfilled
    twice = client.post(f"/_mock/payments/{reference}/chargebacks", json={})
    assert (twice.status_code, twice.get_json()["errorCode"]) == (409, "INVALID_TRANSITION")
    # A charged-back payment cannot be refunded any more.
    assert refund(partner, {"transactionReference": transaction(reference),
                            "partnerRefundReference": "late"}).get_json()["errorCode"] == \
        "PAYMENT_NOT_SUCCESSFUL"
    ref = opened["chargeback"]["chargebackReference"]
    lost = client.post(f"/_mock/chargebacks/{ref}/decide", json={"status": "LOST"})
    assert [h["status"] for h in lost.get_json()["history"]] == ["OPEN", "LOST"]
    again = client.post(f"/_mock/chargebacks/{ref}/decide", json={"status": "WON"})
    assert (again.status_code, again.get_json()["errorCode"]) == (409, "INVALID_TRANSITION")


def test_the_clock_decides_won_with_a_fulfilment_report_lost_without(
        app: Flask, clock: Clock, partner: ClientPartner, client: FlaskClient) -> None:
    delivered, undelivered = paid(partner), paid(partner)
    fulfil(partner, delivered)
    first = open_chargeback(client, delivered)["chargeback"]["chargebackReference"]
    second = open_chargeback(client, undelivered)["chargeback"]["chargebackReference"]
    svc = services(app)
    clock.advance(svc.settings.chargeback_resolve_after_seconds)
    svc.chargebacks.sweep(clock.now())
    decided = {c["chargeback"]["chargebackReference"]: c["chargeback"]["status"]
               for c in client.get("/_mock/chargebacks").get_json()["chargebacks"]}
    assert decided == {first: "WON", second: "LOST"}


def test_the_dashboard_opens_one_and_the_timeline_shows_money_going_back(
        partner: ClientPartner, client: FlaskClient) -> None:
    reference = paid(partner)
    created = refund(partner, {"transactionReference": transaction(reference),
                               "partnerRefundReference": "dash", "amount": 20}).get_json()
    moved = client.post(f"/_mock/ui/refunds/{created['refundReference']}/complete",
                        data={"status": "SUCCESSFUL"})
    assert (moved.status_code, moved.headers["Location"]) == (
        303, f"/_mock/ui/payments/{reference}")
    page = client.get(f"/_mock/ui/payments/{reference}").get_data(as_text=True)
    assert 'data-testid="open-chargeback"' in page
    opened = client.post(f"/_mock/ui/payments/{reference}/chargebacks",
                         data={"amount": "", "reason": "Fraud", "reasonCode": ""})
    assert opened.status_code == 303
    page = client.get(f"/_mock/ui/payments/{reference}").get_data(as_text=True)
    for kind in ("refund", "refund-status", "chargeback"):
        assert f'data-kind="{kind}"' in page, kind
    assert created["refundReference"] in page and "Fraud" in page
    assert 'data-testid="open-chargeback"' not in page  # charged back: nothing left to open
    chargeback = client.get("/_mock/chargebacks").get_json()["chargebacks"][0]["chargeback"]
    won = client.post(f"/_mock/ui/chargebacks/{chargeback['chargebackReference']}/decide",
                      data={"status": "WON"})
    assert won.status_code == 303
    page = client.get(f"/_mock/ui/payments/{reference}").get_data(as_text=True)
    assert 'data-kind="chargeback-status"' in page and 'data-status="WON"' in page
    bad = client.post(f"/_mock/ui/payments/{reference}/chargebacks", data={"amount": "x"})
    assert bad.status_code == 400 and "amount" in bad.get_data(as_text=True)
