"""The runner's hands on the emulator: the gateway as the partner under test, and ``/_mock``.

Everything goes over HTTP, so the runner works the same against the emulator it started and
against one already running (``--server``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import requests

from pay1st_mock.client import PartnerClient
from pay1st_mock.config import CONTROL_TOKEN_HEADER, PartnerConfig
from pay1st_mock.runner.events import RunFinished
from pay1st_mock.runner.http import USER_AGENT, send
from pay1st_mock.runner.results import Exchange, parse_body

CONTROL_TIMEOUT = 10.0
REFUND_TYPE = "application/vnd.carry1st.payments.refund+json"


class EmulatorError(Exception):
    """The emulator could not do what a step asked; the message carries its answer."""


class Emulator:
    """One emulator at ``base_url``, driven for one partner under test."""

    def __init__(self, base_url: str, partner: PartnerConfig, session: requests.Session,
                 control_token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session
        # Only on /_mock calls: the partner under test must never receive the token.
        self._control_headers = {CONTROL_TOKEN_HEADER: control_token} if control_token else {}
        self.partner_id = partner.id
        self._gateway = PartnerClient(self.base_url, {
            "partnerId": partner.id, "code": partner.code, "apiKey": partner.api_key,
            "apiSecret": partner.api_secret, "signingKey": partner.signing_key}, session)

    def check_reachable(self) -> None:
        """Raise ``EmulatorError`` unless ``/_mock/health`` answers 200."""
        exchange = self.control("GET", "/health")
        if exchange.status != 200:
            why = exchange.error or f"GET /_mock/health answered {exchange.status}"
            raise EmulatorError(f"no pay1st-mock at {self.base_url}: {why}")

    def create_payment(self, body: dict[str, Any]) -> Exchange:
        """``POST /api/pay1st/payments/create``, signed with the partner's credentials."""
        raw = json.dumps(body, separators=(",", ":")).encode()
        try:
            headers = self._gateway.signed_headers(raw)
        except (AssertionError, requests.RequestException) as exc:  # PartnerClient's failed login
            raise EmulatorError(f"the partner under test cannot log in to the emulator: {exc}; "
                                "is the server running with the same config?") from None
        return send(self.session, "POST", f"{self.base_url}/api/pay1st/payments/create",
                    headers=headers, data=raw, timeout=CONTROL_TIMEOUT)

    def create_refund(self, body: dict[str, Any]) -> Exchange:
        """``POST /api/pay1st/transactions/refunds/create``, signed with the partner's
        credentials (the refund media type)."""
        raw = json.dumps(body, separators=(",", ":")).encode()
        try:
            headers = self._gateway.signed_headers(raw, REFUND_TYPE)
        except (AssertionError, requests.RequestException) as exc:  # PartnerClient's failed login
            raise EmulatorError(f"the partner under test cannot log in to the emulator: {exc}; "
                                "is the server running with the same config?") from None
        return send(self.session, "POST",
                    f"{self.base_url}/api/pay1st/transactions/refunds/create",
                    headers=headers, data=raw, timeout=CONTROL_TIMEOUT)

    def control(self, method: str, path: str, body: Any = None,
                params: dict[str, Any] | None = None) -> Exchange:
        """A control-API call (``/_mock`` + ``path``) recorded as an ``Exchange``."""
        data = None if body is None else json.dumps(body).encode()
        headers = dict(self._control_headers)
        if data is not None:
            headers["Content-Type"] = "application/json"
        return send(self.session, method, f"{self.base_url}/_mock{path}", headers=headers,
                    params=params, data=data, timeout=CONTROL_TIMEOUT)

    def control_json(self, method: str, path: str, body: Any = None,
                     params: dict[str, Any] | None = None) -> Any:
        """A control-API call that must succeed; its JSON answer."""
        exchange = self.control(method, path, body, params)
        if exchange.status is None or exchange.status >= 300:
            answer = parse_body(exchange.response_body)
            why = (answer.get("errorMessage") if isinstance(answer, dict) else None) \
                or exchange.error or f"HTTP {exchange.status}"
            raise EmulatorError(f"{method} /_mock{path} failed: {why}")
        return parse_body(exchange.response_body)

    def record_run(self, result: RunFinished) -> None:
        """Tell the emulator how the run went: passing scenarios are go-live checklist evidence
        for the partner under test. Best effort: a server that cannot take it is not an error of
        the run."""
        scenarios = [{"file": r.scenario.file, "name": r.scenario.name,
                      "style": r.scenario.style, "tags": list(r.scenario.tags),
                      "outcome": r.outcome, "failure": (r.messages() or [""])[0][:4000]}
                     for r in result.results]
        run = datetime.now(UTC).strftime("pay1st-mock run %Y-%m-%dT%H:%M:%SZ")
        self.control("POST", f"/partners/{self.partner_id}/checklist/runs",
                     {"run": run, "scenarios": scenarios})

    def payment(self, reference: str) -> dict[str, Any]:
        """The emulator's view of one payment of the partner under test."""
        found: dict[str, Any] = self.control_json("GET", f"/payments/{reference}")
        if found.get("partnerId") != self.partner_id:
            raise EmulatorError(f"payment {reference} belongs to partner {found.get('partnerId')}, "
                                f"not to the partner under test ({self.partner_id})")
        return found

    def journal(self, reference: str | None = None, limit: int = 200,
                own_calls: bool = False, unattributed: bool = False) -> list[dict[str, Any]]:
        """The partner's calls to the emulator, newest first; the runner's own calls made with
        the partner's credentials (``create_payment``) are left out unless ``own_calls``.
        ``unattributed`` adds the calls no partner could be identified for (no or a misplaced
        token), which may be this partner's."""
        params: dict[str, Any] = {"partnerId": self.partner_id, "limit": limit}
        if reference:
            params["reference"] = reference
        entries: list[dict[str, Any]] = self.control_json("GET", "/journal",
                                                          params=params)["entries"]
        if unattributed:
            anyone = self.control_json("GET", "/journal", params={"limit": limit})["entries"]
            entries = sorted([*entries, *(e for e in anyone if e["partnerId"] is None)],
                             key=lambda e: e["id"], reverse=True)
        if own_calls:
            return entries
        return [e for e in entries
                if not e["requestHeaders"].get("User-Agent", "").startswith(USER_AGENT)]

    def deliveries(self, reference: str) -> list[dict[str, Any]]:
        """The webhook deliveries for ``reference``, newest first, each with its attempts."""
        found: list[dict[str, Any]] = self.control_json(
            "GET", "/deliveries", params={"partnerId": self.partner_id,
                                          "reference": reference})["deliveries"]
        return found
