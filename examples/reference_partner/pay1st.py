"""The partner's Gateway v4 client: access tokens, signed calls, checkout links (§6 of the docs).

Every POST is signed over the exact bytes sent: we serialise the body once, sign those bytes
with a fresh ``X-TIMESTAMP``, and send the same bytes.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import requests

from reference_partner.errors import GatewayError
from reference_partner.settings import PartnerSettings
from reference_partner.signatures import gateway_signature

AUTH_TYPE = "application/vnd.carry1st.payments.partnerauthentication+json"
PAYMENT_TYPE = "application/vnd.carry1st.payments.payment+json"
REFUND_TYPE = "application/vnd.carry1st.payments.refund+json"


def new_session() -> requests.Session:
    """An HTTP session for Pay1st calls."""
    session = requests.Session()
    # The emulator is local: proxy environment variables must not capture its traffic.
    session.trust_env = False
    return session


def now_timestamp() -> str:
    """The current UTC time as ISO-8601 with a ``Z``, e.g. ``2025-03-17T08:10:52.544Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Pay1stClient:
    """Calls Pay1st for the partner; thread-safe.

    One ``requests.Session`` is shared: its connection pool is thread-safe, and nothing else in
    it changes after creation (no mounts or headers are added; Pay1st sets no cookies).
    """

    def __init__(self, settings: PartnerSettings) -> None:
        self._settings = settings
        self._session = new_session()
        self._lock = threading.Lock()
        self._token: tuple[str, str] | None = None  # (base URL, token): a new URL, a new token

    @property
    def base_url(self) -> str:
        """Pay1st's base URL, read at call time (tests set it after the app starts)."""
        return self._settings.pay1st_url.rstrip("/")

    def close(self) -> None:
        """Release the HTTP connections."""
        self._session.close()

    def access_token(self, renew: bool = False) -> str:
        """Return the cached access token, asking Pay1st for one when none or ``renew``."""
        with self._lock:
            if renew or self._token is None or self._token[0] != self.base_url:
                response = self._send(
                    "/api/pay1st/auth/token", b'{"role":"API_USER"}',
                    {"Content-Type": AUTH_TYPE},
                    auth=(self._settings.api_key, self._settings.api_secret))
                self._token = (self.base_url, self._answer(response)["accessToken"])
            return self._token[1]

    def create_payment(self, payment: dict[str, Any]) -> dict[str, Any]:
        """Create Payment Request (§6.4): return Pay1st's 201 answer (with ``reference``)."""
        return self._answer(self._signed_post("/api/pay1st/payments/create", payment))

    def send_fulfilment(self, reference: str, products: list[dict[str, Any]]) -> None:
        """Fulfilment Completion (§6.7): tell Pay1st what we delivered for ``reference``."""
        body = {"reference": reference, "products": products}
        self._answer(self._signed_post("/api/pay1st/payments/fulfilments", body))

    def create_refund(self, payment_reference: str, partner_refund_reference: str,
                      amount: float | None = None, reason: str | None = None) -> dict[str, Any]:
        """Create Refund (§6.10, beta): refund a paid payment's transaction (its reference with
        ``-T`` for ``-P``), all of it when ``amount`` is None. Pay1st then sends a notification
        at every refund status; ours arrive at the Webhook URL (``money_back.py``)."""
        body: dict[str, Any] = {
            "transactionReference": payment_reference.removesuffix("-P") + "-T",
            "partnerRefundReference": partner_refund_reference}  # unique: a retry reuses it
        if amount is not None:
            body["amount"] = amount
        if reason:
            body["reason"] = reason
        return self._answer(self._signed_post("/api/pay1st/transactions/refunds/create", body,
                                              REFUND_TYPE))

    def checkout_url(self, reference: str) -> str:
        """The hosted checkout link (§6.5); ``urlencode`` escapes the token's ``+ / =``."""
        token = self.access_token()
        if "checkout-link-unescaped" in self._settings.bugs:  # '+' and '/' left as they are
            return f"{self.base_url}/checkout?reference={reference}&accessToken={token}"
        query = urlencode({"reference": reference, "accessToken": token})
        return f"{self.base_url}/checkout?{query}"

    def _signed_post(self, path: str, payload: dict[str, Any],
                     media_type: str = PAYMENT_TYPE) -> requests.Response:
        """POST ``payload`` signed; on 401 renew the token once and send it again."""
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        response = self._send(path, body,
                              self._signed_headers(body, self.access_token(), media_type))
        # Expired or revoked token: one fresh try (never, with bug token-never-refreshed).
        if response.status_code == 401 and "token-never-refreshed" not in self._settings.bugs:
            token = self.access_token(renew=True)
            response = self._send(path, body, self._signed_headers(body, token, media_type))
        return response

    def _signed_headers(self, body: bytes, token: str,
                        media_type: str = PAYMENT_TYPE) -> dict[str, str]:
        timestamp = now_timestamp()
        signature = gateway_signature(self._settings.signing_key, timestamp, body)
        # The token goes in AccessToken, not Authorization (§4.1).
        return {"AccessToken": f"Bearer {token}", "Content-Type": media_type,
                "X-TIMESTAMP": timestamp, "X-SIGNATURE": signature}

    def _send(self, path: str, body: bytes, headers: dict[str, str],
              auth: tuple[str, str] | None = None) -> requests.Response:
        try:
            return self._session.post(self.base_url + path, data=body, headers=headers,
                                      auth=auth, timeout=self._settings.pay1st_timeout_seconds)
        except requests.RequestException as exc:
            raise GatewayError(f"Pay1st could not be reached at {self.base_url}: "
                               f"{type(exc).__name__}") from exc

    @staticmethod
    def _answer(response: requests.Response) -> dict[str, Any]:
        """The JSON body of a 2xx answer (``{}`` if empty); ``GatewayError`` otherwise."""
        try:
            body = response.json() if response.content else {}
        except ValueError:
            body = {"errorMessage": response.text[:200]}
        if not response.ok or not isinstance(body, dict):
            message = body.get("errorMessage") if isinstance(body, dict) else None
            raise GatewayError(f"Pay1st answered {response.status_code} to "
                               f"{response.request.path_url}: {message or 'no errorMessage'}",
                               body if isinstance(body, dict) else None)
        return body
