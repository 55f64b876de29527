"""The webhook kinds registry: one object per kind plans, keys, signs and explains it, so a new
kind (a refund notification, say) is one new class and one registry entry."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pay1st_mock.clock import Clock
from pay1st_mock.config import Callbacks, PartnerConfig
from pay1st_mock.records import Attempt, Delivery, Partner, Payment
from pay1st_mock.signing import sign_request
from pay1st_mock.webhooks.kinds import (
    OutboxEvent,
    SigningScheme,
    WebhookKind,
    WebhookKinds,
)

KEY = "refund-signing-key"


class RefundKind(WebhookKind):
    """A kind added by a test alone: SUCCESSFUL gateway payments, signed like payment events."""

    name = "refund"
    title = "Refund Notification"
    timestamped = True
    scheme = SigningScheme("timestamp + body", "the partner's signing key", "hmac(...)")

    def plan(self, payment: Payment, partner: Partner, status: str) -> OutboxEvent | None:
        if status != "SUCCESSFUL":
            return None
        return OutboxEvent(self.name, "http://127.0.0.1:9/refunds", '{"refund":1}', "no URL")

    def key(self, delivery: Delivery) -> str | None:
        return KEY if delivery.partner_id == 1 else None

    def signature(self, key: str, timestamp: str, body: str) -> str:
        return sign_request(key, timestamp, body)

    def signed_text(self, body: str, timestamp: str) -> str:
        return timestamp + body


def _payment(status: str) -> Payment:
    return Payment("C-000000000000001-P", 1, "ref-1", "NG", "NGN", Decimal(100), status,
                   Callbacks(), None, [], [], None, None, 0.0, 0.0)


def _delivery(partner_id: int = 1, kind: str = "refund") -> Delivery:
    return Delivery(7, partner_id, kind, "C-000000000000001-P", "SUCCESSFUL",
                    "http://127.0.0.1:9/refunds", '{"refund":1}', "PENDING", None, 0, 0.0, None,
                    0.0, 0.0)


PARTNER = Partner(PartnerConfig(id=1, code="SANDBOX", name="Sandbox", api_key="k",
                                api_secret="s", signing_key=KEY), "sandbox", 0.0)


def test_a_new_kind_is_planned_signed_and_explained_by_the_registry_alone() -> None:
    kinds = WebhookKinds([RefundKind()])
    assert kinds.titles == {"refund": "Refund Notification"}
    assert kinds.plan(_payment("PENDING"), PARTNER, "PENDING") == []
    (event,) = kinds.plan(_payment("SUCCESSFUL"), PARTNER, "SUCCESSFUL")
    assert event.kind == "refund"

    headers = kinds.sign(_delivery(), "2026-12-03T10:00:00Z")
    assert headers == {"X-TIMESTAMP": "2026-12-03T10:00:00Z",
                       "X-SIGNATURE": sign_request(KEY, "2026-12-03T10:00:00Z",
                                                   '{"refund":1}')}
    attempt = Attempt(1, 0.0, "http://127.0.0.1:9/refunds", headers, '{"refund":1}', 200, "",
                      1.0, None)
    explained = kinds.explain(_delivery(), [attempt])
    assert explained.key == KEY
    (signature,) = explained.attempts
    assert signature.signed == '2026-12-03T10:00:00Z{"refund":1}' and signature.matches


def test_unknown_kinds_and_missing_keys_say_what_is_wrong() -> None:
    kinds = WebhookKinds([RefundKind()])
    with pytest.raises(ValueError, match="no webhook kind is called 'summary'; kinds: refund"):
        kinds.sign(_delivery(kind="summary"), "t")
    with pytest.raises(LookupError, match="the partner or product whose key signs a Refund "
                                          "Notification is gone"):
        kinds.sign(_delivery(partner_id=2), "t")
    explained = kinds.explain(_delivery(partner_id=2), [])
    assert explained.key is None


def test_moving_the_clock_tells_its_listeners_until_they_stop() -> None:
    clock, heard = Clock(lambda: 1000.0), []
    stop = clock.on_advance(lambda: heard.append(clock.now()))
    clock.advance(5)
    stop()
    clock.advance(5)
    assert heard == [1005.0]
