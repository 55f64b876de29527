"""Basic auth on the Shop's webhooks (issue 15, point 4): Pay1st's integration steps protect the
User Info and Summary Webhooks with the product's Basic Auth pair, which the partner configures
and Pay1st uses. A product that configures ``basic_auth`` gets ``Authorization: Basic`` on both
calls (and on the go-live checklist's test Summary); one that does not, gets none."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from pay1st_mock import verify_summary
from pay1st_mock.app import services
from pay1st_mock.config import settings_from_mapping
from pay1st_mock.listener import Received, WebhookListener
from pay1st_mock.signing import summary_key
from tests.conftest import checked_app
from tests.harness import wait_until

USER, PASSWORD = "galaxy", "s3cret"
EXPECTED = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


@pytest.fixture
def partner_side() -> Iterator[WebhookListener]:
    def answer(received: Received) -> Any:
        if received.path.startswith("/user-info"):
            return 200, {"userId": "player-1", "externalReference": "X", "amount": 1500,
                         "currencyCode": "NGN"}
        return 200

    with WebhookListener(answer) as listener:
        yield listener


def shop(listener: WebhookListener, **product: Any) -> Iterator[FlaskClient]:
    settings = settings_from_mapping({"version": 1, "server": {"data": ":memory:"}, "products": [
        {"id": 10, "name": "Galaxy", "countries": ["NG"],
         "user_info_url": f"{listener.url}/user-info", "summary_url": f"{listener.url}/summary",
         "bundles": [{"id": 101, "sku": "GEM-100", "name": "100 Gems", "tokens": 100,
                      "prices": {"NG": 1500}}], **product}]})
    with checked_app(settings) as app:
        yield app.test_client()


def buy(client: FlaskClient, listener: WebhookListener) -> tuple[Received, Received]:
    bought = client.post("/_mock/shop/purchases", json={
        "productBundleId": 101, "countryCode": "NG", "playerId": "player-1"})
    assert bought.status_code == 201, bought.get_data(as_text=True)
    user_info, summary = listener.wait_for(2)
    return user_info, summary


def test_a_configured_pair_is_sent_on_user_info_and_summary(
        partner_side: WebhookListener) -> None:
    for client in shop(partner_side, basic_auth={"username": USER, "password": PASSWORD}):
        user_info, summary = buy(client, partner_side)
        assert user_info.headers["Authorization"] == EXPECTED
        assert summary.headers["Authorization"] == EXPECTED
        # The signature is still the documented one, keyed with the same Base64 text.
        assert verify_summary(summary_key(USER, PASSWORD), summary.body,
                              summary.headers["X-SIGNATURE"])
        # The delivery log shows that it was sent, by a fingerprint only (the pair is a secret).
        (delivery,) = [d for d in client.get("/_mock/deliveries").get_json()["deliveries"]
                       if d["kind"] == "summary"]
        path = f"/_mock/deliveries/{delivery['id']}"
        attempt = wait_until(lambda c=client, p=path: c.get(p).get_json()["attempts"], 5,
                             "the attempt")[0]
        fingerprint = hashlib.sha256(summary_key(USER, PASSWORD).encode()).hexdigest()[:8]
        shown = attempt["requestHeaders"]["Authorization"]
        assert shown == f"Basic <redacted sha256:{fingerprint}>"


def test_no_pair_configured_no_authorization(partner_side: WebhookListener) -> None:
    for client in shop(partner_side):
        user_info, summary = buy(client, partner_side)
        assert "Authorization" not in user_info.headers
        assert "Authorization" not in summary.headers
        app = client.application
        product = services(app).shop.catalogue.product(10)
        assert product is not None and product.basic_auth is False


def test_a_user_info_webhook_refusing_the_pair_is_a_partner_fault_saying_so() -> None:
    with WebhookListener([401]) as listener:
        for client in shop(listener, basic_auth={"username": USER, "password": PASSWORD}):
            refused = client.post("/_mock/shop/purchases", json={
                "productBundleId": 101, "countryCode": "NG", "playerId": "player-1"})
            assert refused.status_code == 400
            error = refused.get_json()
            assert error["errorCode"] == "PARTNER_FAULT"
            assert "answered 401 — it refused the call's credentials" in error["errorMessage"]
            assert "Authorization: Basic" in error["errorMessage"]
