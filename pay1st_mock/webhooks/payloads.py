"""Bodies of the webhooks Pay1st sends (pay1st-api.md §6.8, design.md §3). Pure functions."""

from __future__ import annotations

from typing import Any

from pay1st_mock.store.partners import Partner
from pay1st_mock.store.payments import Payment

# The statuses that send a Payment Webhook Event (design.md §3).
WEBHOOK_STATUSES = frozenset({"PENDING", "SUCCESSFUL", "FAILED", "CANCELLED", "ABANDONED"})


def payment_event(payment: Payment, partner: Partner) -> dict[str, Any]:
    """The Payment Webhook Event body for the payment's current status."""
    customer = next((item.get("value") for item in payment.metadata
                     if item.get("key") == "customerId"), None)
    return {
        "partnerId": partner.id,
        "partnerCode": partner.config.code,
        "partnerReference": payment.partner_reference,
        "reference": payment.reference,
        "orderAmount": payment.amount,
        "currencyCode": payment.currency_code,
        "countryCode": payment.country_code,
        "customerId": customer,
        "status": payment.status,
        "channelId": payment.channel_id,
        "channelName": payment.channel_name,
    }


def payment_webhook_url(payment: Payment, partner: Partner) -> str | None:
    """Where the event goes: the payment's ``webhookUrl``, else the partner's."""
    return payment.webhook_url or partner.config.webhook_url
