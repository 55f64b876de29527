"""Helpers shared by the tests: a signing gateway client and response-schema checking."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import requests

from pay1st_mock.signing import sign_request
from pay1st_mock.web import gateway

AUTH = gateway.AUTH_MEDIA_TYPE
CHANNEL = gateway.CHANNEL_MEDIA_TYPE
PAYMENT = gateway.PAYMENT_MEDIA_TYPE
SANDBOX = {"api_key": "sandbox-api-key", "api_secret": "sandbox-api-secret",
           "signing_key": "hCyO_Flnu6aid-bhFYTYOowkxXRzoZkgzO32rB6Ik8Y"}


def now_timestamp(offset_seconds: float = 0) -> str:
    """An ISO-8601 UTC timestamp with nanosecond digits, like Pay1st's example."""
    moment = datetime.fromtimestamp(datetime.now(UTC).timestamp() + offset_seconds, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"


def basic(api_key: str, api_secret: str) -> str:
    """The ``Authorization`` value for the token call."""
    return "Basic " + base64.b64encode(f"{api_key}:{api_secret}".encode()).decode()


def payment_body(**overrides: Any) -> dict[str, Any]:
    """A valid Create Payment Request for NG, with a fresh partnerReference."""
    body: dict[str, Any] = {
        "countryCode": "NG", "currencyCode": "NGN", "amount": 100,
        "partnerReference": str(uuid.uuid4()),
        "products": [{"title": "10 Credits", "sku": "12345", "price": 100, "quantity": 1,
                      "currencyCode": "NGN"}],
        "metadata": [{"key": "customerId", "value": "1"}],
    }
    body.update(overrides)
    return body


class GatewayClient:
    """A partner's view of the gateway over a real socket: tokens, signing, calls."""

    def __init__(self, base_url: str, api_key: str = SANDBOX["api_key"],
                 api_secret: str = SANDBOX["api_secret"],
                 signing_key: str = SANDBOX["signing_key"]) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key, self.api_secret, self.signing_key = api_key, api_secret, signing_key
        self.http = requests.Session()
        self.access_token: str | None = None
        self.refresh_token: str | None = None

    def url(self, path: str) -> str:
        return self.base_url + path

    def login(self) -> dict[str, Any]:
        response = self.http.post(self.url("/api/pay1st/auth/token"),
                                  data=json.dumps({"role": "API_USER"}),
                                  headers={"Authorization": basic(self.api_key, self.api_secret),
                                           "Content-Type": AUTH})
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        self.access_token, self.refresh_token = data["accessToken"], data["refreshToken"]
        return data

    def signed_post(self, path: str, body: dict[str, Any] | bytes,
                    media_type: str = PAYMENT) -> requests.Response:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        timestamp = now_timestamp()
        signature = sign_request(self.signing_key, timestamp, raw)
        return self.http.post(self.url(path), data=raw, headers={
            "AccessToken": f"Bearer {self.access_token}", "Content-Type": media_type,
            "X-TIMESTAMP": timestamp, "X-SIGNATURE": signature})

    def get(self, path: str, **params: str) -> requests.Response:
        return self.http.get(self.url(path), params=params,
                             headers={"AccessToken": f"Bearer {self.access_token}"})

    def create(self, **overrides: Any) -> requests.Response:
        return self.signed_post("/api/pay1st/payments/create", payment_body(**overrides))
