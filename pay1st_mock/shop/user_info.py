"""Calling the partner's User Info Webhook (pay1st-api.md §7.2, design.md §3).

An unsigned GET with the documented query parameters, carrying ``Authorization: Basic`` with the
product's Basic Auth pair when the product configures one. Only a 200 whose body is valid against
``schemas/shop/user-info-response.json`` accepts the player; a 400 shows the partner's
``errorMessage``; anything else (another status, a timeout, bad JSON) is a partner fault. Every
call is logged as an exchange with its findings.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from pay1st_mock.frozen import frozen
from pay1st_mock.outbound import TooSlow, new_session, read_capped
from pay1st_mock.records import Exchange
from pay1st_mock.schemas import SchemaSet
from pay1st_mock.shop.catalogue import Product
from pay1st_mock.signing import summary_key
from pay1st_mock.store.purchases import PurchaseRepository

BODY_KEPT = 2048
BODY_READ = 65536


@frozen
class UserInfoResult:
    """The verdict on a player: ``valid``, ``rejected``, ``partner_fault`` or ``unchecked``."""

    verdict: str
    message: str
    user_id: str | None = None
    external_reference: str | None = None
    exchange: Exchange | None = None

    @property
    def accepted(self) -> bool:
        """The player may buy."""
        return self.verdict in ("valid", "unchecked")


class UserInfoClient:
    """Calls User Info Webhooks and logs each exchange."""

    def __init__(self, purchases: PurchaseRepository, schemas: SchemaSet, timeout: float,
                 now: Callable[[], float]) -> None:
        self._purchases = purchases
        self._schemas = schemas
        self._timeout = timeout
        self._now = now

    def check(self, product: Product, params: dict[str, str]) -> UserInfoResult:
        """Ask the product's User Info Webhook about ``params["playerId"]``."""
        if not product.user_info_url:
            return UserInfoResult("unchecked", f"{product.name} has no User Info Webhook URL "
                                  "configured, so the player was accepted without a check")
        import requests  # only the Shop needs it; keep it off the cold start

        parts = urlsplit(product.user_info_url)
        query = "&".join(q for q in (parts.query, urlencode(params)) if q)
        url = urlunsplit(parts._replace(query=query))
        started, status, text = time.perf_counter(), None, None
        deadline = time.monotonic() + self._timeout
        headers = {"Accept": "application/json", "User-Agent": "pay1st-mock"}
        if product.basic_auth:  # the partner protects its webhooks with the product's pair
            headers["Authorization"] = f"Basic {summary_key(product.username, product.password)}"
        try:
            with new_session() as session, session.get(
                    url, timeout=self._timeout, stream=True, allow_redirects=False,
                    headers=headers,
            ) as response:
                status = response.status_code
                text = read_capped(response, BODY_READ, deadline).decode("utf-8", "replace")
            verdict, message, body, findings = self._judge(status, text)
        except (requests.Timeout, TooSlow):
            verdict, message, body, findings = ("partner_fault", "the User Info Webhook did not "
                                                f"answer within {self._timeout:g} s", None, [])
        except requests.RequestException as exc:
            verdict, message, body, findings = ("partner_fault", "the User Info Webhook could not "
                                                f"be reached ({type(exc).__name__})", None, [])
        exchange = self._purchases.log_exchange(Exchange(
            0, product.partner_id, product.id, "user_info", url, status,
            text[:BODY_KEPT] if text is not None else None,
            (time.perf_counter() - started) * 1000, verdict, message, findings, self._now()))
        return UserInfoResult(verdict, message,
                              body.get("userId") if verdict == "valid" and body else None,
                              body.get("externalReference") if body else None, exchange)

    def _judge(self, status: int, text: str
               ) -> tuple[str, str, dict[str, Any] | None, list[dict[str, str]]]:
        if status in (401, 403):
            return ("partner_fault", f"the User Info Webhook answered {status} — it refused the "
                    "call's credentials: it must accept Authorization: Basic with the product's "
                    "Basic Auth username and password (and may refuse calls without them); only "
                    "200 (valid player) or 400 (invalid, with errorMessage) are expected", None,
                    [])
        try:
            body = json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: JSON nested a thousand deep
            return ("partner_fault", f"the User Info Webhook answered {status} with a body that "
                    "is not JSON", None, [])
        if status == 200:
            findings = self._schemas.check("shop/user-info-response.json", body)
            if findings:
                listed = "; ".join(str(f) for f in findings[:3])
                return ("partner_fault", "the User Info Webhook answered 200 with a body that "
                        f"breaks its schema: {listed}", None, [f.as_dict() for f in findings])
            return "valid", f"player {body['userId']} is valid", body, []
        if status == 400:
            findings = self._schemas.check("shop/user-info-error.json", body)
            message = body.get("errorMessage") if isinstance(body, dict) else None
            if findings or not isinstance(message, str):
                return ("partner_fault", "the User Info Webhook answered 400 without an "
                        "errorMessage", None, [f.as_dict() for f in findings])
            return "rejected", message, None, []
        return ("partner_fault", f"the User Info Webhook answered {status}; only 200 (valid "
                "player) or 400 (invalid, with errorMessage) are expected", None, [])
