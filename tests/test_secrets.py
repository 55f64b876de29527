"""Secrets never leak: after a run that uses every credential (and gets some wrong), none of
them appears in the server's output, the journal, the delivery log, the User Info exchanges or
the payment views."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import requests

from pay1st_mock.client import PartnerClient
from pay1st_mock.listener import WebhookListener
from pay1st_mock.process import ServerProcess
from tests.harness import wait_until

SHOP_PASSWORD = "shop-password-never-shown"
CONFIG = """version = 1
[server]
data = ":memory:"

[[products]]
id = 7
name = "Gems"
countries = ["ZA"]
basic_auth = {{ username = "gems", password = "{password}" }}
user_info_url = "{url}/user-info"
summary_url = "{url}/summary"
bundles = [{{ id = 70, sku = "G-1", name = "1 Gem", tokens = 1, prices = {{ ZA = 5 }} }}]
"""
AUTH = "application/vnd.carry1st.payments.partnerauthentication+json"


@pytest.mark.slow
def test_no_secret_appears_in_logs_journal_or_delivery_log(tmp_path: Path) -> None:
    listener = WebhookListener(lambda received: (200, json.dumps({
        "userId": "p1", "externalReference": "x", "amount": 5, "currencyCode": "ZAR"}).encode()))
    listener.start()
    config = tmp_path / "pay1st.toml"
    config.write_text(CONFIG.format(password=SHOP_PASSWORD, url=listener.url), encoding="utf-8")
    try:
        with ServerProcess("--config", str(config), cwd=tmp_path) as server:
            url = server.url
            assert url is not None
            secrets, views = _use_every_secret(url, listener)
        output = server.stdout.split("PAY1ST_MOCK_URL=", 1)[1] + server.stderr  # not the banner
    finally:
        listener.stop()
    everything = output + "\n".join(views)
    for name, secret in secrets.items():
        assert secret not in everything, f"the {name} leaked"


def _use_every_secret(url: str, listener: WebhookListener) -> tuple[dict[str, str], list[str]]:
    partner = PartnerClient.create(url, webhookUrl=f"{listener.url}/hook")
    tokens = partner.login()
    refreshed = requests.post(f"{url}/api/pay1st/auth/refresh", timeout=10, headers={
        "Content-Type": AUTH}, json={"role": "API_USER", "refreshToken": tokens["refreshToken"]})
    assert refreshed.status_code == 200
    # Mistakes that make the emulator explain what it expected: they must not quote secrets.
    wrong_secret = requests.post(f"{url}/api/pay1st/auth/token", timeout=10,
                                 auth=(partner.api_key, partner.api_secret + "x"),
                                 headers={"Content-Type": AUTH}, data=b'{"role":"API_USER"}')
    assert wrong_secret.status_code == 401
    in_authorization = requests.get(f"{url}/api/pay1st/payments/methods", timeout=10,
                                    params={"countryCode": "NG"},
                                    headers={"Authorization": f"Bearer {partner.access_token}"})
    assert in_authorization.status_code == 401
    body = json.dumps({"countryCode": "NG", "currencyCode": "NGN", "amount": 100,
                       "partnerReference": "secret-test", "products": [
                           {"title": "x", "sku": "S", "price": 100, "quantity": 1}]}).encode()
    headers = partner.signed_headers(body)
    headers["X-SIGNATURE"] = "0" * 64
    assert requests.post(f"{url}/api/pay1st/payments/create", data=body, headers=headers,
                         timeout=10).status_code == 400
    reference = partner.create_payment()["reference"]
    page = requests.get(partner.checkout_url(reference), timeout=10)
    assert page.status_code == 200
    partner.complete(reference)
    wait_until(lambda: listener.requests, 10, "the payment webhook")
    fulfilled = partner.post("/api/pay1st/payments/fulfilments", {
        "reference": reference, "products": [{"sku": "SKU-10", "fulfilmentStatus": "FULFILLED",
                                              "quantity": 1}]})
    assert fulfilled.status_code == 200
    bought = requests.post(f"{url}/_mock/shop/purchases", timeout=10, json={
        "productBundleId": 70, "countryCode": "ZA", "playerId": "p1"}).json()
    wait_until(lambda: any(r.path == "/summary" for r in listener.requests), 10, "the summary")
    external = bought["purchase"]["externalReference"]
    assert requests.get(f"{url}/api/fulfilments/status", params={"externalReference": external},
                        auth=("gems", SHOP_PASSWORD), timeout=10).status_code == 200
    views = [requests.get(f"{url}{path}", timeout=10).text for path in (
        "/_mock/journal?limit=1000", "/_mock/deliveries?limit=1000", "/_mock/exchanges",
        "/_mock/payments", "/_mock/shop/purchases")]
    basic = base64.b64encode(f"{partner.api_key}:{partner.api_secret}".encode()).decode()
    secrets = {
        "API secret": partner.api_secret, "signing key": partner.signing_key,
        "access token": tokens["accessToken"], "refresh token": tokens["refreshToken"],
        "refreshed access token": refreshed.json()["accessToken"],
        "refreshed refresh token": refreshed.json()["refreshToken"],
        "Basic credentials": basic, "Shop password": SHOP_PASSWORD,
        "Summary signing key": base64.b64encode(f"gems:{SHOP_PASSWORD}".encode()).decode(),
    }
    return secrets, views
