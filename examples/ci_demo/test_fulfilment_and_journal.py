"""Fulfilment after a successful payment, and the request journal as a debugging aid."""

from __future__ import annotations

import json

from pay1st_mock.client import PAYMENT_TYPE


def test_fulfil_a_successful_payment(pay1st_partner):
    reference = pay1st_partner.create_payment()["reference"]
    pay1st_partner.complete(reference, outcome="success")

    response = pay1st_partner.post("/api/pay1st/payments/fulfilments", {
        "reference": reference,
        "products": [{"sku": "SKU-10", "quantity": 1, "fulfilmentStatus": "FULFILLED"}]})
    assert response.status_code == 200, response.text

    status = pay1st_partner.get("/api/pay1st/payments", reference=reference).json()
    assert [(f["sku"], f["fulfilmentStatus"]) for f in status["fulfilments"]] == [
        ("SKU-10", "FULFILLED")]


def test_journal_shows_our_create_without_findings(pay1st_partner):
    reference = pay1st_partner.create_payment()["reference"]

    [entry] = pay1st_partner.journal(reference)
    assert (entry["method"], entry["path"], entry["status"]) == (
        "POST", "/api/pay1st/payments/create", 201)
    assert entry["findings"] == []


def test_journal_explains_a_signature_over_other_bytes(pay1st_partner):
    order = {"countryCode": "NG", "currencyCode": "NGN", "amount": 100,
             "partnerReference": "order-2002",
             "products": [{"title": "10 Credits", "sku": "SKU-10", "price": 100, "quantity": 1}]}
    signed = json.dumps(order).encode()
    sent = json.dumps(order, indent=2).encode()  # the bug: re-serialised after signing
    headers = pay1st_partner.signed_headers(signed, PAYMENT_TYPE)

    response = pay1st_partner.http.post(f"{pay1st_partner.base_url}/api/pay1st/payments/create",
                                        data=sent, headers=headers, timeout=10)
    assert response.status_code == 400

    entry = pay1st_partner.journal()[0]
    [finding] = [f for f in entry["findings"] if f["kind"] == "signature"]
    assert finding["expected"] == headers["X-TIMESTAMP"] + sent.decode()
