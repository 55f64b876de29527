"""Every kind of webhook the emulator sends, one object each, in one registry.

A kind knows how it is planned (which changes write it, where it goes, its exact body), keyed
(the secret that signs one delivery), signed and headed (the headers an attempt carries) and
explained (the signed string and the scheme, for the dashboard). A kind plans from the changes
it cares about: a payment's status change (``plan``), a refund's (``plan_refund``) or a
chargeback's (``plan_chargeback``); each answers None for the others. The outbox stores a
delivery's ``kind`` as the kind's ``name``; the dispatcher, the checkout, the refunds and
chargebacks and the dashboard ask the registry and never compare kind names themselves. A new
notification is one new class here and one entry in ``build_services``'s list.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import ClassVar

from pay1st_mock import jsontext
from pay1st_mock.frozen import frozen
from pay1st_mock.records import Attempt, Chargeback, Delivery, Partner, Payment, Refund
from pay1st_mock.shop.purchases import ShopService
from pay1st_mock.signing import sign_request, sign_summary, summary_key
from pay1st_mock.store.partners import PartnerRepository
from pay1st_mock.webhooks.payloads import (
    WEBHOOK_STATUSES,
    chargeback_body,
    money_back_url,
    payment_event,
    payment_webhook_url,
    refund_body,
)


@frozen
class OutboxEvent:
    """A webhook to write to the outbox."""

    kind: str
    url: str | None
    body: str
    no_url_note: str  # where to configure a URL, shown when there is none


@frozen
class SigningScheme:
    """How a kind is signed, in words and in a line of Python, for partners comparing code."""

    message: str  # what the signed string is made of
    key_name: str  # what the key is
    code: str


@frozen
class AttemptSignature:
    """One attempt's signature: what was sent, what was signed, and the check."""

    number: int
    sent: str | None  # X-SIGNATURE as sent
    timestamp: str | None  # X-TIMESTAMP as sent (kinds signed with a timestamp only)
    signed: str  # the exact signed string
    recomputed: str | None  # None when the key cannot be found any more

    @property
    def matches(self) -> bool:
        """Whether recomputing from the signed string and the key gives what was sent."""
        return self.sent is not None and self.sent == self.recomputed


@frozen
class Explanation:
    """A delivery's signing scheme, the key it is signed with, and each attempt's signature."""

    scheme: SigningScheme
    key: str | None  # None: the product or partner is gone
    attempts: list[AttemptSignature]


class WebhookKind(ABC):
    """One kind of webhook: planned, keyed, signed and explained."""

    name: ClassVar[str]  # stored as the delivery's kind
    title: ClassVar[str]  # for people
    scheme: ClassVar[SigningScheme]
    timestamped: ClassVar[bool]  # whether X-TIMESTAMP is sent and signed
    checklist_prefix: ClassVar[str]  # its go-live checklist milestones: <prefix>.ack, ...
    mistakes: ClassVar[str]  # the usual reasons a partner refuses a correct signature

    def plan(self, payment: Payment, partner: Partner, status: str) -> OutboxEvent | None:
        """The webhook of this kind that ``payment`` (already in ``status``) sends, if any."""
        return None

    def plan_refund(self, refund: Refund, payment: Payment, partner: Partner
                    ) -> OutboxEvent | None:
        """The webhook of this kind that ``refund`` (just created, or moved to its status)
        sends, if any."""
        return None

    def plan_chargeback(self, chargeback: Chargeback, payment: Payment, partner: Partner
                        ) -> OutboxEvent | None:
        """The webhook of this kind that ``chargeback`` (just opened, or decided) sends, if
        any."""
        return None

    @abstractmethod
    def key(self, delivery: Delivery) -> str | None:
        """The secret that signs ``delivery``; None when its partner or product is gone."""

    @abstractmethod
    def signature(self, key: str, timestamp: str, body: str) -> str:
        """The X-SIGNATURE of ``body`` sent at ``timestamp``."""

    @abstractmethod
    def signed_text(self, body: str, timestamp: str) -> str:
        """The exact string the signature is computed over."""

    def headers(self, key: str, timestamp: str, body: str) -> dict[str, str]:
        """The signature headers of one attempt."""
        signed = {"X-SIGNATURE": self.signature(key, timestamp, body)}
        return {"X-TIMESTAMP": timestamp, **signed} if self.timestamped else signed

    def refusal(self, status: int | None, error: str | None) -> str:
        """Why a correctly signed attempt failed, and what the partner should change."""
        if status in (401, 403):
            return (f"your {self.title} URL answered {status} to a correctly signed event; "
                    f"the usual causes: {self.mistakes}")
        return f"your {self.title} URL did not acknowledge a correctly signed event: {error}"


class GatewaySignedKind(WebhookKind):
    """A kind signed like the partner's own Gateway requests: ``X-SIGNATURE`` = hex
    HMAC-SHA256(partner's signing key, ``X-TIMESTAMP`` + body), with the timestamp sent."""

    timestamped = True
    mistakes = ("compute HMAC-SHA256 over the raw body bytes as received, not over JSON you "
                "parsed and wrote again; use the signing key's text as the key (do not "
                "Base64-decode it); put the X-TIMESTAMP header text immediately before the "
                "body, with no separator; compare lowercase hex; accept timestamps up to 300 s "
                "old")
    scheme = SigningScheme(
        "the X-TIMESTAMP header text immediately followed by the body (no separator)",
        "the partner's signing key (its UTF-8 text, never Base64-decoded)",
        "hmac.new(signing_key.encode(), (x_timestamp + body).encode(), "
        "hashlib.sha256).hexdigest()")

    def __init__(self, partners: PartnerRepository) -> None:
        self._partners = partners

    def key(self, delivery: Delivery) -> str | None:
        partner = self._partners.get(delivery.partner_id)
        return partner.config.signing_key if partner is not None else None

    def signature(self, key: str, timestamp: str, body: str) -> str:
        return sign_request(key, timestamp, body)

    def signed_text(self, body: str, timestamp: str) -> str:
        return timestamp + body


class PaymentEventKind(GatewaySignedKind):
    """Payment Webhook Events: gateway payments, on PENDING, SUCCESSFUL, FAILED, CANCELLED,
    ABANDONED, REFUND and CHARGEBACK (design.md §3), signed with the gateway scheme."""

    name = "payment_event"
    title = "Payment Webhook Event"
    checklist_prefix = "webhook"

    def plan(self, payment: Payment, partner: Partner, status: str) -> OutboxEvent | None:
        if payment.origin != "gateway" or status not in WEBHOOK_STATUSES:
            return None
        return OutboxEvent(self.name, payment_webhook_url(payment, partner),
                           jsontext.dumps(payment_event(payment, partner)),
                           "no webhook URL: set webhookUrl on the payment or the partner")


class RefundKind(GatewaySignedKind):
    """Refund Webhook Notifications: every status a refund takes (PENDING, PROCESSING,
    SUCCESSFUL, FAILED, REJECTED), to its ``refundWebhookUrl``, else the payment's or the
    partner's webhook URL; the body is the refund as the Refund API shows it (our choice:
    Pay1st lists the page but publishes no shape), signed with the gateway scheme."""

    name = "refund"
    title = "Refund Webhook Notification"
    checklist_prefix = "refund"

    def plan_refund(self, refund: Refund, payment: Payment, partner: Partner
                    ) -> OutboxEvent | None:
        return OutboxEvent(self.name, money_back_url(refund.webhook_url, payment, partner),
                           jsontext.dumps(refund_body(refund, payment)),
                           "no webhook URL: set refundWebhookUrl on the refund, webhookUrl on "
                           "the payment, or the partner's webhook URL")


class ChargebackKind(GatewaySignedKind):
    """Chargeback Webhook Notifications: a chargeback opened (OPEN) and decided (WON, LOST),
    to the payment's or the partner's webhook URL; the body is the chargeback as the chargeback
    endpoints show it (our choice), signed with the gateway scheme."""

    name = "chargeback"
    title = "Chargeback Webhook Notification"
    checklist_prefix = "chargeback"

    def plan_chargeback(self, chargeback: Chargeback, payment: Payment, partner: Partner
                        ) -> OutboxEvent | None:
        return OutboxEvent(self.name, money_back_url(None, payment, partner),
                           jsontext.dumps(chargeback_body(chargeback, payment)),
                           "no webhook URL: set webhookUrl on the payment or the partner")


class SummaryKind(WebhookKind):
    """Summary Webhooks: Shop and legacy-link payments, when they succeed, to the product's
    Summary URL (pay1st-api.md §7.3); ``X-SIGNATURE`` = hex HMAC-SHA256(Base64 text of the
    product's ``username:password``, trimmed body), no timestamp (§5.2); ``Authorization:
    Basic`` when the product configures its pair."""

    name = "summary"
    title = "Summary Webhook"
    timestamped = False
    checklist_prefix = "summary"
    mistakes = ("compute HMAC-SHA256 over the raw body with surrounding whitespace trimmed, not "
                "over JSON you parsed and wrote again; the key is the Base64 text of "
                "username:password, used as text (do not decode it, do not use "
                "username:password itself); there is no timestamp; compare lowercase hex; a "
                "product with a Basic Auth pair also sends Authorization: Basic with that same "
                "Base64 text: accept it")
    scheme = SigningScheme(
        "the body with surrounding whitespace trimmed (no timestamp)",
        "the Base64 text of the product's username:password (not decoded)",
        "hmac.new(base64.b64encode(f'{username}:{password}'.encode()), body.strip()"
        ".encode(), hashlib.sha256).hexdigest()")

    def __init__(self, shop: ShopService) -> None:
        self._shop = shop

    def plan(self, payment: Payment, partner: Partner, status: str) -> OutboxEvent | None:
        if payment.origin == "gateway" or status != "SUCCESSFUL":
            return None
        purchase = self._shop.purchase_for(payment.reference)
        if purchase is None:
            return None
        product, _ = self._shop.bundle(purchase.bundle_id)
        return OutboxEvent(self.name, product.summary_url,
                           jsontext.dumps(self._shop.summary_body(purchase, payment)),
                           f"no Summary Webhook URL: set summary_url on product {product.id}")

    def key(self, delivery: Delivery) -> str | None:
        purchase = self._shop.purchase_for(delivery.reference)
        found = self._shop.catalogue.bundle(purchase.bundle_id) if purchase else None
        return summary_key(found[0].username, found[0].password) if found else None

    def signature(self, key: str, timestamp: str, body: str) -> str:
        return sign_summary(key, body)

    def headers(self, key: str, timestamp: str, body: str) -> dict[str, str]:
        """The signature, and ``Authorization: Basic`` with the same key (the Base64 text of
        ``username:password``) when the product configures its Basic Auth pair: Pay1st's
        integration steps protect the Shop's webhooks with it."""
        sent = super().headers(key, timestamp, body)
        if self._shop.catalogue.sends_basic_auth(key):
            sent["Authorization"] = f"Basic {key}"
        return sent

    def signed_text(self, body: str, timestamp: str) -> str:
        return body.strip()


class WebhookKinds:
    """The registry: every kind by name, in the order given."""

    def __init__(self, kinds: Sequence[WebhookKind]) -> None:
        self._kinds = {kind.name: kind for kind in kinds}

    def __iter__(self) -> Iterator[WebhookKind]:
        return iter(self._kinds.values())

    @property
    def titles(self) -> dict[str, str]:
        """Each kind's name and title, for filters and headings."""
        return {kind.name: kind.title for kind in self}

    def get(self, name: str) -> WebhookKind:
        """The kind called ``name``; ``ValueError`` for a name no kind has."""
        kind = self._kinds.get(name)
        if kind is None:
            raise ValueError(f"no webhook kind is called {name!r}; kinds: "
                             + ", ".join(self._kinds))
        return kind

    def plan(self, payment: Payment, partner: Partner, status: str) -> list[OutboxEvent]:
        """The webhooks of a status change: what each kind sends, in registry order."""
        planned = (kind.plan(payment, partner, status) for kind in self)
        return [event for event in planned if event is not None]

    def plan_refund(self, refund: Refund, payment: Payment, partner: Partner
                    ) -> list[OutboxEvent]:
        """The webhooks of a refund created or moved: what each kind sends, in registry order."""
        planned = (kind.plan_refund(refund, payment, partner) for kind in self)
        return [event for event in planned if event is not None]

    def plan_chargeback(self, chargeback: Chargeback, payment: Payment, partner: Partner
                        ) -> list[OutboxEvent]:
        """The webhooks of a chargeback opened or decided, in registry order."""
        planned = (kind.plan_chargeback(chargeback, payment, partner) for kind in self)
        return [event for event in planned if event is not None]

    def sign(self, delivery: Delivery, timestamp: str) -> dict[str, str]:
        """The signature headers of one attempt at ``delivery`` (the dispatcher's signer)."""
        kind = self.get(delivery.kind)
        key = kind.key(delivery)
        if key is None:
            raise LookupError(f"delivery {delivery.id}: the partner or product whose key signs "
                              f"a {kind.title} is gone")
        return kind.headers(key, timestamp, delivery.body)

    def explain(self, delivery: Delivery, attempts: list[Attempt]) -> Explanation:
        """How ``delivery`` is signed and, for each attempt, what was signed and sent."""
        kind = self.get(delivery.kind)
        key = kind.key(delivery)
        return Explanation(kind.scheme, key, [_attempt_signature(kind, key, a) for a in attempts])


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def _attempt_signature(kind: WebhookKind, key: str | None, attempt: Attempt) -> AttemptSignature:
    timestamp = (_header(attempt.request_headers, "X-TIMESTAMP") or "") if kind.timestamped \
        else None
    signed = kind.signed_text(attempt.request_body, timestamp or "")
    recomputed = (kind.signature(key, timestamp or "", attempt.request_body)
                  if key is not None else None)
    return AttemptSignature(attempt.number, _header(attempt.request_headers, "X-SIGNATURE"),
                            timestamp, signed, recomputed)
