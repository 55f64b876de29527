"""Per-payment webhook and callback URLs are checked when the payment is created (issue 16,
point 6): only absolute http(s) URLs, and none aimed at link-local or cloud-metadata addresses
unless the config allows it. Every refusal here is decided on the URL text: nothing connects."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from pay1st_mock.config import MEMORY, Settings
from pay1st_mock.domain.payment_urls import URL_FIELDS
from pay1st_mock.signing import sign_request
from tests.conftest import checked_app
from tests.harness import ClientPartner
from tests.support import PAYMENT, now_timestamp
from tests.vectors import REQUEST_BODY

NOT_HTTP = ["file:///etc/passwd", "gopher://127.0.0.1:70/_x", "ftp://127.0.0.1/f",
            "javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "not a url",
            "http://", "https:///no-host", "//127.0.0.1/no-scheme", "http://127.0.0.1:port/",
            "http://127.0.0.1/a b"]
LINK_LOCAL = ["http://169.254.169.254/latest/meta-data/", "http://169.254.1.1:8080/hook",
              "http://[fe80::1]/hook", "http://2852039166/", "http://0xa9.0xfe.0xa9.0xfe/",
              "http://[::ffff:169.254.169.254]/", "http://[fd00:ec2::254]/",
              "http://100.100.100.200/latest/meta-data/",
              "http://metadata.google.internal/computeMetadata/v1/", "http://METADATA/"]
ACCEPTED = ["http://127.0.0.1:9/hook", "https://partner.example/paid?x=1",
            "http://10.1.2.3:8080/cb", "http://localhost:3000/cb", "HTTPS://PARTNER.EXAMPLE/"]


def _create(client: FlaskClient, **fields: str) -> tuple[int, dict[str, str]]:
    response = ClientPartner(client).login().create(**fields)
    return response.status_code, response.get_json()


@pytest.mark.parametrize("field", URL_FIELDS)
@pytest.mark.parametrize("url", NOT_HTTP)
def test_only_http_urls_are_accepted(client: FlaskClient, field: str, url: str) -> None:
    status, body = _create(client, **{field: url})
    assert status == 400, body
    assert body["errorCode"] == "VALIDATION_ERROR"
    assert body["errorMessage"].startswith(f"$.{field}: expected an absolute http:// or "
                                           "https:// URL")
    listed = client.get("/_mock/payments", query_string={"partnerId": 1}).get_json()
    assert listed["payments"] == [], "a refused payment must not be stored"


@pytest.mark.parametrize("url", LINK_LOCAL)
def test_link_local_and_metadata_addresses_are_refused(client: FlaskClient, url: str) -> None:
    status, body = _create(client, webhookUrl=url, callbackSuccessUrl=url)
    assert status == 400, body
    assert body["errorCode"] == "VALIDATION_ERROR"
    message = body["errorMessage"]
    assert message.startswith("$.webhookUrl: ") and "; $.callbackSuccessUrl: " in message
    assert "gateway.allow_link_local_urls = true" in message


@pytest.mark.parametrize("url", ACCEPTED)
def test_ordinary_http_urls_are_accepted(client: FlaskClient, url: str) -> None:
    status, body = _create(client, **dict.fromkeys(URL_FIELDS, url))
    assert status == 201, body


def test_the_config_may_allow_link_local_addresses() -> None:
    with checked_app(Settings(data=MEMORY, allow_link_local_urls=True)) as app:
        status, body = _create(app.test_client(), webhookUrl=LINK_LOCAL[0])
        assert status == 201, body
        status, body = _create(app.test_client(), webhookUrl=NOT_HTTP[0])
        assert status == 400, "the config allows addresses, never other schemes"


def test_the_documented_example_body_is_still_accepted_with_a_warning(
        client: FlaskClient) -> None:
    """Pay1st's signed example has a stray '<' before https://callback.success."""
    partner = ClientPartner(client).login()
    response = partner.client.post("/api/pay1st/payments/create", data=REQUEST_BODY.encode(),
                                   headers=_signed(partner, REQUEST_BODY.encode()))
    assert response.status_code == 201, response.get_data(as_text=True)
    assert "$.callbackSuccessUrl: starts with '<'" in response.headers["X-Pay1st-Mock-Warning"]


def _signed(partner: ClientPartner, raw: bytes) -> dict[str, str]:
    timestamp = now_timestamp()
    return {"AccessToken": f"Bearer {partner.access_token}", "Content-Type": PAYMENT,
            "X-TIMESTAMP": timestamp,
            "X-SIGNATURE": sign_request(partner.signing_key, timestamp, raw)}
