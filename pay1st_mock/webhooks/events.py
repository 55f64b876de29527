"""Which webhooks a payment's status change writes to the outbox.

Gateway payments send a Payment Webhook Event for PENDING, SUCCESSFUL, FAILED, CANCELLED and
ABANDONED (design.md §3). Shop and legacy-link payments send the Summary Webhook when they
succeed, to the product's Summary URL (pay1st-api.md §7.3).
"""

from __future__ import annotations

from dataclasses import dataclass

from pay1st_mock import jsontext
from pay1st_mock.shop.purchases import ShopService
from pay1st_mock.store.partners import Partner
from pay1st_mock.store.payments import Payment
from pay1st_mock.store.purchases import PurchaseRepository
from pay1st_mock.webhooks.payloads import WEBHOOK_STATUSES, payment_event, payment_webhook_url


@dataclass(frozen=True)
class OutboxEvent:
    """A webhook to write to the outbox."""

    kind: str
    url: str | None
    body: str
    no_url_note: str


class EventPlanner:
    """Decides the webhooks of a status change."""

    def __init__(self, purchases: PurchaseRepository, shop: ShopService) -> None:
        self._purchases = purchases
        self._shop = shop

    def __call__(self, payment: Payment, partner: Partner, status: str) -> list[OutboxEvent]:
        """The events ``payment`` (already in ``status``) sends."""
        if payment.origin == "gateway":
            if status not in WEBHOOK_STATUSES:
                return []
            return [OutboxEvent("payment_event", payment_webhook_url(payment, partner),
                                jsontext.dumps(payment_event(payment, partner)),
                                "no webhook URL: set webhookUrl on the payment or the partner")]
        purchase = self._purchases.for_payment(payment.reference)
        if status != "SUCCESSFUL" or purchase is None:
            return []
        product, _ = self._shop.bundle(purchase.bundle_id)
        return [OutboxEvent("summary", product.summary_url,
                            jsontext.dumps(self._shop.summary_body(purchase, payment)),
                            f"no Summary Webhook URL: set summary_url on product {product.id}")]
