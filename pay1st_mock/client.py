"""A partner's client for a running emulator: credentials, signed calls, and the control API.

Usable from any script or test framework; the pytest plugin's ``pay1st_partner`` fixture is one
of these. Every gateway call is signed exactly as Pay1st expects (pay1st-api.md §5.1).
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import requests

from pay1st_mock.config import CONTROL_TOKEN_HEADER
from pay1st_mock.signing import sign_request

AUTH_TYPE = "application/vnd.carry1st.payments.partnerauthentication+json"
PAYMENT_TYPE = "application/vnd.carry1st.payments.payment+json"
REFUND_TYPE = "application/vnd.carry1st.payments.refund+json"


class WaitTimeout(AssertionError):
    """A wait that ran out; the message says what was awaited and what was seen instead."""


class PartnerClient:
    """One partner talking to the emulator at ``base_url``."""

    def __init__(self, base_url: str, partner: dict[str, Any],
                 http: requests.Session | None = None, control_token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.partner_id: int = partner["partnerId"]
        self.code: str = partner["code"]
        self.api_key: str = partner["apiKey"]
        self.api_secret: str = partner["apiSecret"]
        self.signing_key: str = partner["signingKey"]
        self.http = http or _session(control_token)
        self._access_token: str | None = None

    @classmethod
    def create(cls, base_url: str, control_token: str | None = None,
               **fields: Any) -> PartnerClient:
        """Create a fresh partner through the control API (``POST /_mock/partners``);
        ``control_token`` is the server's, if it requires one."""
        http = _session(control_token)
        response = http.post(f"{base_url.rstrip('/')}/_mock/partners", json=fields, timeout=10)
        _raise_for(response, "create a partner", 201)
        return cls(base_url, response.json(), http)

    # -- gateway ---------------------------------------------------------------------------

    @property
    def access_token(self) -> str:
        """A valid access token (logging in on first use)."""
        if self._access_token is None:
            self._access_token = self.login()["accessToken"]
        return self._access_token

    def login(self) -> dict[str, Any]:
        """``POST /api/pay1st/auth/token`` with this partner's Basic credentials."""
        response = self.http.post(f"{self.base_url}/api/pay1st/auth/token",
                                  auth=(self.api_key, self.api_secret),
                                  data=b'{"role":"API_USER"}',
                                  headers={"Content-Type": AUTH_TYPE}, timeout=10)
        _raise_for(response, "log in")
        tokens: dict[str, Any] = response.json()
        self._access_token = tokens["accessToken"]
        return tokens

    def signed_headers(self, body: bytes, media_type: str = PAYMENT_TYPE) -> dict[str, str]:
        """The headers of a signed gateway POST of exactly ``body``."""
        timestamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return {"AccessToken": f"Bearer {self.access_token}", "Content-Type": media_type,
                "X-TIMESTAMP": timestamp,
                "X-SIGNATURE": sign_request(self.signing_key, timestamp, body)}

    def post(self, path: str, body: dict[str, Any] | bytes,
             media_type: str = PAYMENT_TYPE) -> requests.Response:
        """A signed POST to the gateway; ``body`` is sent (and signed) as given."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.http.post(self.base_url + path, data=raw,
                              headers=self.signed_headers(raw, media_type), timeout=10)

    def get(self, path: str, **params: str) -> requests.Response:
        """A gateway GET with the access token."""
        return self.http.get(self.base_url + path, params=params, timeout=10,
                             headers={"AccessToken": f"Bearer {self.access_token}"})

    def create_payment(self, **fields: Any) -> dict[str, Any]:
        """Create a payment (defaults: NG, 100 NGN, one product, a fresh partnerReference)."""
        body: dict[str, Any] = {
            "countryCode": "NG", "currencyCode": "NGN", "amount": 100,
            "partnerReference": str(uuid.uuid4()),
            "products": [{"title": "10 Credits", "sku": "SKU-10", "price": 100, "quantity": 1}],
            **fields}
        response = self.post("/api/pay1st/payments/create", body)
        _raise_for(response, "create a payment", 201)
        created: dict[str, Any] = response.json()
        return created

    def refund(self, reference: str, amount: float | None = None,
               **fields: Any) -> dict[str, Any]:
        """Create Refund for a paid payment (all of it unless ``amount``); the 201 answer."""
        body: dict[str, Any] = {"transactionReference": reference.removesuffix("-P") + "-T",
                                "partnerRefundReference": str(uuid.uuid4()), **fields}
        if amount is not None:
            body["amount"] = amount
        response = self.post("/api/pay1st/transactions/refunds/create", body, REFUND_TYPE)
        _raise_for(response, f"refund {reference}", 201)
        created: dict[str, Any] = response.json()
        return created

    def checkout_url(self, reference: str, channel_id: int | None = None) -> str:
        """The hosted checkout link of a payment, token URL-escaped as it must be."""
        from urllib.parse import urlencode

        query: dict[str, Any] = {"reference": reference, "accessToken": self.access_token}
        if channel_id is not None:
            query["channelId"] = channel_id
        return f"{self.base_url}/checkout?{urlencode(query)}"

    # -- control API -------------------------------------------------------------------------

    def complete(self, reference: str, outcome: str = "success",
                 channel_id: int | None = None) -> dict[str, Any]:
        """Run the outcome engine headlessly (same steps and webhooks as the checkout page)."""
        body: dict[str, Any] = {"outcome": outcome}
        if channel_id is not None:
            body["channelId"] = channel_id
        response = self.http.post(f"{self.base_url}/_mock/payments/{reference}/complete",
                                  json=body, timeout=10)
        _raise_for(response, f"complete {reference} with {outcome}")
        payment: dict[str, Any] = response.json()
        return payment

    def settle_refund(self, refund_reference: str, status: str = "SUCCESSFUL") -> dict[str, Any]:
        """Move a refund as its PSP would (the clock would, later); the control API's view."""
        response = self.http.post(f"{self.base_url}/_mock/refunds/{refund_reference}/complete",
                                  json={"status": status}, timeout=10)
        _raise_for(response, f"move refund {refund_reference} to {status}")
        moved: dict[str, Any] = response.json()
        return moved

    def charge_back(self, reference: str, **fields: Any) -> dict[str, Any]:
        """Open a chargeback on a paid payment, as the card network would; the control API's
        view (``amount``, ``reason``, ``reasonCode`` optional)."""
        response = self.http.post(f"{self.base_url}/_mock/payments/{reference}/chargebacks",
                                  json=fields, timeout=10)
        _raise_for(response, f"charge back {reference}", 201)
        opened: dict[str, Any] = response.json()
        return opened

    def deliveries(self, reference: str | None = None) -> list[dict[str, Any]]:
        """This partner's webhook deliveries (newest first), each with every attempt."""
        return self._listed("deliveries", reference, "list deliveries")

    def wait_for_delivery(self, reference: str, status: str = "DELIVERED",
                          timeout: float = 5.0) -> dict[str, Any]:
        """Wait until a delivery for ``reference`` reaches ``status``; fail saying what was seen."""
        __tracebackhide__ = True  # pytest: show the caller's line, not this loop
        deadline = time.monotonic() + timeout
        seen: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            seen = self.deliveries(reference)
            for delivery in seen:
                if delivery["status"] == status:
                    return delivery
            time.sleep(0.02)
        summary = ", ".join(f"#{d['id']} {d['event']} {d['status']} after "
                            f"{len(d['attempts'])} attempt(s)"
                            + (f" (last error: {d['attempts'][-1]['error']})"
                               if d["attempts"] and d["attempts"][-1]["error"] else "")
                            + (f" ({d['note']})" if d.get("note") else "")
                            for d in seen) or "no delivery at all"
        raise WaitTimeout(f"no webhook delivery for {reference} reached {status} within "
                          f"{timeout:g} s; seen: {summary}")

    def journal(self, reference: str | None = None) -> list[dict[str, Any]]:
        """This partner's gateway calls as the emulator recorded them, newest first."""
        return self._listed("journal", reference, "read the journal")

    def _listed(self, resource: str, reference: str | None, doing: str) -> list[dict[str, Any]]:
        """``GET /_mock/<resource>`` for this partner (and reference): the listed items."""
        params: dict[str, Any] = {"partnerId": self.partner_id}
        if reference:
            params["reference"] = reference
        response = self.http.get(f"{self.base_url}/_mock/{resource}", params=params, timeout=10)
        _raise_for(response, doing)
        body: dict[str, list[dict[str, Any]]] = response.json()
        return body["entries" if resource == "journal" else resource]

    def inject_fault(self, action: dict[str, Any], path: str = "*", method: str | None = None,
                     count: int | None = 1, target: str = "request",
                     probability: float = 1.0) -> dict[str, Any]:
        """Make this partner's next ``count`` matching calls (or webhooks) misbehave.

        ``action``: ``{"status": 500}``, ``{"latencyMs": 800}``, ``{"drop": True}`` for requests;
        ``{"delayMs": ...}``, ``{"duplicate": True}``, ``{"reorder": True}`` for webhooks.
        """
        body: dict[str, Any] = {"target": target, "path": path, "partnerId": self.partner_id,
                                "count": count, "probability": probability, "action": action}
        if method:
            body["method"] = method
        response = self.http.post(f"{self.base_url}/_mock/faults", json=body, timeout=10)
        _raise_for(response, "inject a fault", 201)
        fault: dict[str, Any] = response.json()
        return fault

    def set_webhook_url(self, url: str | None) -> None:
        """Send this partner's Payment Webhook Events to ``url`` (``None``: nowhere)."""
        response = self.http.patch(f"{self.base_url}/_mock/partners/{self.partner_id}",
                                   json={"webhookUrl": url}, timeout=10)
        _raise_for(response, "set the webhook URL")

    def advance_clock(self, seconds: float) -> None:
        """Move the emulator clock forward. It is shared by every partner on the server."""
        response = self.http.post(f"{self.base_url}/_mock/clock/advance",
                                  json={"seconds": seconds}, timeout=10)
        _raise_for(response, "advance the clock")

    def reset(self) -> None:
        """Forget this partner's payments, tokens, deliveries and journal."""
        response = self.http.post(f"{self.base_url}/_mock/reset",
                                  json={"partnerId": self.partner_id}, timeout=10)
        _raise_for(response, "reset the partner")
        self._access_token = None


def _session(control_token: str | None = None) -> requests.Session:
    """A keep-alive session that ignores proxy settings: the emulator is always local."""
    session = requests.Session()
    session.trust_env = False
    if control_token:
        session.headers[CONTROL_TOKEN_HEADER] = control_token
    return session


def _raise_for(response: requests.Response, doing: str, expected: int = 200) -> None:
    if response.status_code != expected:
        raise AssertionError(f"could not {doing}: HTTP {response.status_code}: "
                             f"{response.text[:500]}")
