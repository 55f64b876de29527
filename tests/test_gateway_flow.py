"""The whole v4 gateway flow over a real socket, as a partner's backend would run it."""

from __future__ import annotations

import requests

from tests.support import AUTH, GatewayClient, payment_body
from tests.vectors import REQUEST_BODY


def test_token_refresh_methods_create_query_complete_fulfil(live_url: str) -> None:
    partner = GatewayClient(live_url)
    tokens = partner.login()
    assert tokens["role"] == "API_USER"
    assert len(tokens["accessToken"]) == 684
    assert any(c in tokens["accessToken"] for c in "+/")

    refreshed = partner.http.post(partner.url("/api/pay1st/auth/refresh"),
                                  json={"role": "API_USER", "refreshToken": partner.refresh_token},
                                  headers={"Content-Type": AUTH, "Accept": AUTH})
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["accessToken"] != tokens["accessToken"]
    partner.access_token = refreshed.json()["accessToken"]

    methods = partner.get("/api/pay1st/payments/methods", countryCode="NG")
    assert methods.status_code == 200, methods.text
    channels = [c for g in methods.json()["data"]["groups"] for c in g["channels"]]
    names = {c["channel"]["name"] for c in channels}
    assert {"Kuda Bank", "Paga", "Palmpay", "Opay QR"} <= names
    assert all(isinstance(c["paymentMethodType"]["requiredParameters"], str) for c in channels)
    card = next(c for c in channels if c["channel"]["paymentMethod"] == "CARD")

    body = payment_body()
    created = partner.create(**body)
    assert created.status_code == 201, created.text
    payment = created.json()
    assert payment["status"] == "NEW"
    assert payment["partnerReference"] == body["partnerReference"]
    reference = payment["reference"]

    status = partner.get("/api/pay1st/payments", reference=reference)
    assert status.status_code == 200
    assert status.json()["status"] == "NEW"
    assert status.json()["partnerSettings"]["partnerId"] == 1

    completed = requests.post(f"{live_url}/_mock/payments/{reference}/complete",
                              json={"status": "SUCCESSFUL", "channelId": card["id"]})
    assert completed.status_code == 200, completed.text
    assert [h["status"] for h in completed.json()["history"]] == ["NEW", "SUCCESSFUL"]

    fulfilled = partner.signed_post("/api/pay1st/payments/fulfilments", {
        "reference": reference,
        "products": [{"sku": "12345", "fulfilmentStatus": "FULFILLED", "quantity": 1,
                      "fulfilmentTime": "2026-11-22T10:00:00Z"}]})
    assert fulfilled.status_code == 200, fulfilled.text
    assert fulfilled.content == b""

    final = partner.get("/api/pay1st/payments", reference=reference).json()
    assert final["status"] == "SUCCESSFUL"
    assert final["channelId"] == card["id"]
    assert final["channelName"] == card["channel"]["name"]
    assert [(f["sku"], f["quantity"], f["fulfilmentStatus"]) for f in final["fulfilments"]] == [
        ("12345", 1, "FULFILLED")]


def test_documented_test_vector_body_is_accepted_as_sent(partner: GatewayClient) -> None:
    """The docs' exact signed body (stray '<' and '>' included) creates a payment."""
    raw = REQUEST_BODY
    response = partner.signed_post("/api/pay1st/payments/create", raw.encode())
    assert response.status_code == 201, response.text
    status = partner.get("/api/pay1st/payments", reference=response.json()["reference"]).json()
    assert status["partnerSettings"]["webhookUrl"] == "https://webhook.success"
    assert status["partnerSettings"]["successCallbackUrl"] == "<https://callback.success"


def test_amount_mismatch_is_a_warning_header_not_an_error(partner: GatewayClient) -> None:
    response = partner.create(amount=150)
    assert response.status_code == 201
    warning = response.headers["X-Pay1st-Mock-Warning"]
    assert "$.amount" in warning and "150" in warning and "100" in warning


def test_unknown_field_is_a_warning_naming_it(partner: GatewayClient) -> None:
    response = partner.create(callbackSucessUrl="https://typo.example")
    assert response.status_code == 201
    assert "$.callbackSucessUrl: unknown field" in response.headers["X-Pay1st-Mock-Warning"]
