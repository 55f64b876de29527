"""403 where Pay1st's docs list it (credentials without access to an operation) and opt-in rate
limiting answering 429 in the envelope with Retry-After (issue 15, point 5)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from pay1st_mock.app import services
from pay1st_mock.clock import Clock
from pay1st_mock.config import MEMORY, Settings, settings_from_mapping
from tests.conftest import checked_app
from tests.harness import ClientPartner
from tests.support import AUTH, basic
from tests.test_refunds import paid, refund, transaction


def test_a_partner_without_refund_access_is_refused_403_saying_how_to_get_it(
        client: FlaskClient, app: Flask) -> None:
    created = client.post("/_mock/partners", json={"code": "PAYONLY", "access": ["payments"]})
    assert created.get_json()["access"] == ["payments"]
    partner = ClientPartner.from_control(client, created.get_json()).login()
    reference = paid(partner)
    body = {"transactionReference": transaction(reference), "partnerRefundReference": "A"}
    refused = refund(partner, body)
    assert refused.status_code == 403
    error = refused.get_json()
    assert error["errorCode"] == "ACCESS_DENIED"
    assert "no access to the refunds API (its access: payments)" in error["errorMessage"]
    assert "PATCH /_mock/partners/" in error["errorMessage"]
    assert partner.get("/api/pay1st/transactions/chargebacks").status_code == 403
    assert partner.query(reference).status_code == 200  # its payments still work
    # The journal records the refusal with the partner.
    journal = client.get("/_mock/journal", query_string={
        "partnerId": created.get_json()["partnerId"]}).get_json()["entries"]
    assert [e["path"] for e in journal if e["status"] == 403] == [
        "/api/pay1st/transactions/chargebacks", "/api/pay1st/transactions/refunds/create"]
    patched = client.patch(f"/_mock/partners/{created.get_json()['partnerId']}",
                           json={"access": ["payments", "refunds"]})
    assert patched.get_json()["access"] == ["payments", "refunds"]
    assert refund(partner, body).status_code == 201
    assert partner.get("/api/pay1st/transactions/chargebacks").status_code == 403
    # No access to payments: even the list of methods is refused, the token call is not.
    client.patch(f"/_mock/partners/{created.get_json()['partnerId']}", json={"access": []})
    assert partner.login().get("/api/pay1st/payments/methods", countryCode="NG").status_code \
        == 403


def test_access_comes_from_the_config_and_survives_a_restart(tmp_path: object) -> None:
    settings = settings_from_mapping({
        "version": 1, "server": {"data": str(tmp_path)},
        "partners": [{"id": 2, "code": "ACME", "api_key": "acme-api-key",
                      "api_secret": "acme-api-secret", "signing_key": "acme-signing-key-0123",
                      "access": ["payments", "chargebacks"]}]})
    for _ in range(2):
        with checked_app(settings) as app:
            partner = ClientPartner(app.test_client(), "acme-api-key", "acme-api-secret",
                                    "acme-signing-key-0123").login()
            assert partner.get("/api/pay1st/transactions/refunds",
                               transactionReference="C-1-T").status_code == 403
            assert partner.get("/api/pay1st/transactions/chargebacks").status_code == 200


@pytest.fixture
def limited_client(clock: Clock) -> Iterator[FlaskClient]:
    settings = Settings(data=MEMORY, seed=1234, rate_limit_requests=3,
                        rate_limit_window_seconds=10)
    with checked_app(settings, clock) as app:
        yield app.test_client()


def test_rate_limiting_answers_429_with_retry_after_per_partner(
        limited_client: FlaskClient, clock: Clock) -> None:
    client = limited_client
    partner = ClientPartner(client).login()  # 1 call
    assert partner.get("/api/pay1st/payments/methods", countryCode="NG").status_code == 200
    assert partner.create().status_code == 201  # 3 calls in this window
    limited = partner.get("/api/pay1st/payments/methods", countryCode="NG")
    assert limited.status_code == 429
    error = limited.get_json()
    assert set(error) == {"errorMessage", "errorCode", "sessionId"}
    assert error["errorCode"] == "RATE_LIMITED"
    wait = int(limited.headers["Retry-After"])
    assert 1 <= wait <= 10 and f"wait {wait} s" in error["errorMessage"]
    # The token call counts too; another partner has its own window.
    token = client.post("/api/pay1st/auth/token", data='{"role":"API_USER"}', headers={
        "Authorization": basic("sandbox-api-key", "sandbox-api-secret"), "Content-Type": AUTH})
    assert token.status_code == 429
    other = ClientPartner.from_control(client, client.post("/_mock/partners", json={})
                                       .get_json()).login()
    assert other.get("/api/pay1st/payments/methods", countryCode="NG").status_code == 200
    # Back-off works: once the window has passed, calls go through again.
    clock.advance(wait)
    assert partner.get("/api/pay1st/payments/methods", countryCode="NG").status_code == 200


def test_rate_limiting_is_off_by_default() -> None:
    with checked_app(Settings(data=MEMORY)) as app:
        partner = ClientPartner(app.test_client()).login()
        assert {partner.get("/api/pay1st/payments/methods", countryCode="NG").status_code
                for _ in range(50)} == {200}
        assert services(app).rate_limits.limit == 0


@pytest.fixture
def legacy_client() -> Iterator[FlaskClient]:
    with checked_app(Settings(data=MEMORY, rate_limit_requests=2)) as app:
        yield app.test_client()


def test_the_legacy_api_is_rate_limited_for_the_products_partner(
        legacy_client: FlaskClient) -> None:
    auth = {"Authorization": basic("apiuser", "apipassword")}
    query = {"platform": "SHOP", "countryCode": "NG", "productBundleId": "1", "quantity": "1",
             "amount": "1000", "statuses": "ACTIVE"}
    path = "/api/shop/payments/channels/hosted/external-groupings"
    statuses = [legacy_client.get(path, query_string=query, headers=auth).status_code
                for _ in range(3)]
    assert statuses == [200, 200, 429]
